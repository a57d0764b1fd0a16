//! `--state FILE`: the state written to its file in the background after each change, and at
//! shutdown (see [`SimulatorBuilder::state_file`](crate::SimulatorBuilder::state_file) for the
//! bound on what a `kill -9` loses).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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

    /// Waits for a change noted after the last wait.
    pub async fn change(&self) {
        self.wake.notified().await;
    }

    /// Whether a change is waiting to be written.
    pub fn has_change(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// How long the writer waits after a write: the interval, or nine times the last write's
    /// time when longer (so that writing takes at most about a tenth of the time).
    pub fn pause(&self) -> Duration {
        let took = Duration::from_micros(self.last_write_micros.load(Ordering::Relaxed));
        self.interval.max(took * 9)
    }

    /// Starts taking a snapshot: clears the change mark (the snapshot takes the change in)
    /// and numbers it. Called under the records' lock, so that numbers follow the records.
    pub fn number_snapshot(&self) -> u64 {
        self.dirty.store(false, Ordering::Release);
        self.taken.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Writes the snapshot numbered `number` (`bytes`, begun at `started`) unless a newer one
    /// is on disk already: `Ok(false)` then.
    pub fn write(&self, number: u64, bytes: &[u8], started: Instant) -> Result<bool, String> {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if *written > number {
            return Ok(false);
        }
        crate::atomic::write(&self.path, bytes)
            .map_err(|e| format!("cannot write the state to {}: {e}", self.path.display()))?;
        *written = number;
        let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_write_micros.store(took, Ordering::Relaxed);
        Ok(true)
    }
}
