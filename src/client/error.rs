//! The one error type of the client: what went wrong with a call, in a form a program can match on.
//!
//! Every variant says which call failed, as the caller wrote it, then its route
//! (`passes().submit("66f0…"): PATCH /passes/66f0…`, never a header or a body sent), and its
//! [`Display`](std::fmt::Display) is one readable line. An error response from Buzz-In keeps
//! the Feathers error fields (`name`, `message`, `code`, …) when the body has them, and the first
//! bytes of the body when it is not JSON (an HTML page from a proxy, say).

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use super::api_error::{one_line, ApiError, DecodeError};

/// A boxed error from the HTTP stack, kept as the [`source`](StdError::source) of an [`Error`].
type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything a call to Buzz-In can fail with.
///
/// Match on the variant (or on [`Error::status`]) to decide what to do; never on message text.
///
/// ```
/// use buzzin::Error;
///
/// fn describe(error: &Error) -> &'static str {
///     match error {
///         Error::NotFound(_) => "no such record",
///         Error::Conflict(e) if e.may_have_been_created_by_earlier_attempt() => "already created",
///         Error::InvalidRequest { .. } => "fix the input",
///         e if e.is_retryable() => "try again later",
///         _ => "failed",
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401 or 403: the API key is missing, wrong, or lacks the right for this call.
    #[error("{0}")]
    Unauthorized(ApiError),
    /// 404: the record (or a record the request refers to) does not exist. For a call on one
    /// record, [`ApiError::record_kind`] names its kind and the message says `no such permit`.
    #[error("{0}")]
    NotFound(ApiError),
    /// 409: the record already exists (a duplicate Salesforce id, email or phone).
    ///
    /// When a create was retried after a timeout or a 5xx and then got this 409,
    /// [`ApiError::may_have_been_created_by_earlier_attempt`] is `true`: the earlier attempt
    /// probably created the record.
    #[error("{0}")]
    Conflict(ApiError),
    /// 400 or 422: Buzz-In refused the request as invalid.
    #[error("{0}")]
    BadRequest(ApiError),
    /// 429: too many requests. `retry_after` is what the `Retry-After` header asked for, if
    /// anything (seconds or an HTTP date, turned into a duration).
    #[error("{error}{}", retry_after_text(retry_after))]
    RateLimited {
        /// How long Buzz-In asked the caller to wait.
        retry_after: Option<Duration>,
        /// The status, the Feathers fields and the body snippet.
        error: ApiError,
    },
    /// 5xx: Buzz-In (or a proxy in front of it) failed.
    #[error("{0}")]
    Server(ApiError),
    /// Any other non-2xx status (a 3xx, 405, 413, …).
    #[error("{0}")]
    UnexpectedStatus(ApiError),
    /// The call did not complete in time: one attempt hit the per-attempt timeout, or the overall
    /// deadline of the call passed.
    #[error("{request} timed out after {elapsed:?} ({kind}, attempt {attempts})")]
    Timeout {
        /// The SDK call, then `METHOD /path`: `permits().get("66f0…"): GET /permits/66f0…`.
        request: String,
        /// Time spent on the whole call.
        elapsed: Duration,
        /// Which limit was hit.
        kind: TimeoutKind,
        /// How many attempts were made.
        attempts: u32,
    },
    /// No connection could be made (DNS, refused, TLS handshake, connect timeout): the request
    /// never left this machine.
    #[error("{request}: could not connect to {endpoint}: {}", root_cause(source.as_ref()))]
    Connect {
        /// The SDK call, then `METHOD /path`: `permits().get("66f0…"): GET /permits/66f0…`.
        request: String,
        /// `host:port` the client tried to reach.
        endpoint: Box<str>,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The connection failed after it was made (reset, closed mid-response): the request may
    /// have reached Buzz-In.
    #[error("{request}: connection to {endpoint} failed: {}", root_cause(source.as_ref()))]
    Transport {
        /// The SDK call, then `METHOD /path`: `permits().get("66f0…"): GET /permits/66f0…`.
        request: String,
        /// `host:port` of the connection.
        endpoint: Box<str>,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The response was a redirect (3xx). The client follows no redirect: following one would
    /// send the API key, and the body (an NFC device secret, say), to wherever `Location`
    /// points, or send an operation that opens a gate a second time. Point the client's base
    /// URL at the right host instead.
    #[error(
        "{request} was redirected ({status}) to {}; redirects are never followed",
        location.as_deref().unwrap_or("no Location")
    )]
    Redirected {
        /// The SDK call, then `METHOD /path`: `permits().get("66f0…"): GET /permits/66f0…`.
        request: String,
        /// The 3xx status.
        status: StatusCode,
        /// The `Location` header, when present (at most 200 characters, on one line).
        location: Option<String>,
    },
    /// The response body was larger than the client accepts
    /// ([`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body)); reading
    /// stopped at the limit.
    #[error("{request} returned {status} with a body over the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The SDK call, then `METHOD /path`: `permits().get("66f0…"): GET /permits/66f0…`.
        request: String,
        /// The status of the response.
        status: StatusCode,
        /// The limit in bytes.
        limit: usize,
    },
    /// A 2xx response whose body is not what the operation returns.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// A create succeeded, but Buzz-In's answer has no `_id` for the new record, so the SDK
    /// cannot give its id (see [`Created`](crate::client::Created)). The record may exist:
    /// look it up by its Salesforce id or email before creating it again.
    #[error("{request} answered a new {kind} without its `_id`")]
    MissingId {
        /// The SDK call, then `METHOD /path`: `permits().create(…): POST /permits`.
        request: String,
        /// The kind of record (`"permit"`, `"contractor"`, …).
        kind: &'static str,
    },
    /// The request breaks a rule the documentation states; nothing was sent.
    #[error("{call}{}invalid request: `{field}` {reason}", if call.is_empty() { "" } else { ": " })]
    InvalidRequest {
        /// The SDK call that refused it (`permits().create`), or empty outside a call.
        call: &'static str,
        /// The field at fault, in the API's spelling (`validTill`, `phone`, `id`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `send_blocking()` was called inside an async runtime, where blocking would stall the
    /// executor: use `send().await` there.
    #[error("send_blocking() was called inside an async runtime: use `.send().await` there")]
    BlockingInsideRuntime,
    /// The client could not be built (an empty API key, a malformed base URL or header name).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The call needs the API key and the client was built without one; nothing was sent.
    /// Only the NFC visit ([`Visits::external_nfc`](crate::client::Visits::external_nfc)) goes
    /// without it.
    #[error(
        "{request} was not sent: it needs the API key and the client has none \
         (call `api_key(..)` on the builder or set BUZZIN_API_KEY)"
    )]
    MissingApiKey {
        /// The SDK call, then `METHOD /path`: `permits().get("66f0…"): GET /permits/66f0…`.
        request: String,
    },
    /// A header given to [`ClientBuilder::default_header`](crate::ClientBuilder::default_header)
    /// (when building) or added by an [`AttemptHook`](crate::client::AttemptHook) has an
    /// invalid name or value, or is one the client sets itself. The value is never shown.
    #[error("header {}{reason}", name.as_deref().map(|n| format!("`{n}` ")).unwrap_or_default())]
    InvalidHeader {
        /// The header's name, when it is a valid one.
        name: Option<String>,
        /// What is wrong.
        reason: &'static str,
    },
    /// The call was not sent (or not sent again): the client is held back for longer than the
    /// call may wait, by a 429's `Retry-After` that pauses every call of the client, or by the
    /// client's [`rate_limit`](crate::ClientBuilder::rate_limit). `wait` is how long it is held
    /// back from now.
    #[error("{request} was not sent: the client is held back for {wait:?} ({cause}), longer than the call may wait")]
    Throttled {
        /// The SDK call, then `METHOD /path`: `permits().get("66f0…"): GET /permits/66f0…`.
        request: String,
        /// How long the client is held back from now.
        wait: Duration,
        /// What holds it back.
        cause: ThrottleCause,
    },
}

