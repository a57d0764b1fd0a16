//! Handling each delivery once: a store of claims with leases, shared by every receiver.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

#[cfg(feature = "handle-once")]
mod once;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod postgres;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;

#[cfg(feature = "handle-once")]
#[cfg_attr(docsrs, doc(cfg(feature = "handle-once")))]
pub use once::{handle_once, Outcome};

/// Remembers which deliveries are being handled and which are done, so that Buzz-In's
/// at-least-once deliveries are handled to completion once.
///
/// A receiver claims a delivery's [key](super::Delivery::dedup_key) before handling it, for a
/// lease:
///
/// - [`Claim::New`]: the caller now holds a [`Lease`]. Handle the delivery, then call
///   [`complete`](Self::complete) (acknowledge with a 2xx) or, when handling failed,
///   [`release`](Self::release) (answer 5xx so that Buzz-In retries, and the retry is handled).
///   A handler that may take longer than the lease calls [`extend`](Self::extend) as a
///   heartbeat.
/// - [`Claim::InProgress`]: another handler holds a live lease on it; answer with a non-2xx
///   status (such as 409) so that Buzz-In tries again later.
/// - [`Claim::Done`]: it was handled; acknowledge without handling it again.
///
/// **Leases belong to their holder.** `complete`, `release` and `extend` act only while the
/// lease they are given is the key's current one: from its claim until the key is claimed
/// again (after the lease ran out), released or completed. A lease that ran out with no claim
/// since is still current (no one else can have started), so a late `complete` still counts
/// (and `extend` revives it), but a store may forget it sooner (a `MemoryStore` dropping
/// expired keys). With a lease no longer current they change nothing and fail with an error
/// whose [`is_lease_lost`](StoreError::is_lease_lost) is `true`. So a handler that outlived its lease
/// cannot free or complete the next handler's delivery. It may still have done its work twice:
/// [`Lease::fence`] lets the handler's own storage refuse a stale writer.
///
/// A claim whose lease runs out without `complete` or `release` (a handler that crashed, or a
/// process that died) is [`Claim::New`] again for the next delivery: nothing is lost.
/// [`handle_once`] runs this state machine (heartbeat included) and maps
/// each outcome to the status to answer.
///
/// Implementations are `Send + Sync` and usable as `Arc<dyn DeliveryStore>` or as a generic:
/// [`MemoryStore`] serves one process; `RedisStore` (feature `redis`) is shared by several.
/// Claims must be atomic: of concurrent claims of a key without a live lease, one gets `New`.
///
/// A receiver uses a store through [`handle_once`] (see the
/// [module](super) page). What follows is the contract an implementation keeps, which
/// `handle_once` relies on: a receiver does not call these methods itself.
///
/// ```
/// use std::time::Duration;
/// use buzzin::webhooks::store::{Claim, DeliveryStore, MemoryStore};
///
/// # async fn run() -> Result<(), buzzin::webhooks::store::StoreError> {
/// let store = MemoryStore::new();
/// let lease_for = Duration::from_secs(30);
/// let Claim::New(lease) = store.claim("event:1", lease_for).await? else { unreachable!() };
/// assert_eq!(store.claim("event:1", lease_for).await?, Claim::InProgress); // a concurrent repeat
/// store.extend(&lease, lease_for).await?; // still working: keep the lease
/// store.complete(&lease).await?;
/// assert_eq!(store.claim("event:1", lease_for).await?, Claim::Done); // acknowledge only
///
/// let Claim::New(first) = store.claim("event:2", lease_for).await? else { unreachable!() };
/// store.release(&first).await?; // handling failed: the retry is handled
/// let Claim::New(second) = store.claim("event:2", lease_for).await? else { unreachable!() };
/// assert!(second.fence() > first.fence());
/// // The first handler's lease is no longer current: it cannot touch the second's.
/// assert!(store.release(&first).await.unwrap_err().is_lease_lost());
/// assert!(store.complete(&first).await.unwrap_err().is_lease_lost());
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// ```
pub trait DeliveryStore: Send + Sync {
    /// Claims `key` for `lease_for`: [`Claim::New`] with the caller's [`Lease`] when no one
    /// holds a live lease on it and it is not done, otherwise what it is.
    fn claim<'a>(&'a self, key: &'a str, lease_for: Duration) -> StoreFuture<'a, Claim>;

    /// Marks the lease's key handled: later claims get [`Claim::Done`] for the store's retention
    /// period. Fails with [`is_lease_lost`](StoreError::is_lease_lost) (changing nothing) when
    /// `lease` is no longer the key's current lease.
    fn complete<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()>;

