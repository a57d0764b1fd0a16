//! Handling each delivery once: a store of claims with leases, shared by every receiver.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Remembers which deliveries are being handled and which are done, so that Buzz-In's
/// at-least-once deliveries are handled to completion once.
///
/// A receiver claims a delivery's [key](super::Delivery::dedup_key) before handling it, for a
/// lease no shorter than its handler may take:
///
/// - [`Claim::New`]: handle it now, then call [`complete`](Self::complete) (acknowledge with a
///   2xx) or, when handling failed, [`release`](Self::release) (answer 5xx so that Buzz-In
///   retries, and the retry is handled).
/// - [`Claim::InProgress`]: another handler holds a live lease on it; answer with a non-2xx
///   status (such as 409) so that Buzz-In tries again later.
/// - [`Claim::Done`]: it was handled; acknowledge without handling it again.
///
/// A claim whose lease runs out without `complete` or `release` (a handler that crashed, or a
/// process that died) is [`Claim::New`] again for the next delivery: nothing is lost. Choose a
/// lease longer than handling can take: a handler still running when its lease ends may run
/// alongside the next one. `complete` and `release` act on the key, not on one lease: a handler
/// that outlived its lease should not `release` (the key may be another handler's by then).
///
/// Implementations are `Send + Sync` and usable as `Arc<dyn DeliveryStore>` or as a generic:
/// [`MemoryStore`] serves one process; `RedisStore` (feature `redis`) is shared by several.
/// Claims must be atomic: of concurrent claims of a key without a live lease, one gets `New`.
///
/// ```
/// use std::time::Duration;
/// use buzzin::webhooks::{Claim, DeliveryStore, MemoryStore};
///
/// # async fn run() -> Result<(), buzzin::webhooks::StoreError> {
/// let store = MemoryStore::new();
/// let lease = Duration::from_secs(30);
/// assert_eq!(store.claim("event:1", lease).await?, Claim::New); // handle it
/// assert_eq!(store.claim("event:1", lease).await?, Claim::InProgress); // a concurrent repeat
/// store.complete("event:1").await?;
/// assert_eq!(store.claim("event:1", lease).await?, Claim::Done); // acknowledge only
///
/// assert_eq!(store.claim("event:2", lease).await?, Claim::New);
/// store.release("event:2").await?; // handling failed: the retry is handled
/// assert_eq!(store.claim("event:2", lease).await?, Claim::New);
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// ```
pub trait DeliveryStore: Send + Sync {
    /// Claims `key` for `lease`: [`Claim::New`] when no one holds a live lease on it and it is
    /// not done (the caller now holds the lease), otherwise what it is.
    fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> StoreFuture<'a, Claim>;

    /// Marks `key` handled: later claims get [`Claim::Done`] for the store's retention period.
    fn complete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;

    /// Gives up the lease on `key` without completing it: the next claim gets [`Claim::New`].
    /// A key already done stays done.
    fn release<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
}

/// The future a [`DeliveryStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a [`DeliveryStore::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Claim {
    /// Not handled and not being handled: the caller holds the lease and handles it now.
    New,
    /// Another handler holds a live lease on it: answer non-2xx so that it is retried later.
    InProgress,
    /// Handled already: acknowledge without handling it.
    Done,
}

/// A [`DeliveryStore`] failed (the shared store is unreachable, or refused the key). The
/// delivery's outcome is unknown: answer 5xx so that Buzz-In retries it.
#[derive(Debug)]
pub struct StoreError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// An error with a message (which must hold no secret).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and the error that caused it.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "delivery store: {}", self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The longest key a [`MemoryStore`] accepts, in bytes (a
/// [`dedup_key`](super::Delivery::dedup_key) is at most
/// [`MAX_DEDUP_KEY_LEN`](super::MAX_DEDUP_KEY_LEN)).
pub const MAX_STORE_KEY_LEN: usize = 256;

macro_rules! forward_store {
    ($($ty:ty),*) => {$(
        impl<T: DeliveryStore + ?Sized> DeliveryStore for $ty {
            fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
                (**self).claim(key, lease)
            }
            fn complete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
                (**self).complete(key)
            }
            fn release<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
                (**self).release(key)
            }
        }
    )*};
}
forward_store!(&T, Arc<T>, Box<T>);

