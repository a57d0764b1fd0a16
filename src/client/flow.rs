//! Flow control shared by every clone of a client (private to the client): the token bucket
//! of [`ClientBuilder::rate_limit`](super::ClientBuilder::rate_limit), and the pause a 429's
//! `Retry-After` puts on every call.
//!
//! Both are read before each attempt. Without a rate limit and outside a pause that costs one
//! atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

// Tokio's clock, which is std's unless a test pauses it: then waits pass at once, in order.
use tokio::time::Instant;

/// The flow control of one client and its clones.
#[derive(Debug)]
pub(crate) struct FlowControl {
    /// What every instant below is counted from.
    origin: Instant,
    /// The end of the current pause, in nanoseconds after `origin` (0: no pause was ever set).
    paused_until: AtomicU64,
    bucket: Option<TokenBucket>,
}

/// Why an attempt may not be sent within the time the call has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// A 429's `Retry-After` pauses the client for this much longer.
    Paused(Duration),
    /// The rate limit has no token for this much longer.
    RateLimited(Duration),
}

impl FlowControl {
    /// Flow control with a bucket of `rate` = `(requests, per)`, or none.
    pub(crate) fn new(rate: Option<(u32, Duration)>) -> Self {
        FlowControl {
            origin: Instant::now(),
            paused_until: AtomicU64::new(0),
            bucket: rate.map(|(requests, per)| TokenBucket::new(requests, per)),
        }
    }

    /// Pauses every call until `wait` from now has passed (or longer, if a pause already
    /// reaches further).
    pub(crate) fn pause(&self, wait: Duration) {
        let until = self.nanos(Instant::now() + wait);
        self.paused_until.fetch_max(until, Ordering::AcqRel);
    }

    /// How long the current pause lasts from now (zero outside a pause).
    fn pause_left(&self, now: Instant) -> Duration {
        let until = self.paused_until.load(Ordering::Acquire);
        Duration::from_nanos(until.saturating_sub(self.nanos(now)))
    }

