//! [`handle_once`]: claim, handle with a heartbeat, complete or release, and the status to answer.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use super::{Claim, DeliveryStore, Lease, StoreError};

/// What [`handle_once`] did with a delivery; [`status`](Self::status) is the HTTP status to
/// answer Buzz-In with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome<E> {
    /// The handler ran to success and the delivery is marked done: 200.
    Handled,
    /// It was handled already: 200, without running the handler.
    AlreadyDone,
    /// Another handler holds a live lease on it: 409, so that Buzz-In retries later.
    InProgress,
    /// The lease was lost while handling (it ran out, and may be someone else's now): the
    /// handler's future was dropped, or it finished but could not mark the delivery done. 409.
    LeaseLost,
    /// The store failed (unreachable, or it did not answer in time), before handling or while
    /// marking the delivery done: 503, so that Buzz-In retries.
    StoreFailed(StoreError),
    /// The handler failed; its lease was released so that Buzz-In's retry is handled: 500.
    HandlerFailed(E),
}

impl<E> Outcome<E> {
    /// The status to answer: 200 for [`Handled`](Self::Handled) and
    /// [`AlreadyDone`](Self::AlreadyDone), 409 for [`InProgress`](Self::InProgress) and
    /// [`LeaseLost`](Self::LeaseLost), 503 for [`StoreFailed`](Self::StoreFailed), 500 for
    /// [`HandlerFailed`](Self::HandlerFailed).
    pub fn status(&self) -> http::StatusCode {
        match self {
            Outcome::Handled | Outcome::AlreadyDone => http::StatusCode::OK,
            Outcome::InProgress | Outcome::LeaseLost => http::StatusCode::CONFLICT,
            Outcome::StoreFailed(_) => http::StatusCode::SERVICE_UNAVAILABLE,
            Outcome::HandlerFailed(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short fixed name of the outcome (`handled`, `already_done`, …), as recorded on the
    /// [`delivery_span`](crate::webhooks::delivery_span).
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::AlreadyDone => "already_done",
            Outcome::InProgress => "in_progress",
            Outcome::LeaseLost => "lease_lost",
            Outcome::StoreFailed(_) => "store_failed",
            Outcome::HandlerFailed(_) => "handler_failed",
        }
    }

    /// `true` when Buzz-In is answered with a 2xx (the delivery needs no retry).
    pub fn is_acknowledged(&self) -> bool {
        self.status().is_success()
    }
}

/// Handles the delivery whose key is `key` once, however many receivers it reaches and however
/// often: the one way to use a [`DeliveryStore`].
///
/// 1. Claims `key` for `lease_for`. [`Claim::Done`] and [`Claim::InProgress`] return at once.
/// 2. Runs `handler` with the [`Lease`] (its [fence](Lease::fence) is for the handler's own
///    storage), extending the lease every third of `lease_for`. When an extension reports the
///    lease lost, the handler's future is dropped (it stops at its next `.await`) and the
///    outcome is [`Outcome::LeaseLost`]. When extensions fail (the store is unreachable) until
///    the lease has run out, the future is dropped too ([`Outcome::StoreFailed`]).
/// 3. On success, marks the delivery done, retrying a failed store (50 ms to 1 s apart) past
///    the lease's end for as long again as the lease, and at least 30 s: a lease that ran out
///    with no claim since is still current, so a "done" mark that could not reach the store in
///    time (an outage longer than the lease) still lands, and only a delivery that another
///    handler claimed meanwhile is handled again ([`Outcome::LeaseLost`]). On the handler's
///    error, releases the lease.
///
/// Any `lease_for` is accepted: one too long to add to the clock counts as far in the future.
///
/// **Cancellation.** Dropping its future (hyper drops a handler whose caller went away) at any
/// `.await` never marks the delivery done without the handler's success: the claim is left to
/// run out (a retry is [`Outcome::InProgress`] until then, and new after), or the "done" mark
/// already landed. To let the mark land after the caller went away, run it in a task of its
/// own (`tokio::spawn`, with the store in an `Arc`).
///
/// Needs a Tokio runtime (its timers). The handler should do its work in its future (a
/// blocking call cannot be stopped); its effects are at least once: a process that stalls
/// past its lease and then wakes up may have written before its future is dropped, which the
/// fence lets its storage refuse.
///
/// ```
/// use std::time::Duration;
/// use buzzin::webhooks::store::{handle_once, MemoryStore, Outcome};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let outcome = handle_once(&store, "event:1", Duration::from_secs(30), |lease| async move {
///     // the work: e.g. `UPDATE … SET …, fence = $1 WHERE id = $2 AND fence < $1`
///     println!("handling {} with fence {}", lease.key(), lease.fence());
///     Ok::<(), std::io::Error>(())
/// })
/// .await;
/// assert!(matches!(outcome, Outcome::Handled));
/// assert_eq!(outcome.status(), 200);
///
/// // A repeat of the same delivery is acknowledged without running the handler.
/// let repeat = handle_once(&store, "event:1", Duration::from_secs(30), |_| async {
///     unreachable!("handled already");
///     #[allow(unreachable_code)]
///     Ok::<(), std::io::Error>(())
/// })
/// .await;
/// assert!(matches!(repeat, Outcome::AlreadyDone));
/// # });
/// ```
pub async fn handle_once<S, F, Fut, E>(
    store: &S,
    key: &str,
    lease_for: Duration,
    handler: F,
) -> Outcome<E>
where
    S: DeliveryStore + ?Sized,
    F: FnOnce(Lease) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let outcome = handle_claimed(store, key, lease_for, handler).await;
    tracing::Span::current().record("buzzin.webhook.outcome", outcome.name());
    outcome
}

