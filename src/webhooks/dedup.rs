//! Skipping repeated deliveries: Buzz-In delivers at least once.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// Remembers which deliveries a receiver has already taken, so that a repeat is skipped.
///
/// Keys come from [`Delivery::dedup_key`](super::Delivery::dedup_key): the `X-Buzzin-Delivery` id, or the envelope's event id
/// when that header is absent. Implement it over a shared store (Redis `SET NX`, a database
/// unique key) when several processes receive the same endpoint; [`MemoryDedup`] serves a
/// single process.
///
/// ```
/// use buzzin::webhooks::{DeliveryDedup, MemoryDedup};
///
/// let seen = MemoryDedup::new(10_000);
/// assert!(seen.first_seen("delivery:abc"));  // handle it
/// assert!(!seen.first_seen("delivery:abc")); // a repeat: acknowledge, do nothing
/// // Handling failed? Forget it, so that Buzz-In's retry is handled again.
/// seen.forget("delivery:abc");
/// assert!(seen.first_seen("delivery:abc"));
/// ```
pub trait DeliveryDedup {
    /// Records `key` and returns `true` if it had not been recorded before (handle the
    /// delivery), `false` if it had (a repeat). Must be atomic: of two concurrent calls with the
    /// same key, one returns `true`.
    fn first_seen(&self, key: &str) -> bool;

    /// Removes `key`, so that its next delivery counts as new again: call it when handling a
    /// delivery failed and Buzz-In should retry it.
    fn forget(&self, key: &str);
}

impl<T: DeliveryDedup + ?Sized> DeliveryDedup for &T {
    fn first_seen(&self, key: &str) -> bool {
        (**self).first_seen(key)
    }
    fn forget(&self, key: &str) {
        (**self).forget(key)
    }
}

impl<T: DeliveryDedup + ?Sized> DeliveryDedup for std::sync::Arc<T> {
    fn first_seen(&self, key: &str) -> bool {
        (**self).first_seen(key)
    }
    fn forget(&self, key: &str) {
        (**self).forget(key)
    }
}

/// A [`DeliveryDedup`] in the process's memory that remembers the most recent `capacity` keys,
/// forgetting the oldest first.
///
/// Memory stays bounded however many deliveries arrive; a repeat that comes after `capacity`
/// newer deliveries is no longer recognised. Size it for the deliveries expected over Buzz-In's
/// retry period. Thread-safe; share it behind an `Arc` (or a `&'static`).
pub struct MemoryDedup {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Each remembered key with the sequence number of its insertion.
    keys: HashMap<Box<str>, u64>,
    /// Insertions, oldest first. An entry whose key was forgotten (or forgotten and inserted
    /// again, under a newer number) is stale and skipped when evicting.
    order: VecDeque<(u64, Box<str>)>,
    next: u64,
}

impl MemoryDedup {
    /// Remembers up to `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// How many keys it remembers now.
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    /// `true` when it remembers no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most keys it remembers.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DeliveryDedup for MemoryDedup {
    fn first_seen(&self, key: &str) -> bool {
        let mut guard = self.lock();
        let state = &mut *guard;
        if state.keys.contains_key(key) {
            return false;
        }
        while state.keys.len() >= self.capacity {
            let Some((seq, oldest)) = state.order.pop_front() else {
                break;
            };
            if state.keys.get(&oldest) == Some(&seq) {
                state.keys.remove(&oldest);
            }
        }
        // Stale entries left by `forget` must not let `order` grow without bound.
        if state.order.len() >= self.capacity.saturating_mul(2) {
            let keys = &state.keys;
            state.order.retain(|(seq, k)| keys.get(k) == Some(seq));
        }
        let seq = state.next;
        state.next += 1;
        state.keys.insert(key.into(), seq);
        state.order.push_back((seq, key.into()));
        true
    }

    fn forget(&self, key: &str) {
        self.lock().keys.remove(key);
    }
}

impl fmt::Debug for MemoryDedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryDedup")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}