    /// Gives up `lease` without completing it: the next claim gets [`Claim::New`]. Fails with
    /// [`is_lease_lost`](StoreError::is_lease_lost) (changing nothing) when `lease` is no longer
    /// the key's current lease.
    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()>;

    /// Holds `lease` for `lease_for` from now (a heartbeat for a long handler). Fails with
    /// [`is_lease_lost`](StoreError::is_lease_lost) (changing nothing) when `lease` is no longer
    /// the key's current lease: stop handling, another handler may hold it.
    fn extend<'a>(&'a self, lease: &'a Lease, lease_for: Duration) -> StoreFuture<'a, ()>;
}

/// The future a [`DeliveryStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a [`DeliveryStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Claim {
    /// Not handled and not being handled: the caller holds this lease and handles it now.
    New(Lease),
    /// Another handler holds a live lease on it: answer non-2xx so that it is retried later.
    InProgress,
    /// Handled already: acknowledge without handling it.
    Done,
}

/// One handler's hold on a delivery's key, from a [`Claim::New`].
///
/// It names its key, a [fence](Self::fence) and a token that tells this holder from every
/// other: stores act on it only while it is the key's current lease.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lease {
    key: Box<str>,
    fence: u64,
    token: u64,
}

impl Lease {
    /// A lease on `key` (for [`DeliveryStore`] implementations): `fence` strictly increasing
    /// across the key's `New` claims, `token` telling this holder from any other.
    pub fn new(key: impl Into<Box<str>>, fence: u64, token: u64) -> Self {
        Self {
            key: key.into(),
            fence,
            token,
        }
    }

    /// The key it holds (the delivery's [`dedup_key`](super::Delivery::dedup_key)).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A number strictly increasing across the `New` claims of this key, for as long as the
    /// store remembers the key: a later holder always has a larger fence.
    ///
    /// A handler that writes to its own storage passes its fence along, so that the storage
    /// refuses a writer whose lease ran out and was claimed again since (a process that stalled
    /// past its lease, then woke up), e.g. in SQL:
    ///
    /// ```sql
    /// -- the row remembers the fence of its last writer
    /// UPDATE permits SET status = $2, fence = $1 WHERE id = $3 AND fence < $1;
    /// -- 0 rows updated: a newer holder has written; this handler's work is stale
    /// ```
    ///
    /// A stall between the write and [`complete`](DeliveryStore::complete) cannot be closed
    /// this way (the newer holder writes after the stale one): only a transaction that writes
    /// the effect and the "done" mark together can.
    pub fn fence(&self) -> u64 {
        self.fence
    }

    /// What tells this holder from any other holder of the key (for implementations).
    pub fn token(&self) -> u64 {
        self.token
    }
}

/// A [`DeliveryStore`] failed (the shared store is unreachable, or refused the key), or a lease
/// is no longer current ([`is_lease_lost`](Self::is_lease_lost)). When the store failed, the
/// delivery's outcome is unknown: answer 5xx so that Buzz-In retries it.
#[derive(Debug)]
pub struct StoreError {
    message: String,
    lease_lost: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// An error with a message (which must hold no secret).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            lease_lost: false,
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
            lease_lost: false,
            source: Some(source.into()),
        }
    }

    /// The lease given is no longer the key's current lease (the key was claimed again after it
    /// ran out, released, or completed): nothing was changed.
    pub fn lease_lost() -> Self {
        Self {
            message: "the lease is no longer current".to_owned(),
            lease_lost: true,
            source: None,
        }
    }

    /// `true` when the lease given is no longer current and nothing was changed: another
    /// handler may hold the delivery now. Answer 409 (not 5xx: the store works).
    pub fn is_lease_lost(&self) -> bool {
        self.lease_lost
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
            fn claim<'a>(&'a self, key: &'a str, lease_for: Duration) -> StoreFuture<'a, Claim> {
                (**self).claim(key, lease_for)
            }
            fn complete<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
                (**self).complete(lease)
            }
            fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
                (**self).release(lease)
            }
            fn extend<'a>(&'a self, lease: &'a Lease, lease_for: Duration) -> StoreFuture<'a, ()> {
                (**self).extend(lease, lease_for)
            }
        }
    )*};
}
forward_store!(&T, Arc<T>, Box<T>);