/// What holds a client back in an [`Error::Throttled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThrottleCause {
    /// A 429's `Retry-After`, which pauses every call of the client (all its clones).
    RetryAfter,
    /// The client's rate limit has no token in time.
    RateLimit,
}

impl std::fmt::Display for ThrottleCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ThrottleCause::RetryAfter => "a 429's Retry-After",
            ThrottleCause::RateLimit => "the client's rate limit",
        })
    }
}

/// Which time limit a [`Error::Timeout`] hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// One attempt took longer than the per-attempt timeout.
    Attempt,
    /// The overall deadline of the call (all attempts and the waits between them) passed.
    Deadline,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Attempt => "per-attempt timeout",
            TimeoutKind::Deadline => "overall deadline",
        })
    }
}

impl Error {
    /// Maps a non-2xx response to its variant.
    pub(crate) fn from_status(api: ApiError, retry_after: Option<Duration>) -> Self {
        match api.status().as_u16() {
            401 | 403 => Error::Unauthorized(api),
            404 => Error::NotFound(api),
            409 => Error::Conflict(api),
            400 | 422 => Error::BadRequest(api),
            429 => Error::RateLimited {
                retry_after,
                error: api,
            },
            500..=599 => Error::Server(api),
            _ => Error::UnexpectedStatus(api),
        }
    }

    /// The HTTP status Buzz-In answered with, for the variants that come from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Decode(d) => Some(d.status()),
            Error::Redirected { status, .. } | Error::ResponseTooLarge { status, .. } => {
                Some(*status)
            }
            other => other.api_error().map(ApiError::status),
        }
    }

    /// The response details of a status error (every variant from 401 to 5xx).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::BadRequest(e)
            | Error::Server(e)
            | Error::UnexpectedStatus(e)
            | Error::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// `true` when the same call may succeed later: a 429, a 5xx other than 501, a 408, a
    /// timeout or a network failure. The client has already retried what its policy allows;
    /// this tells the caller whether trying again later makes sense.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. }
            | Error::Throttled { .. }
            | Error::Timeout { .. }
            | Error::Connect { .. }
            | Error::Transport { .. } => true,
            Error::Server(e) => e.status() != StatusCode::NOT_IMPLEMENTED,
            Error::UnexpectedStatus(e) => e.status() == StatusCode::REQUEST_TIMEOUT,
            _ => false,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidRequest {
            call: "",
            field,
            reason: reason.into(),
        }
    }

    /// Names the SDK call `call` in an [`Error::InvalidRequest`] that names none yet.
    pub(crate) fn in_call(mut self, name: &'static str) -> Self {
        if let Error::InvalidRequest { call, .. } = &mut self
            && call.is_empty()
        {
            *call = name;
        }
        self
    }
}

/// ` (retry after 30s)` when Buzz-In said how long to wait.
fn retry_after_text(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) if wait.subsec_millis() == 0 => format!(" (retry after {}s)", wait.as_secs()),
        Some(wait) => format!(" (retry after {:.3}s)", wait.as_secs_f64()),
        None => String::new(),
    }
}

/// The innermost error of a chain: "connection refused", not "error sending request".
fn root_cause(error: &(dyn StdError + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    one_line(&current.to_string(), 200)
}