    /// Waits until an attempt may be sent: the pause has passed, then a token is taken. Fails,
    /// without waiting and without taking a token, when that would take longer than
    /// `longest_pause` (for a pause) or pass `deadline`.
    pub(crate) async fn admit(
        &self,
        deadline: Option<Instant>,
        longest_pause: Duration,
    ) -> Result<(), Wait> {
        loop {
            let now = Instant::now();
            let left = self.pause_left(now);
            if left < super::retry::MIN_SLEEP {
                break;
            }
            if left > longest_pause || deadline.is_some_and(|end| now + left >= end) {
                return Err(Wait::Paused(left));
            }
            tokio::time::sleep(left).await;
            // A new 429 may have pushed the pause further while this call slept.
        }
        let Some(bucket) = &self.bucket else {
            return Ok(());
        };
        let wait = bucket.take(deadline)?;
        if !wait.is_zero() {
            // A call dropped while it waits (cancelled, or timed out by its caller) gives its
            // token back rather than holding it from every later call.
            let reservation = Reservation(Some(bucket));
            tokio::time::sleep(wait).await;
            reservation.keep();
        }
        Ok(())
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A token bucket: `capacity` tokens, refilled at one token per `interval`; it starts full,
/// so a burst of `capacity` requests goes at once.
#[derive(Debug)]
struct TokenBucket {
    capacity: f64,
    /// Seconds per token.
    interval: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    /// Tokens now; below zero when callers have reserved tokens not yet refilled.
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    fn new(requests: u32, per: Duration) -> Self {
        let requests = requests.max(1);
        TokenBucket {
            capacity: f64::from(requests),
            interval: per.as_secs_f64() / f64::from(requests),
            state: Mutex::new(BucketState {
                tokens: f64::from(requests),
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Reserves a token and answers how long to wait until it is there (zero when one is
    /// there now). Callers are served in the order they reserve. Fails, reserving nothing,
    /// when the wait would pass `deadline`.
    fn take(&self, deadline: Option<Instant>) -> Result<Duration, Wait> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = now
            .saturating_duration_since(state.refilled_at)
            .as_secs_f64();
        let refill = if self.interval > 0.0 {
            elapsed / self.interval
        } else {
            f64::INFINITY
        };
        state.tokens = (state.tokens + refill).min(self.capacity);
        state.refilled_at = now;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            return Ok(Duration::ZERO);
        }
        let wait = Duration::from_secs_f64((1.0 - state.tokens) * self.interval);
        if deadline.is_some_and(|end| now + wait >= end) {
            return Err(Wait::RateLimited(wait));
        }
        state.tokens -= 1.0;
        Ok(wait)
    }

    /// Returns a token [`take`](Self::take) reserved for a call that did not use it.
    fn give_back(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.tokens = (state.tokens + 1.0).min(self.capacity);
    }
}

/// A token taken for a call still waiting for it: dropped before [`keep`](Self::keep), it is
/// given back.
struct Reservation<'a>(Option<&'a TokenBucket>);

impl Reservation<'_> {
    /// The call went ahead with its token.
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some(bucket) = self.0 {
            bucket.give_back();
        }
    }
}

#[cfg(test)]
mod tests {
    //! On Tokio's paused clock: every wait passes at once, and every assertion on time is exact.

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bucket_starts_full_then_spaces_tokens_by_the_interval() {
        let bucket = TokenBucket::new(4, Duration::from_secs(4));
        for _ in 0..4 {
            assert_eq!(bucket.take(None), Ok(Duration::ZERO));
        }
        // The fifth waits one interval (1 s), the sixth two.
        let second = Duration::from_secs(1);
        assert_eq!(bucket.take(None), Ok(second * 1));
        assert_eq!(bucket.take(None), Ok(second * 2));
        // A wait past the deadline reserves nothing.
        let soon = Instant::now() + Duration::from_millis(10);
        assert!(matches!(bucket.take(Some(soon)), Err(Wait::RateLimited(_))));
        assert_eq!(bucket.take(None), Ok(second * 3));
        // Tokens come back with time, never more than the bucket holds.
        tokio::time::sleep(Duration::from_secs(60)).await;
        for _ in 0..4 {
            assert_eq!(bucket.take(None), Ok(Duration::ZERO));
        }
        assert_eq!(bucket.take(None), Ok(second * 1));
    }

    #[tokio::test(start_paused = true)]
    async fn many_callers_together_never_pass_the_rate() {
        // 10 at once, then one per 20 ms (50 a second), for 8 callers sharing the client.
        let flow = std::sync::Arc::new(FlowControl::new(Some((10, Duration::from_millis(200)))));
        let started = Instant::now();
        let admitted = std::sync::Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (flow, admitted) = (flow.clone(), admitted.clone());
                tokio::spawn(async move {
                    for _ in 0..8 {
                        flow.admit(None, Duration::ZERO).await.unwrap();
                        admitted.lock().unwrap().push(started.elapsed());
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let mut admitted = admitted.lock().unwrap().clone();
        admitted.sort();
        assert_eq!(admitted.len(), 64);
        // By any instant t, at most the burst and t's tokens: 10 + t / 20 ms.
        for (i, at) in admitted.iter().enumerate() {
            let allowed = 10 + (at.as_millis() / 20) as usize;
            assert!(i < allowed, "call {} admitted at {at:?}", i + 1);
        }
        // The last of 64 at (64 - 10) × 20 ms exactly: the bucket wastes no token either.
        assert_eq!(*admitted.last().unwrap(), Duration::from_millis(54 * 20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_dropped_while_it_waits_for_a_token_gives_it_back() {
        // One request per 600 ms: the first goes at once, the second waits 600 ms.
        let flow = FlowControl::new(Some((1, Duration::from_millis(600))));
        assert_eq!(flow.admit(None, Duration::ZERO).await, Ok(()));
        let dropped =
            tokio::time::timeout(Duration::from_millis(20), flow.admit(None, Duration::ZERO)).await;
        assert!(dropped.is_err(), "the second call was still waiting");
        // Its token came back: the next call waits one interval from the first, not two.
        let bucket = flow.bucket.as_ref().unwrap();
        assert_eq!(bucket.take(None), Ok(Duration::from_millis(580)));
        // A call that waited and went ahead keeps its token.
        let started = Instant::now();
        let flow = FlowControl::new(Some((1, Duration::from_millis(100))));
        assert_eq!(flow.admit(None, Duration::ZERO).await, Ok(()));
        assert_eq!(flow.admit(None, Duration::ZERO).await, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_millis(100));
        let wait = flow.bucket.as_ref().unwrap().take(None).unwrap();
        assert_eq!(wait, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_call_until_it_ends_and_a_longer_one_wins() {
        let flow = FlowControl::new(None);
        let started = Instant::now();
        flow.pause(Duration::from_secs(2));
        // A 429 during the pause pushes it further; a shorter one does not shorten it.
        flow.pause(Duration::from_secs(3));
        flow.pause(Duration::from_secs(1));
        assert_eq!(flow.admit(None, Duration::from_secs(10)).await, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        // Past the pause, a call goes at once.
        assert_eq!(flow.admit(None, Duration::ZERO).await, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_past_the_deadline_or_the_longest_wait_fails_at_once() {
        let flow = FlowControl::new(None);
        flow.pause(Duration::from_secs(60));
        let started = Instant::now();
        let soon = Instant::now() + Duration::from_secs(1);
        assert_eq!(
            flow.admit(Some(soon), Duration::from_secs(120)).await,
            Err(Wait::Paused(Duration::from_secs(60)))
        );
        assert_eq!(
            flow.admit(None, Duration::from_secs(30)).await,
            Err(Wait::Paused(Duration::from_secs(60)))
        );
        assert_eq!(started.elapsed(), Duration::ZERO, "failed without waiting");
        // A shorter pause does not shorten a longer one.
        flow.pause(Duration::from_secs(1));
        assert_eq!(flow.pause_left(Instant::now()), Duration::from_secs(60));
        assert_eq!(
            FlowControl::new(None).admit(None, Duration::ZERO).await,
            Ok(())
        );
    }
}
