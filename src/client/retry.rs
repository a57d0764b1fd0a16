//! When a failed attempt may be re-sent, and how long to wait first (private to the client).
//!
//! [`should_attempt_retry`] decides, without I/O or a clock: from the operation's class, the
//! attempt, what went wrong and the call's budget, it answers "retry after this wait" or "stop,
//! for this reason".
//!
//! Three classes of operation (the spec's `x-buzzin-retry`):
//! - `Safe`: repeating it changes nothing (reads, idempotent updates): retried on a connect
//!   error, a timeout, a broken connection, 408, 429 and 5xx (except 501 and 505).
//! - `Dedup`: a create Buzz-In refuses to duplicate (409 on the same Salesforce id, email, …):
//!   retried like `Safe`; a 409 after such a retry is flagged as "may have been created by the
//!   earlier attempt".
//! - `Never`: a physical or non-repeatable effect (opening a gate, minting a new pass code):
//!   re-sent only after a connect error, which proves the request never left.

use std::time::Duration;

use http::StatusCode;

pub(crate) use crate::operations::RetryClass;

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No connection was made: the request never left.
    Connect,
    /// The attempt timed out, or the connection broke: the request may have been processed.
    Ambiguous,
    /// The server answered with this non-2xx status.
    Status(StatusCode),
}

impl Failure {
    /// Whether the server may have acted on the request.
    pub(crate) fn may_have_reached_server(self) -> bool {
        match self {
            Failure::Connect => false,
            Failure::Ambiguous => true,
            // A 429 is a refusal before any work; a 5xx or 408 may come after the work was done.
            Failure::Status(s) => s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT,
        }
    }
}

/// Whether an attempt that failed with `failure` may be re-sent for an operation of `class`.
pub(crate) fn may_retry(class: RetryClass, failure: Failure) -> bool {
    match failure {
        Failure::Connect => true,
        Failure::Ambiguous => class != RetryClass::Never,
        Failure::Status(status) => class != RetryClass::Never && is_retryable_status(status),
    }
}

/// 408, 429 and 5xx except 501 Not Implemented and 505 HTTP Version Not Supported.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    match status.as_u16() {
        408 | 429 => true,
        501 | 505 => false,
        s => (500..600).contains(&s),
    }
}

/// The shortest wait slept on a timer. Tokio's timers have millisecond resolution, so a
/// shorter sleep would wait a whole tick: a retry whose delay is below this (`Retry-After: 0`,
/// or a full-jitter draw near zero) is sent at once.
pub(crate) const MIN_SLEEP: Duration = Duration::from_millis(1);

/// The exponential backoff ceiling of retry number `retry` (from 1): `min(max, base * 2^(retry - 1))`.
pub(crate) fn backoff_ceiling(base: Duration, max: Duration, retry: u32) -> Duration {
    base.saturating_mul(1u32 << (retry.saturating_sub(1)).min(20))
        .min(max)
}

/// Full jitter: a uniformly random wait in `[0, ceiling]`.
pub(crate) fn full_jitter(ceiling: Duration) -> Duration {
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(fastrand::u64(0..=nanos))
}

/// What one failed attempt tells the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// What went wrong.
    pub(crate) failure: Failure,
    /// The answer's `Retry-After`, parsed (only a 429's or a 503's is honoured).
    pub(crate) retry_after: Option<Duration>,
}

impl Outcome {
    /// The `Retry-After` the client honours: a 429's or a 503's, no other.
    pub(crate) fn honoured_retry_after(self) -> Option<Duration> {
        match self.failure {
            Failure::Status(s)
                if s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::SERVICE_UNAVAILABLE =>
            {
                self.retry_after
            }
            _ => None,
        }
    }
}

/// What the call may still spend on retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Attempts in all, the first included.
    pub(crate) max_attempts: u32,
    /// The ceiling of the first backoff.
    pub(crate) base_delay: Duration,
    /// The largest backoff ceiling.
    pub(crate) max_delay: Duration,
    /// The longest `Retry-After` waited out.
    pub(crate) max_retry_after: Duration,
    /// The time left before the call's deadline, when it has one.
    pub(crate) left: Option<Duration>,
}