/// A [`DeliveryStore`] in the process's memory, for a receiver that runs as one process.
///
/// Bounded: it keeps at most [`capacity`](Self::capacity) keys (default 100,000) of at most
/// [`MAX_STORE_KEY_LEN`] bytes each, dropping the oldest first, and forgets a completed key
/// after the [retention](Self::retention) period (default 24 hours). A repeat that comes after
/// its key was dropped is handled again: size both for the deliveries expected over Buzz-In's
/// retry period. Cloning shares the store.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    capacity: usize,
    retention: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<Box<str>, Entry>,
    /// Keys by last change, oldest first; an item whose sequence number no longer matches its
    /// entry is stale and skipped.
    order: VecDeque<(u64, Box<str>)>,
    next: u64,
}

struct Entry {
    done: bool,
    /// When the lease (in progress) or the retention (done) ends.
    until: Instant,
    seq: u64,
}

impl MemoryStore {
    /// A store with the default capacity (100,000 keys) and retention (24 hours).
    pub fn new() -> Self {
        Self::with_limits(100_000, Duration::from_secs(24 * 60 * 60))
    }

    /// A store that keeps at most `capacity` keys (at least one), each completed key for
    /// `retention`.
    pub fn with_limits(capacity: usize, retention: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                retention,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The most keys it keeps.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// How long it remembers a completed key.
    pub fn retention(&self) -> Duration {
        self.inner.retention
    }

    /// How many keys it holds now (in progress or done, expired ones not yet dropped included).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// `true` when it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent, whatever panicked while holding the lock.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn claim_now(&self, key: &str, lease: Duration, now: Instant) -> Result<Claim, StoreError> {
        check_key(key)?;
        let mut state = self.lock();
        if let Some(entry) = state.entries.get(key) {
            if entry.until > now {
                return Ok(if entry.done {
                    Claim::Done
                } else {
                    Claim::InProgress
                });
            }
        }
        state.put(key, false, deadline(now, lease), now, self.inner.capacity);
        Ok(Claim::New)
    }

    fn complete_now(&self, key: &str, now: Instant) -> Result<(), StoreError> {
        check_key(key)?;
        let until = deadline(now, self.inner.retention);
        self.lock().put(key, true, until, now, self.inner.capacity);
        Ok(())
    }

    fn release_now(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        let mut state = self.lock();
        if state.entries.get(key).is_some_and(|e| !e.done) {
            state.entries.remove(key);
        }
        Ok(())
    }
}

impl State {
    /// Sets `key`'s entry, dropping expired entries and, beyond `capacity`, the oldest.
    fn put(&mut self, key: &str, done: bool, until: Instant, now: Instant, capacity: usize) {
        let seq = self.next;
        self.next += 1;
        let fresh = !self.entries.contains_key(key);
        while let Some((old_seq, old_key)) = self.order.front() {
            let live = self.entries.get(old_key).filter(|e| e.seq == *old_seq);
            let drop = match live {
                None => true, // stale
                Some(e) => {
                    e.until <= now || (fresh && self.entries.len() >= capacity) // expired or full
                }
            };
            if !drop {
                break;
            }
            if live.is_some() {
                let old_key = old_key.clone();
                self.entries.remove(&old_key);
            }
            self.order.pop_front();
        }
        // Completions re-queue keys; keep the stale items from growing without bound.
        if self.order.len() >= capacity.saturating_mul(2).max(16) {
            let entries = &self.entries;
            self.order
                .retain(|(s, k)| entries.get(k).is_some_and(|e| e.seq == *s));
        }
        self.entries.insert(key.into(), Entry { done, until, seq });
        self.order.push_back((seq, key.into()));
    }
}

/// `now + span`, saturating far in the future.
fn deadline(now: Instant, span: Duration) -> Instant {
    now.checked_add(span)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 60 * 60)))
        .unwrap_or(now)
}

pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    if key.len() > MAX_STORE_KEY_LEN {
        return Err(StoreError::new(format!(
            "a key of {} bytes is longer than {MAX_STORE_KEY_LEN}",
            key.len()
        )));
    }
    Ok(())
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl DeliveryStore for MemoryStore {
    fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
        let result = self.claim_now(key, lease, Instant::now());
        Box::pin(std::future::ready(result))
    }

    fn complete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let result = self.complete_now(key, Instant::now());
        Box::pin(std::future::ready(result))
    }

    fn release<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let result = self.release_now(key);
        Box::pin(std::future::ready(result))
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len())
            .field("capacity", &self.inner.capacity)
            .field("retention", &self.inner.retention)
            .finish()
    }
}
