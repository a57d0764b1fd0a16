//! When a failed attempt may be re-sent, and how long to wait first (private to the client).
//!
//! Three classes of operation (the spec's `x-buzzin-retry`):
//! - `Safe`: repeating it changes nothing (reads, idempotent updates): retried on a connect
//!   error, a timeout, a broken connection, 408, 429 and 5xx (except 501).
//! - `Dedup`: a create Buzz-In refuses to duplicate (409 on the same Salesforce id, email, …):
//!   retried like `Safe`; a 409 after such a retry is flagged as "may have been created by the
//!   earlier attempt".
//! - `Never`: a physical or non-repeatable effect (opening a gate, minting a new pass code):
//!   re-sent only after a connect error, which proves the request never left.

use std::time::{Duration, SystemTime};

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

/// Full-jitter exponential backoff: a uniformly random wait in
/// `[0, min(max, base * 2^(retry - 1))]`, `retry` counting from 1.
pub(crate) fn backoff(base: Duration, max: Duration, retry: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << (retry.saturating_sub(1)).min(20));
    let ceiling = exp.min(max);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(fastrand::u64(0..=nanos))
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (relative to `now`).
/// A date in the past gives zero; anything unparseable gives `None`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses the three HTTP date forms of RFC 9110 §5.6.7: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`).
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let (day, month, year, time) = match parts.as_slice() {
        // IMF-fixdate: "Sun," "06" "Nov" "1994" "08:49:37" "GMT"
        [_, d, m, y, t, "GMT"] => (d.parse().ok()?, *m, y.parse().ok()?, *t),
        // RFC 850: "Sunday," "06-Nov-94" "08:49:37" "GMT"
        [_, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            let y: i64 = y.parse().ok()?;
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
            let y = if y < 100 {
                if y < 70 {
                    2000 + y
                } else {
                    1900 + y
                }
            } else {
                y
            };
            (d.parse().ok()?, m, y, *t)
        }
        // asctime: "Sun" "Nov" "6" "08:49:37" "1994"
        [_, m, d, t, y] => (d.parse().ok()?, *m, y.parse().ok()?, *t),
        _ => return None,
    };
    let month = match month {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let mut hms = time.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let mi: u64 = hms.next()?.parse().ok()?;
    let s: u64 = hms.next()?.parse().ok()?;
    if hms.next().is_some() || h > 23 || mi > 59 || s > 60 || !(1..=31).contains(&day) {
        return None;
    }
    // A four-digit year, as HTTP dates have: no arithmetic below can overflow, and no server
    // can make the client compute an instant the platform cannot represent.
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let days = crate::models::datetime::days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + mi * 60 + s;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after("7", at(0)), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", at(0)), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1", at(0)), None);
        assert_eq!(parse_retry_after("soon", at(0)), None);
        assert_eq!(parse_retry_after("", at(0)), None);
    }

    #[test]
    fn retry_after_http_dates_in_all_three_forms() {
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        let now = at(784_111_777 - 30);
        let want = Some(Duration::from_secs(30));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            want
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
            want
        );
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now), want);
        // In the past: no wait.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777 + 5)),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now),
            None
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 25:49:37 GMT", now),
            None
        );
    }

    #[test]
    fn retry_after_dates_beyond_four_digit_years_are_ignored_not_a_panic() {
        let now = at(1_700_000_000);
        for value in [
            "Sun, 06 Nov 300000000000 08:49:37 GMT",
            "Sun, 06 Nov 100000000000000 08:49:37 GMT",
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
            "Sun, 06 Nov -9223372036854775808 08:49:37 GMT",
            "Sun Nov  6 08:49:37 300000000000",
            "Sunday, 06-Nov-300000000000 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(value, now), None, "{value}");
        }
        // The largest year accepted still gives a (long) wait.
        let far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).unwrap();
        assert!(far > Duration::from_secs(200 * 365 * 86_400), "{far:?}");
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
}