/// The retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send the next attempt once `delay` has passed; of it, `sleep` is slept here (zero when
    /// the wait is the client's shared 429 pause, waited out before the next attempt is let
    /// through, or when it is too short for a timer).
    Retry { delay: Duration, sleep: Duration },
    /// End the call with the attempt's error.
    Stop(StopReason),
}

/// Why a failed call is not retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// The operation's class does not allow re-sending after this failure.
    NotRetryable,
    /// The attempt was the last one allowed.
    AttemptsExhausted,
    /// The server asked for a longer wait than the policy's `max_retry_after`.
    RetryAfterTooLong,
    /// The wait would end at or after the call's deadline.
    DeadlineWouldPass,
}

/// Whether attempt number `attempt` (from 1) of an operation of `class`, which failed with
/// `outcome`, is followed by another, and after which wait. `backoff` draws the full-jitter
/// wait below a ceiling (random in the client; fixed in tests).
pub(crate) fn should_attempt_retry(
    class: RetryClass,
    attempt: u32,
    outcome: Outcome,
    budget: Budget,
    backoff: impl FnOnce(Duration) -> Duration,
) -> Decision {
    if !may_retry(class, outcome.failure) {
        return Decision::Stop(StopReason::NotRetryable);
    }
    if attempt >= budget.max_attempts {
        return Decision::Stop(StopReason::AttemptsExhausted);
    }
    let retry_after = outcome.honoured_retry_after();
    let delay = match retry_after {
        Some(wait) if wait > budget.max_retry_after => {
            return Decision::Stop(StopReason::RetryAfterTooLong)
        }
        Some(wait) => wait,
        None => backoff(backoff_ceiling(
            budget.base_delay,
            budget.max_delay,
            attempt,
        )),
    };
    if budget.left.is_some_and(|left| delay >= left) {
        return Decision::Stop(StopReason::DeadlineWouldPass);
    }
    // A 429's wait is the client's pause, waited out before the next attempt is let through.
    let paused =
        retry_after.is_some() && outcome.failure == Failure::Status(StatusCode::TOO_MANY_REQUESTS);
    // A zero wait (`Retry-After: 0`, or full jitter near zero) is no wait: Tokio's timers
    // tick in milliseconds, so even `sleep(ZERO)` would cost a tick.
    let sleep = if paused || delay < MIN_SLEEP {
        Duration::ZERO
    } else {
        delay
    };
    Decision::Retry { delay, sleep }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full-jitter exponential backoff, as the client draws it.
    fn backoff(base: Duration, max: Duration, retry: u32) -> Duration {
        full_jitter(backoff_ceiling(base, max, retry))
    }

    #[test]
    fn backoff_is_full_jitter_under_the_exponential_ceiling() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        let mut seen_small = false;
        for _ in 0..500 {
            let d = backoff(base, max, 3);
            assert!(d <= Duration::from_millis(400), "{d:?}");
            seen_small |= d < Duration::from_millis(100);
            assert!(backoff(base, max, 30) <= max);
        }
        assert!(seen_small, "full jitter reaches below the base delay");
        assert_eq!(backoff(Duration::ZERO, max, 1), Duration::ZERO);
    }

    #[test]
    fn classes() {
        use Failure::*;
        use RetryClass::*;
        let s = |c| Status(StatusCode::from_u16(c).unwrap());
        for class in [Safe, Dedup, Never] {
            assert!(may_retry(class, Connect));
            assert!(!may_retry(class, s(400)));
            assert!(!may_retry(class, s(409)));
            assert!(!may_retry(class, s(501)));
        }
        assert!(may_retry(Safe, s(500)) && may_retry(Dedup, s(503)) && may_retry(Safe, s(429)));
        assert!(may_retry(Dedup, Ambiguous) && may_retry(Safe, Ambiguous));
        assert!(
            !may_retry(Never, Ambiguous) && !may_retry(Never, s(503)) && !may_retry(Never, s(429))
        );
        assert!(!s(429).may_have_reached_server() && s(502).may_have_reached_server());
        assert!(!Connect.may_have_reached_server() && Ambiguous.may_have_reached_server());
    }

    const SECOND: Duration = Duration::from_secs(1);

    fn budget(left: Option<Duration>) -> Budget {
        Budget {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
            left,
        }
    }

    fn decide(
        class: RetryClass,
        attempt: u32,
        outcome: Outcome,
        left: Option<Duration>,
    ) -> Decision {
        // The draw answers the ceiling itself, so that every wait is known.
        should_attempt_retry(class, attempt, outcome, budget(left), |ceiling| ceiling)
    }

    fn status(code: u16, retry_after: Option<Duration>) -> Outcome {
        Outcome {
            failure: Failure::Status(StatusCode::from_u16(code).unwrap()),
            retry_after,
        }
    }

    const CONNECT: Outcome = Outcome {
        failure: Failure::Connect,
        retry_after: None,
    };
    const AMBIGUOUS: Outcome = Outcome {
        failure: Failure::Ambiguous,
        retry_after: None,
    };

    fn retry(ms: u64) -> Decision {
        let delay = Duration::from_millis(ms);
        Decision::Retry {
            delay,
            sleep: delay,
        }
    }

    #[test]
    fn decisions_by_class_and_failure() {
        use RetryClass::*;
        use StopReason::*;
        // Backoff ceilings: 100 ms, then 200 ms, capped at 2 s.
        assert_eq!(decide(Safe, 1, CONNECT, None), retry(100));
        assert_eq!(decide(Never, 2, CONNECT, None), retry(200));
        assert_eq!(decide(Safe, 1, AMBIGUOUS, None), retry(100));
        assert_eq!(decide(Dedup, 1, AMBIGUOUS, None), retry(100));
        assert_eq!(
            decide(Never, 1, AMBIGUOUS, None),
            Decision::Stop(NotRetryable)
        );
        assert_eq!(decide(Safe, 1, status(500, None), None), retry(100));
        assert_eq!(decide(Safe, 1, status(408, None), None), retry(100));
        assert_eq!(
            decide(Never, 1, status(503, None), None),
            Decision::Stop(NotRetryable)
        );
        for code in [400, 401, 403, 404, 409, 422, 501, 505] {
            for class in [Safe, Dedup, Never] {
                assert_eq!(
                    decide(class, 1, status(code, None), None),
                    Decision::Stop(NotRetryable),
                    "{class:?} {code}"
                );
            }
        }
        // The last attempt is the last.
        assert_eq!(
            decide(Safe, 3, CONNECT, None),
            Decision::Stop(AttemptsExhausted)
        );
        assert_eq!(
            decide(Safe, 3, status(502, None), None),
            Decision::Stop(AttemptsExhausted)
        );
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_only() {
        use RetryClass::*;
        use StopReason::*;
        let five = Some(5 * SECOND);
        // A 429's wait is the client's pause: nothing is slept here.
        assert_eq!(
            decide(Safe, 1, status(429, five), None),
            Decision::Retry {
                delay: 5 * SECOND,
                sleep: Duration::ZERO
            }
        );
        assert_eq!(
            decide(Safe, 1, status(503, five), None),
            Decision::Retry {
                delay: 5 * SECOND,
                sleep: 5 * SECOND
            }
        );
        // Elsewhere the header is ignored: the backoff applies.
        assert_eq!(decide(Safe, 1, status(502, five), None), retry(100));
        assert_eq!(
            decide(Safe, 1, status(500, Some(60 * SECOND)), None),
            retry(100)
        );
        // Longer than the policy allows: stop, whatever attempts are left.
        for code in [429, 503] {
            assert_eq!(
                decide(Dedup, 1, status(code, Some(31 * SECOND)), None),
                Decision::Stop(RetryAfterTooLong)
            );
        }
        // Exactly the limit is waited out.
        assert_eq!(
            decide(Safe, 1, status(503, Some(30 * SECOND)), None),
            Decision::Retry {
                delay: 30 * SECOND,
                sleep: 30 * SECOND
            }
        );
        // `Retry-After: 0` is sent at once.
        assert_eq!(
            decide(Safe, 1, status(503, Some(Duration::ZERO)), None),
            Decision::Retry {
                delay: Duration::ZERO,
                sleep: Duration::ZERO
            }
        );
    }

    #[test]
    fn a_wait_that_reaches_the_deadline_stops() {
        use RetryClass::*;
        use StopReason::*;
        let ms = Duration::from_millis;
        assert_eq!(decide(Safe, 1, CONNECT, Some(ms(101))), retry(100));
        assert_eq!(
            decide(Safe, 1, CONNECT, Some(ms(100))),
            Decision::Stop(DeadlineWouldPass)
        );
        assert_eq!(
            decide(Safe, 1, CONNECT, Some(Duration::ZERO)),
            Decision::Stop(DeadlineWouldPass)
        );
        assert_eq!(
            decide(Safe, 1, status(429, Some(5 * SECOND)), Some(4 * SECOND)),
            Decision::Stop(DeadlineWouldPass)
        );
    }

    #[test]
    fn a_wait_too_short_for_a_timer_is_not_slept() {
        let draw_zero = should_attempt_retry(RetryClass::Safe, 1, CONNECT, budget(None), |_| {
            Duration::from_micros(999)
        });
        assert_eq!(
            draw_zero,
            Decision::Retry {
                delay: Duration::from_micros(999),
                sleep: Duration::ZERO
            }
        );
    }

    /// Every class, attempt, status (and transport failure), `Retry-After` and time left: the
    /// decision keeps the rules, whatever the combination.
    #[test]
    fn every_combination_keeps_the_rules() {
        let failures = [Failure::Connect, Failure::Ambiguous]
            .into_iter()
            .chain((100..=599).map(|c| Failure::Status(StatusCode::from_u16(c).unwrap())));
        let waits = [
            None,
            Some(Duration::ZERO),
            Some(SECOND),
            Some(30 * SECOND),
            Some(31 * SECOND),
        ];
        let lefts = [
            None,
            Some(Duration::ZERO),
            Some(Duration::from_millis(150)),
            Some(3600 * SECOND),
        ];
        let mut retried = 0;
        for failure in failures {
            for class in [RetryClass::Safe, RetryClass::Dedup, RetryClass::Never] {
                for attempt in 1..=4 {
                    for retry_after in waits {
                        for left in lefts {
                            let outcome = Outcome {
                                failure,
                                retry_after,
                            };
                            let decision = decide(class, attempt, outcome, left);
                            let Decision::Retry { delay, sleep } = decision else {
                                continue;
                            };
                            retried += 1;
                            let case = format!("{class:?} #{attempt} {outcome:?} {left:?}");
                            assert!(may_retry(class, failure), "{case}");
                            assert!(attempt < 3, "{case}");
                            assert!(left.is_none_or(|left| delay < left), "{case}");
                            assert!(sleep <= delay, "{case}");
                            assert!(delay <= 30 * SECOND, "{case}");
                            if class == RetryClass::Never {
                                assert_eq!(failure, Failure::Connect, "{case}");
                            }
                            if let Failure::Status(s) = failure {
                                assert!(is_retryable_status(s), "{case}");
                                assert!(
                                    !s.is_success() && !s.is_client_error()
                                        || s.as_u16() == 408
                                        || s.as_u16() == 429,
                                    "{case}"
                                );
                            }
                            match outcome.honoured_retry_after() {
                                Some(wait) => assert_eq!(delay, wait, "{case}"),
                                None => assert!(delay <= Duration::from_millis(200), "{case}"),
                            }
                        }
                    }
                }
            }
        }
        assert!(retried > 0);
    }
}
