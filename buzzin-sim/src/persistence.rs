//! `--state FILE`: the state written to its file in the background after each change, and at
//! shutdown (see [`SimulatorBuilder::state_file`](crate::SimulatorBuilder::state_file) for the
//! bound on what a `kill -9` loses).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::shared::Shared;

/// Where the state goes, and the writer's bookkeeping.
pub(crate) struct Persist {
    pub path: PathBuf,
    /// The shortest wait between two writes.
    pub interval: Duration,
    /// Set by every change, cleared by the write that takes it in.
    dirty: AtomicBool,
    /// Wakes the writer after a change.
    wake: tokio::sync::Notify,
    /// The number of the last snapshot taken, and of the last one on disk (under its lock, so
    /// that an older snapshot never replaces a newer one).
    taken: AtomicU64,
    written: Mutex<u64>,
    /// How long the last write took, in microseconds (its snapshot, its JSON, its file).
    pub last_write_micros: AtomicU64,
}

impl Persist {
    pub fn new(path: PathBuf, interval: Duration) -> Self {
        Persist {
            path,
            interval,
            dirty: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            taken: AtomicU64::new(0),
            written: Mutex::new(0),
            last_write_micros: AtomicU64::new(0),
        }
    }

    /// Notes a change: the writer takes it in within its bound.
    pub fn changed(&self) {
        if !self.dirty.swap(true, Ordering::AcqRel) {
            self.wake.notify_one();
        }
    }
}

/// Takes a snapshot under the records' lock and writes it out after it; `Ok(false)` when a
/// newer snapshot was already written.
pub(crate) fn write_now(shared: &Shared, persist: &Persist) -> Result<bool, String> {
    let started = Instant::now();
    persist.dirty.store(false, Ordering::Release);
    let (number, snapshot) = shared
        .guarded(false, |records| {
            (
                persist.taken.fetch_add(1, Ordering::AcqRel) + 1,
                records.snapshot(),
            )
        })
        .map_err(|f| f.message)?;
    let bytes = snapshot.to_bytes();
    drop(snapshot);
    let mut written = persist
        .written
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if *written > number {
        return Ok(false);
    }
    crate::atomic::write(&persist.path, &bytes)
        .map_err(|e| format!("cannot write the state to {}: {e}", persist.path.display()))?;
    *written = number;
    let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    persist.last_write_micros.store(took, Ordering::Relaxed);
    Ok(true)
}

/// The background writer: after a change, waits until `interval` (or nine times the last
/// write's time, when longer) has passed since the last write, then writes. Runs until the
/// simulator is gone.
pub(crate) async fn run(shared: std::sync::Weak<Shared>) {
    let mut last: Option<Instant> = None;
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let Some(persist) = strong.persist.clone() else {
            return;
        };
        drop(strong);
        persist.wake.notified().await;
        let took = Duration::from_micros(persist.last_write_micros.load(Ordering::Relaxed));
        let wait = persist.interval.max(took * 9);
        if let Some(last) = last {
            tokio::time::sleep_until((last + wait).into()).await;
        }
        if !persist.dirty.load(Ordering::Acquire) {
            continue;
        }
        last = Some(Instant::now());
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let outcome = tokio::task::spawn_blocking(move || write_now(&strong, &persist)).await;
        if let Ok(Err(message)) = outcome {
            eprintln!("buzzin-sim: {message}");
        }
    }
}
