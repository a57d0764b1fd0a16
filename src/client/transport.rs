//! Sends one call: the retry loop, phase by phase (admission, the attempt's time budget, the
//! attempt, its verdict, the retry decision, the wait), and the decoding of the answer.

use std::time::Duration;

// Tokio's clock: std's unless a test pauses it.
use tokio::time::Instant;

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::body::{decode, Success};
use super::call::Call;
use super::error::{ThrottleCause, TimeoutKind};
use super::failure::{judge, Progress, Verdict};
use super::retry::{self, Budget, Decision, Failure};
use super::{flow, telemetry, Client, Created, Inner, RetryPolicy};
use crate::models::Record;
use crate::Error;

impl Client {
    /// Sends `call` and decodes a 2xx body as `T` (an empty body as `null`, else as `{}`).
    pub(crate) async fn execute<T: DeserializeOwned>(&self, call: Call) -> Result<T, Error> {
        let ok = self.send(&call).await?;
        decode(&ok, || (call.name.to_string(), call.route()))
    }

    /// Sends a create and answers the new record with its id ([`Error::MissingId`] when the
    /// answer has no `_id`).
    pub(crate) async fn execute_created<R>(&self, call: Call) -> Result<Created<R>, Error>
    where
        R: Record + DeserializeOwned,
    {
        let ok = self.send(&call).await?;
        let record: R = decode(&ok, || (call.name.to_string(), call.route()))?;
        Created::new(record, || call.describe())
    }

    /// Sends `call` with retries and returns the first 2xx response, or the error, in one
    /// `buzzin.call` span covering the attempts and the waits between them.
    pub(crate) async fn send(&self, call: &Call) -> Result<Success, Error> {
        telemetry::in_call_span(call, self.send_attempts(call)).await
    }

    /// The retry loop of [`send`](Self::send).
    async fn send_attempts(&self, call: &Call) -> Result<Success, Error> {
        let cfg = &*self.inner;
        if cfg.auth_value.is_none() && !call.key_optional {
            return Err(Error::MissingApiKey {
                request: call.describe(),
            });
        }
        let limits = Limits::of(cfg, call, Instant::now());
        let mut progress = Progress {
            started: limits.started,
            attempt: 0,
            reached_server: false,
            timeout_kind: TimeoutKind::Attempt,
            max_response_body: cfg.max_response_body,
        };
        loop {
            progress.attempt += 1;
            admit(cfg, call, &limits).await?;
            let (budget, kind) = limits.attempt_budget(Instant::now());
            progress.timeout_kind = kind;
            let attempt = self.attempt(call, progress.attempt, budget);
            let outcome = telemetry::in_attempt_span(call, progress.attempt, attempt).await;
            let (outcome, pending) = match judge(call, &progress, outcome) {
                Verdict::Answered(success) => return Ok(success),
                Verdict::Ended(error) => return Err(error),
                Verdict::Failed(outcome, pending) => (outcome, pending),
            };
            pause_on_429(cfg, outcome);
            progress.reached_server |= outcome.failure.may_have_reached_server();
            let budget = limits.retry_budget(Instant::now());
            match retry::should_attempt_retry(
                call.class,
                progress.attempt,
                outcome,
                budget,
                retry::full_jitter,
            ) {
                Decision::Stop(_) => return Err(pending.into_error(call)),
                Decision::Retry { delay, sleep } => {
                    telemetry::retrying(call, progress.attempt, delay, &pending.error_type());
                    if !sleep.is_zero() {
                        tokio::time::sleep(sleep).await;
                    }
                }
            }
        }
    }
}

/// The limits of one call: the client's settings, overridden by the call's own.
struct Limits<'a> {
    started: Instant,
    timeout: Duration,
    policy: &'a RetryPolicy,
    deadline: Option<Instant>,
}

impl<'a> Limits<'a> {
    fn of(cfg: &'a Inner, call: &'a Call, started: Instant) -> Self {
        let options = &call.options;
        Limits {
            started,
            timeout: options.timeout.unwrap_or(cfg.timeout),
            policy: options.retry.as_ref().unwrap_or(&cfg.retry),
            deadline: options.deadline.or(cfg.deadline).map(|d| started + d),
        }
    }

    /// The time the next attempt may take, and which limit that is: its own timeout, or what
    /// is left of the call's deadline when that is less.
    fn attempt_budget(&self, now: Instant) -> (Duration, TimeoutKind) {
        match self.deadline {
            Some(end) if end.saturating_duration_since(now) < self.timeout => {
                (end.saturating_duration_since(now), TimeoutKind::Deadline)
            }
            _ => (self.timeout, TimeoutKind::Attempt),
        }
    }

    /// What the call may still spend on retries.
    fn retry_budget(&self, now: Instant) -> Budget {
        Budget {
            max_attempts: self.policy.max_attempts,
            base_delay: self.policy.base_delay,
            max_delay: self.policy.max_delay,
            max_retry_after: self.policy.max_retry_after,
            left: self.deadline.map(|end| end.saturating_duration_since(now)),
        }
    }
}

/// Waits until the client lets an attempt through: past a pause (an earlier 429's
/// `Retry-After`) and the rate limit. Fails, sending nothing, when the wait would pass the
/// call's deadline or its longest `Retry-After`.
async fn admit(cfg: &Inner, call: &Call, limits: &Limits<'_>) -> Result<(), Error> {
    let max_wait = limits.policy.max_retry_after;
    cfg.flow
        .admit(limits.deadline, max_wait)
        .await
        .map_err(|wait| {
            let (wait, cause) = match wait {
                flow::Wait::Paused(wait) => (wait, ThrottleCause::RetryAfter),
                flow::Wait::RateLimited(wait) => (wait, ThrottleCause::RateLimit),
            };
            Error::Throttled {
                request: call.describe(),
                wait,
                cause,
            }
        })
}

/// A 429's `Retry-After` pauses every call of the client (the next attempt of this one
/// included: see [`admit`]).
fn pause_on_429(cfg: &Inner, outcome: retry::Outcome) {
    if outcome.failure != Failure::Status(StatusCode::TOO_MANY_REQUESTS) {
        return;
    }
    // The shared pause is capped by the client's own longest wait: a `Retry-After` of days (a
    // proxy's mistake, say) would otherwise refuse every call of the client for as long. Past
    // the cap, the next attempt asks again, and a new 429 pauses again.
    if let Some(wait) = outcome.retry_after {
        cfg.flow.pause(wait.min(cfg.retry.max_retry_after));
    }
}
