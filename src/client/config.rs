//! The client's settings: the API key and where it goes, the retry policy, and the settings of
//! one call.

use std::fmt;
use std::time::Duration;

/// A Buzz-In API key. Its [`Debug`](fmt::Debug) and [`Display`](fmt::Display) never show it.
///
/// ```
/// use buzzin::client::ApiKey;
///
/// let key = ApiKey::new("bz_live_secret");
/// assert_eq!(format!("{key:?} {key}"), "ApiKey(<redacted>) <redacted>");
/// assert_eq!(key.expose(), "bz_live_secret");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(pub(crate) String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself. Handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey(key.to_owned())
    }
}

/// Where the API key goes in each request.
///
/// Assumed: the documentation does not state how the key is sent. The default is an
/// `x-api-key` header (a Feathers backend keeps `Authorization` for its JWT strategy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// `x-api-key: <key>` (the default).
    #[default]
    ApiKeyHeader,
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<name>: <key>` with a header name of your choice.
    Header(String),
}

/// How failed attempts are retried. See the [client documentation](super#retries) for which
/// failures are retried for which operations.
///
/// ```
/// use std::time::Duration;
/// use buzzin::client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(2));
/// assert_eq!(policy.attempt_limit(), 5);
/// assert_eq!(RetryPolicy::never().attempt_limit(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms up to 5 s, `Retry-After` honoured up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The ceiling of the first backoff; it doubles with each retry. The wait itself is
    /// random between zero and the ceiling (full jitter).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff ceiling.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` (on 429 and 503) the client waits out before retrying (30 s
    /// by default). When Buzz-In asks for more, or the wait would pass the call's deadline, the
    /// call fails at once: a 429 as [`Error::RateLimited`](crate::Error::RateLimited) with the requested `retry_after`,
    /// for the caller to schedule; a 503 as [`Error::Server`](crate::Error::Server).
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Attempts in all.
    pub fn attempt_limit(&self) -> u32 {
        self.max_attempts
    }
}

/// Settings of one call that override the client's; see each builder's `timeout`, `deadline`
/// and `retry_policy`.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
}
