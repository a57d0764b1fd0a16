//! `--state FILE`: the state written to its file in the background after each change, and at
//! shutdown (see [`SimulatorBuilder::state_file`](crate::SimulatorBuilder::state_file) for the
//! bound on what a `kill -9` loses).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One simulator's claim on its state file: an advisory lock (`flock`) on `<file>.lock`, held
/// while the simulator runs, so that a second simulator on the same file is refused.
pub(crate) struct Claim {
    _lock: std::fs::File,
}

/// The lock file of a state file: `<file>.lock` beside it.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Claims the state file `path` for this simulator: refused when another simulator holds it,
/// or when the file cannot be written (a read-only directory, say), naming the file.
pub(crate) fn claim(path: &Path) -> std::io::Result<Claim> {
    let shown = path.display();
    let cannot = |e: std::io::Error| {
        std::io::Error::new(
            e.kind(),
            format!("cannot write the state file {shown}: {e}"),
        )
    };
    let lock = lock_path(path);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&lock).map_err(cannot)?;
    #[cfg(unix)]
    if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            format!(
                "the state file {shown} is in use by another simulator (it holds {}): one \
                 simulator at a time keeps a state file",
                lock.display()
            ),
        ));
    }
    if path.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the state file {shown} is a directory"),
        ));
    }
    // What each write does first: a temporary file beside it (removed at once).
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".buzzin-sim-probe.")
        .tempfile_in(dir)
        .map_err(cannot)?;
    Ok(Claim { _lock: file })
}

/// Where the state goes, and the writer's bookkeeping.
pub(crate) struct Persist {
    pub path: PathBuf,
    /// This simulator's claim on the file, held while it runs (released at its last write).
    claim: Mutex<Option<Claim>>,
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
    pub fn new(path: PathBuf, interval: Duration, claim: Claim) -> Self {
        Persist {
            path,
            claim: Mutex::new(Some(claim)),
            interval,
            dirty: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            taken: AtomicU64::new(0),
            written: Mutex::new(0),
            last_write_micros: AtomicU64::new(0),
        }
    }

    /// Releases the claim on the file: another simulator may take it from now on.
    pub fn release(&self) {
        self.claim
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
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