/// [`handle_once`] without its span fields and metrics.
async fn handle_claimed<S, F, Fut, E>(
    store: &S,
    key: &str,
    lease_for: Duration,
    handler: F,
) -> Outcome<E>
where
    S: DeliveryStore + ?Sized,
    F: FnOnce(Lease) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let claimed_at = Instant::now();
    let claim = store.claim(key, lease_for).await;
    claimed(&claim);
    let lease = match claim {
        Ok(Claim::New(lease)) => lease,
        Ok(Claim::Done) => return Outcome::AlreadyDone,
        Ok(_) => return Outcome::InProgress,
        Err(e) => return Outcome::StoreFailed(e),
    };
    // The lease surely lasts until then (Redis started it after `claimed_at`).
    let mut held_until = later(claimed_at, lease_for);
    let period = (lease_for / 3).max(Duration::from_millis(1));
    // The handler's future lives in this block: it is dropped before completing.
    let result = {
        let mut work = pin!(handler(lease.clone()));
        loop {
            let beat_at = later(Instant::now(), period);
            let beat = pin!(async {
                tokio::time::sleep_until(beat_at).await;
                let sent = Instant::now();
                store.extend(&lease, lease_for).await.map(|()| sent)
            });
            match race(work.as_mut(), beat).await {
                Either::Left(result) => break result,
                Either::Right(Ok(sent)) => held_until = later(sent, lease_for),
                Either::Right(Err(e)) if e.is_lease_lost() => return Outcome::LeaseLost,
                Either::Right(Err(e)) => {
                    if Instant::now() >= held_until {
                        return Outcome::StoreFailed(e);
                    }
                }
            }
        }
    };
    match result {
        Ok(()) => {
            complete(
                store,
                &lease,
                later(held_until, lease_for.max(LATE_DONE_MARK)),
            )
            .await
        }
        Err(e) => {
            // Should this fail, the lease runs out instead and the retry is handled then.
            let _ = store.release(&lease).await;
            Outcome::HandlerFailed(e)
        }
    }
}

/// How long past the lease's end `handle_once` goes on trying to mark a delivery done, at
/// least.
const LATE_DONE_MARK: Duration = Duration::from_secs(30);

/// Completes `lease`, retrying a failed store until `give_up_at` (at least twice, at most 256
/// times).
async fn complete<S, E>(store: &S, lease: &Lease, give_up_at: Instant) -> Outcome<E>
where
    S: DeliveryStore + ?Sized,
{
    let mut pause = Duration::from_millis(50);
    let mut failure = None;
    for attempt in 0..256 {
        match store.complete(lease).await {
            Ok(()) => return Outcome::Handled,
            Err(e) if e.is_lease_lost() => return Outcome::LeaseLost,
            Err(e) => {
                if attempt >= 1 && Instant::now() + pause >= give_up_at {
                    return Outcome::StoreFailed(e);
                }
                failure = Some(e);
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    Outcome::StoreFailed(failure.unwrap_or_else(|| StoreError::new("completing failed")))
}

/// `at + span`, or far in the future when that is past what the clock holds (the store's
/// [`deadline`](super::deadline), on Tokio's clock).
fn later(at: Instant, span: Duration) -> Instant {
    Instant::from_std(super::deadline(at.into_std(), span))
}

enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both, `a` first; the first to finish wins (the other is left as it is).
async fn race<A: Future + Unpin, B: Future + Unpin>(
    mut a: A,
    mut b: B,
) -> Either<A::Output, B::Output> {
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = std::pin::Pin::new(&mut a).poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = std::pin::Pin::new(&mut b).poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}

/// Records a claim's outcome on the current span (and counts it).
fn claimed(claim: &Result<Claim, StoreError>) {
    let outcome = match claim {
        Ok(Claim::New(_)) => "new",
        Ok(Claim::Done) => "done",
        Ok(Claim::InProgress) => "in_progress",
        Err(_) => "store_failed",
    };
    tracing::Span::current().record("buzzin.webhook.claim", outcome);
    #[cfg(feature = "metrics")]
    metrics::counter!("buzzin.webhook.claims", "outcome" => outcome).increment(1);
}