/// A [`DeliveryStore`] in the process's memory, for a receiver that runs as one process.
///
/// Bounded: it keeps at most [`capacity`](Self::capacity) keys (default 100,000) of at most
/// [`MAX_STORE_KEY_LEN`] bytes each, dropping the oldest first, and forgets a completed key
/// after the [retention](Self::retention) period (default 72 hours, [`DEFAULT_RETENTION`]). A
/// repeat that comes after its key was dropped is handled again: size both for the deliveries
/// expected over Buzz-In's retry period. Fences come from one counter for the whole store, so
/// they increase across every claim. A process that restarts forgets everything. Cloning shares
/// the store.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

/// How long a store remembers a completed delivery by default: 72 hours.
///
/// Assumed: Buzz-In does not document how long it retries a delivery; 72 hours is Stripe's
/// retry window (3 days), and a store must remember a delivery at least as long as it may be
/// retried.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(72 * 60 * 60);

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
    /// The last fence handed out (by any key).
    fence: u64,
}

struct Entry {
    done: bool,
    /// When the lease (in progress) or the retention (done) ends.
    until: Instant,
    seq: u64,
    /// The fence (and token) of the lease, when in progress.
    fence: u64,
}

impl MemoryStore {
    /// A store with the default capacity (100,000 keys) and retention ([`DEFAULT_RETENTION`]).
    pub fn new() -> Self {
        Self::with_limits(100_000, DEFAULT_RETENTION)
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

    fn claim_now(&self, key: &str, lease_for: Duration, now: Instant) -> Result<Claim, StoreError> {
        check_key(key)?;
        let mut state = self.lock();
        if let Some(entry) = state.entries.get(key)
            && entry.until > now
        {
            return Ok(if entry.done {
                Claim::Done
            } else {
                Claim::InProgress
            });
        }
        state.fence += 1;
        let fence = state.fence;
        let until = deadline(now, lease_for);
        state.put(key, false, until, fence, now, self.inner.capacity);
        Ok(Claim::New(Lease::new(key, fence, fence)))
    }

    /// Checks that `lease` is its key's current lease, then acts on the entry.
    fn with_current(
        &self,
        lease: &Lease,
        act: impl FnOnce(&mut State, &str),
    ) -> Result<(), StoreError> {
        check_key(lease.key())?;
        let mut state = self.lock();
        // Current: the key's entry is this lease's, run out or not (a claim since replaces it).
        let current = state
            .entries
            .get(lease.key())
            .is_some_and(|e| !e.done && e.fence == lease.fence() && e.fence == lease.token());
        if !current {
            return Err(StoreError::lease_lost());
        }
        act(&mut state, lease.key());
        Ok(())
    }

    fn complete_now(&self, lease: &Lease, now: Instant) -> Result<(), StoreError> {
        let until = deadline(now, self.inner.retention);
        let capacity = self.inner.capacity;
        self.with_current(lease, |state, key| {
            state.put(key, true, until, 0, now, capacity)
        })
    }

    fn release_now(&self, lease: &Lease) -> Result<(), StoreError> {
        self.with_current(lease, |state, key| {
            state.entries.remove(key);
        })
    }

    fn extend_now(
        &self,
        lease: &Lease,
        lease_for: Duration,
        now: Instant,
    ) -> Result<(), StoreError> {
        let until = deadline(now, lease_for);
        let capacity = self.inner.capacity;
        self.with_current(lease, |state, key| {
            let fence = lease.fence();
            state.put(key, false, until, fence, now, capacity)
        })
    }
}

impl State {
    /// Sets `key`'s entry, dropping expired entries and, beyond `capacity`, the oldest.
    fn put(
        &mut self,
        key: &str,
        done: bool,
        until: Instant,
        fence: u64,
        now: Instant,
        capacity: usize,
    ) {
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
        self.entries.insert(
            key.into(),
            Entry {
                done,
                until,
                seq,
                fence,
            },
        );
        self.order.push_back((seq, key.into()));
    }
}

/// `now + span`, saturating far in the future.
pub(crate) fn deadline(now: Instant, span: Duration) -> Instant {
    now.checked_add(span)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 60 * 60)))
        .unwrap_or(now)
}

pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::new("the key is empty"));
    }
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
    fn claim<'a>(&'a self, key: &'a str, lease_for: Duration) -> StoreFuture<'a, Claim> {
        let result = self.claim_now(key, lease_for, Instant::now());
        Box::pin(std::future::ready(result))
    }

    fn complete<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        let result = self.complete_now(lease, Instant::now());
        Box::pin(std::future::ready(result))
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        let result = self.release_now(lease);
        Box::pin(std::future::ready(result))
    }

    fn extend<'a>(&'a self, lease: &'a Lease, lease_for: Duration) -> StoreFuture<'a, ()> {
        let result = self.extend_now(lease, lease_for, Instant::now());
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
