//! Sends one call: attempts, timeouts, the retry loop, tracing, and the mapping of responses to
//! results or errors.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT};
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::flow;
use super::hook::{AttemptRequest, AttemptResponse};
use super::operation::Operation;
use super::retry::{self, Failure, RetryClass};
use super::{CallOptions, Client, Created};
use crate::error::{location_text, ApiError, DecodeError, ThrottleCause, TimeoutKind};
use crate::models::Record;
use crate::Error;

/// The SDK call a request comes from, as the user wrote it (`passes().submit("66f0…")`), and
/// the kind of record its id names, for errors.
#[derive(Debug, Clone)]
pub(crate) struct CallName {
    /// The accessor and the operation: `passes().submit`.
    pub(crate) call: &'static str,
    /// What goes between the parentheses.
    pub(crate) arg: CallArg,
    /// The kind of record the id names (`"permit"`), for a 404.
    pub(crate) record: Option<&'static str>,
}

/// The argument of a [`CallName`], as shown.
#[derive(Debug, Clone)]
pub(crate) enum CallArg {
    /// `()`: a call without arguments.
    None,
    /// `(…)`: a call whose arguments are a request body (never shown: it may hold a secret).
    Body,
    /// `("66f0…")`: the record's id.
    Id(Box<str>),
    /// Shown as is (the raw request's method and path).
    Text(Box<str>),
}

impl std::fmt::Display for CallName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.arg {
            CallArg::None => write!(f, "{}()", self.call),
            CallArg::Body => write!(f, "{}(…)", self.call),
            CallArg::Id(id) => {
                // Bounded, one line, quotes escaped: an id is the caller's text.
                let shown: String = id.chars().take(64).collect();
                let more = if shown.len() < id.len() { "…" } else { "" };
                write!(f, "{}({shown:?}{more})", self.call)
            }
            CallArg::Text(text) => write!(f, "{}({text})", self.call),
        }
    }
}

/// A request ready to send, possibly several times.
pub(crate) struct Call {
    pub(crate) name: CallName,
    /// The spec's `operationId`, or `request` for a raw request.
    pub(crate) operation: &'static str,
    /// `{method} {url.template}` (`GET /permits/{id}`), when the operation is the spec's.
    pub(crate) span_name: Option<&'static str>,
    /// The path with `{id}` in place of the id, when the operation is the spec's.
    pub(crate) url_template: Option<&'static str>,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<Bytes>,
    pub(crate) class: RetryClass,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) options: CallOptions,
    /// Whether the call may be sent by a client built without an API key.
    pub(crate) key_optional: bool,
}

/// A 2xx response, read to the end.
pub(crate) struct Success {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

/// How much of an error (non-2xx) body is read: enough for any Feathers error, and for the
/// snippet kept when it is not one. The rest is never read.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The outcome of one attempt.
enum Attempt {
    Response {
        status: StatusCode,
        retry_after: Option<Duration>,
        body: Bytes,
    },
    /// A 3xx: never followed.
    Redirected {
        status: StatusCode,
        location: Option<String>,
    },
    /// A 2xx body over the client's limit.
    TooLarge {
        status: StatusCode,
    },
    Failed {
        failure: Failure,
        error: reqwest::Error,
    },
    TimedOut,
}

impl Call {
    pub(crate) fn new(name: CallName, method: Method, url: Url, class: RetryClass) -> Self {
        Call {
            name,
            operation: "request",
            span_name: None,
            url_template: None,
            method,
            url,
            body: None,
            class,
            headers: Vec::new(),
            options: CallOptions::default(),
            key_optional: false,
        }
    }

    /// Names the spec's operation the call makes, for spans, metrics and hooks.
    pub(crate) fn of_operation(mut self, op: &Operation) -> Self {
        self.operation = op.id;
        self.span_name = Some(op.span_name);
        self.url_template = Some(op.path);
        self.key_optional = op.key_optional;
        self
    }

    /// Applies a builder's per-call settings.
    pub(crate) fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets a JSON body.
    pub(crate) fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Result<Self, Error> {
        // Room for a typical request body at once (serde_json's own start is 128 bytes, so a
        // permit request grew three times).
        let mut bytes = Vec::with_capacity(1024);
        serde_json::to_writer(&mut bytes, body).map_err(|e| {
            Error::invalid("body", format!("cannot be written as JSON: {e}"))
                .in_call(self.name.call)
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// `METHOD /path`.
    fn route(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }

    /// The SDK call, then `METHOD /path`: `passes().submit("66f0…"): PATCH /passes/66f0…`.
    fn describe(&self) -> String {
        format!("{}: {} {}", self.name, self.method, self.url.path())
    }

    /// The span of one attempt, by the OpenTelemetry HTTP client semantic conventions: named
    /// `{method} {url.template}` through `otel.name` (`GET /permits/{id}`; the method alone
    /// for a raw request, whose path may hold ids), never with an id, a query or a header.
    ///
    /// Text fields are recorded as `Display` values: a subscriber that formats fields then writes them as they
    /// are, without escaping each character (each is a method, a host or a template, none of
    /// which comes from a response).
    fn attempt_span(&self, attempt: u32) -> tracing::Span {
        let method = self.method.as_str();
        let span = tracing::info_span!(
            "buzzin.request",
            otel.name = %self.span_name.unwrap_or(method),
            otel.kind = %"client",
            http.request.method = %method,
            server.address = %self.url.host_str().unwrap_or_default(),
            server.port = self.url.port_or_known_default(),
            url.template = self.url_template.map(tracing::field::display),
            http.response.status_code = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
        );
        if attempt > 1 {
            span.record("http.request.resend_count", attempt - 1);
        }
        span
    }

    /// `host:port` of the request, for connection errors.
    fn endpoint(&self) -> Box<str> {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}").into(),
            None => host.into(),
        }
    }
}

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
        // Entered while the call is polled, so that its busy and idle times (which
        // tracing-opentelemetry exports) are the call's.
        let span = tracing::info_span!(
            "buzzin.call",
            otel.name = %call.operation,
            buzzin.operation = %call.operation,
            "error.type" = tracing::field::Empty,
        );
        let result = self.send_attempts(call).instrument(span.clone()).await;
        if let Err(error) = &result {
            span.record("error.type", tracing::field::display(&*error_type(error)));
        }
        result
    }

    /// The retry loop of [`send`](Self::send).
    async fn send_attempts(&self, call: &Call) -> Result<Success, Error> {
        let cfg = &*self.inner;
        if cfg.auth_value.is_none() && !call.key_optional {
            return Err(Error::MissingApiKey {
                request: call.describe(),
            });
        }
        let started = Instant::now();
        let options = &call.options;
        let timeout = options.timeout.unwrap_or(cfg.timeout);
        let policy = options.retry.as_ref().unwrap_or(&cfg.retry);
        let deadline = options.deadline.or(cfg.deadline).map(|d| started + d);
        let max_attempts = policy.max_attempts;
        let mut reached_server_before = false;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // Held back by a pause (an earlier 429's Retry-After) or the rate limit.
            if let Err(wait) = cfg.flow.admit(deadline, policy.max_retry_after).await {
                let (wait, cause) = match wait {
                    flow::Wait::Paused(wait) => (wait, ThrottleCause::RetryAfter),
                    flow::Wait::RateLimited(wait) => (wait, ThrottleCause::RateLimit),
                };
                return Err(Error::Throttled {
                    request: call.describe(),
                    wait,
                    cause,
                });
            }
            let (budget, kind) = match deadline {
                Some(end) => {
                    let left = end.saturating_duration_since(Instant::now());
                    if left < timeout {
                        (left, TimeoutKind::Deadline)
                    } else {
                        (timeout, TimeoutKind::Attempt)
                    }
                }
                None => (timeout, TimeoutKind::Attempt),
            };
            let span = call.attempt_span(attempt);
            #[cfg(feature = "metrics")]
            let attempt_started = Instant::now();
            // Awaited in place, so that the span is read back afterwards without a clone.
            let mut attempt_future =
                std::pin::pin!(self.attempt(call, attempt, budget).instrument(span));
            let outcome = attempt_future.as_mut().await;
            let span = attempt_future.span();
            #[cfg(feature = "metrics")]
            record_attempt_duration(call, attempt_started, &outcome);

            let (failure, failed, retry_after) = match outcome {
                Attempt::Redirected { status, location } => {
                    span.record("http.response.status_code", status.as_u16());
                    span.record("error.type", tracing::field::display("redirected"));
                    return Err(Error::Redirected {
                        request: call.describe(),
                        status,
                        location,
                    });
                }
                Attempt::TooLarge { status } => {
                    span.record("http.response.status_code", status.as_u16());
                    span.record("error.type", tracing::field::display("response_too_large"));
                    return Err(Error::ResponseTooLarge {
                        request: call.describe(),
                        status,
                        limit: cfg.max_response_body,
                    });
                }
                Attempt::Response {
                    status,
                    body,
                    retry_after,
                } => {
                    span.record("http.response.status_code", status.as_u16());
                    if status.is_success() {
                        return Ok(Success { status, body });
                    }
                    let may_have_created = status == StatusCode::CONFLICT
                        && call.class == RetryClass::Dedup
                        && reached_server_before;
                    // Retry-After is honoured on 429 and 503 only; a 429's pauses every call of
                    // the client (the next attempt of this one included: see `admit`).
                    let retry_after = match status.as_u16() {
                        429 => {
                            // The shared pause is capped by the client's own longest wait: a
                            // `Retry-After` of days (a proxy's mistake, say) would otherwise
                            // refuse every call of the client for as long. Past the cap, the
                            // next attempt asks again, and a new 429 pauses again.
                            if let Some(wait) = retry_after {
                                cfg.flow.pause(wait.min(cfg.retry.max_retry_after));
                            }
                            retry_after
                        }
                        503 => retry_after,
                        _ => None,
                    };
                    // The error is built (the body parsed) only if the call ends with it.
                    let failed = Failed::Status {
                        status,
                        body,
                        retry_after,
                        may_have_created,
                    };
                    (Failure::Status(status), failed, retry_after)
                }
                Attempt::Failed { failure, error } => {
                    // The request is named by method and path; the URL (and any query) is not
                    // repeated in the source.
                    let error = error.without_url();
                    let error = match failure {
                        Failure::Connect => Error::Connect {
                            request: call.describe(),
                            endpoint: call.endpoint(),
                            source: Box::new(error),
                        },
                        _ => Error::Transport {
                            request: call.describe(),
                            endpoint: call.endpoint(),
                            source: Box::new(error),
                        },
                    };
                    (failure, Failed::Built(error), None)
                }
                Attempt::TimedOut => {
                    let error = Error::Timeout {
                        request: call.describe(),
                        elapsed: started.elapsed(),
                        kind,
                        attempts: attempt,
                    };
                    (Failure::Ambiguous, Failed::Built(error), None)
                }
            };
            span.record("error.type", tracing::field::display(&*failed.error_type()));
            reached_server_before |= failure.may_have_reached_server();

            if attempt >= max_attempts || !retry::may_retry(call.class, failure) {
                return Err(failed.into_error(call));
            }
            let delay = match retry_after {
                Some(wait) if wait > policy.max_retry_after => return Err(failed.into_error(call)),
                Some(wait) => wait,
                None => retry::backoff(policy.base_delay, policy.max_delay, attempt),
            };
            // A 429's wait is the client's pause, waited out before the next attempt.
            let sleep = if matches!(failure, Failure::Status(s) if s == StatusCode::TOO_MANY_REQUESTS)
                && retry_after.is_some()
            {
                Duration::ZERO
            } else {
                delay
            };
            if let Some(end) = deadline {
                if Instant::now() + delay >= end {
                    return Err(failed.into_error(call));
                }
            }
            tracing::debug!(
                buzzin.operation = call.operation,
                http.request.resend_count = attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "error.type" = &*failed.error_type(),
                "buzzin: retrying"
            );
            #[cfg(feature = "metrics")]
            metrics::counter!(
                "buzzin.client.retries",
                "buzzin.operation" => call.operation,
                "reason" => failed.error_type().into_owned()
            )
            .increment(1);
            // A zero wait (`Retry-After: 0`, or full jitter near zero) is no wait: Tokio's
            // timers tick in milliseconds, so even `sleep(ZERO)` would cost a tick.
            if sleep >= retry::MIN_SLEEP {
                tokio::time::sleep(sleep).await;
            }
        }
    }

    /// One attempt: send, read the whole body, all within `budget`.
    async fn attempt(&self, call: &Call, attempt: u32, budget: Duration) -> Attempt {
        let cfg = &*self.inner;
        let mut request = reqwest::Request::new(call.method.clone(), call.url.clone());
        let headers = request.headers_mut();
        // Default headers and the hook's first, then what the client sets itself, which wins
        // (and which the hook never sees).
        if !cfg.default_headers.is_empty() {
            *headers = cfg.default_headers.clone();
        }
        if let Some(hook) = &cfg.attempt_hook {
            hook.before_attempt(&mut AttemptRequest {
                operation: call.operation,
                method: &call.method,
                attempt,
                headers: &mut *headers,
                auth: &cfg.auth_name,
            });
        }
        for (name, value) in &call.headers {
            headers.insert(name.clone(), value.clone());
        }
        headers.insert(USER_AGENT, cfg.user_agent.clone());
        if let Some(auth_value) = &cfg.auth_value {
            headers.insert(cfg.auth_name.clone(), auth_value.clone());
        }
        if let Some(body) = &call.body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            *request.body_mut() = Some(body.clone().into());
        }
        let exchange = async {
            let mut response = cfg.http.execute(request).await?;
            let status = response.status();
            if let Some(hook) = &cfg.attempt_hook {
                hook.after_attempt(&AttemptResponse {
                    operation: call.operation,
                    method: &call.method,
                    attempt,
                    status,
                    headers: response.headers(),
                });
            }
            // The client is built to follow no redirect (see `ClientBuilder::build`); a 3xx is
            // answered as an error, and its `Location` is never requested.
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .map(|v| location_text(v.as_bytes()));
                return Ok::<_, reqwest::Error>(Attempt::Redirected { status, location });
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
            if !status.is_success() {
                // Only as much of an error body as the error keeps; the rest is never read.
                let (body, _) = read_body(&mut response, ERROR_BODY_LIMIT).await?;
                return Ok(Attempt::Response {
                    status,
                    retry_after,
                    body,
                });
            }
            let limit = cfg.max_response_body;
            if response
                .content_length()
                .is_some_and(|len| len > limit as u64)
            {
                return Ok(Attempt::TooLarge { status });
            }
            match read_body(&mut response, limit).await? {
                (body, true) => Ok(Attempt::Response {
                    status,
                    retry_after,
                    body,
                }),
                (_, false) => Ok(Attempt::TooLarge { status }),
            }
        };
        match tokio::time::timeout(budget, exchange).await {
            Ok(Ok(attempt)) => attempt,
            Ok(Err(error)) if error.is_timeout() && !error.is_connect() => Attempt::TimedOut,
            Ok(Err(error)) => {
                let failure = if error.is_connect() {
                    Failure::Connect
                } else {
                    Failure::Ambiguous
                };
                Attempt::Failed { failure, error }
            }
            Err(_) => Attempt::TimedOut,
        }
    }
}

/// The error of a failed attempt, or what it is built from.
enum Failed {
    Built(Error),
    /// A non-2xx answer: parsed into an [`ApiError`] only when the call ends with it, so that a
    /// retried status costs no parse and no text.
    Status {
        status: StatusCode,
        body: Bytes,
        retry_after: Option<Duration>,
        /// A 409 after an earlier attempt of a dedup create may have reached the server.
        may_have_created: bool,
    },
}

impl Failed {
    fn into_error(self, call: &Call) -> Error {
        match self {
            Failed::Built(error) => error,
            Failed::Status {
                status,
                body,
                retry_after,
                may_have_created,
            } => {
                let mut api = ApiError::from_response(call.route(), status, &body)
                    .for_call(call.name.to_string(), call.name.record);
                if may_have_created {
                    api.mark_earlier_attempt_may_have_created();
                }
                Error::from_status(api, retry_after)
            }
        }
    }

    /// The `error.type` of the attempt (see [`error_type`]).
    fn error_type(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Failed::Built(error) => error_type(error),
            Failed::Status { status, .. } => status.as_str().into(),
        }
    }
}

/// Records `http.client.request.duration` (seconds) of one attempt, by the OpenTelemetry
/// HTTP client conventions, with `buzzin.operation`; `error.type` on a failure.
#[cfg(feature = "metrics")]
fn record_attempt_duration(call: &Call, started: Instant, outcome: &Attempt) {
    let (status, error) = match outcome {
        Attempt::Response { status, .. } if status.is_success() => (Some(*status), None),
        Attempt::Response { status, .. } => (Some(*status), Some(status.as_str())),
        Attempt::Redirected { status, .. } => (Some(*status), Some("redirected")),
        Attempt::TooLarge { status } => (Some(*status), Some("response_too_large")),
        Attempt::Failed {
            failure: Failure::Connect,
            ..
        } => (None, Some("connect")),
        Attempt::Failed { .. } => (None, Some("transport")),
        Attempt::TimedOut => (None, Some("timeout")),
    };
    let mut labels = vec![
        metrics::Label::new("http.request.method", call.method.as_str().to_owned()),
        metrics::Label::new("buzzin.operation", call.operation),
    ];
    if let Some(status) = status {
        labels.push(metrics::Label::new(
            "http.response.status_code",
            status.as_str().to_owned(),
        ));
    }
    if let Some(error) = error {
        labels.push(metrics::Label::new("error.type", error.to_owned()));
    }
    metrics::histogram!("http.client.request.duration", labels)
        .record(started.elapsed().as_secs_f64());
}

/// The `error.type` of a failed attempt or call, by the OpenTelemetry conventions: the status
/// code for an answer, else a short fixed name (`timeout`, `connect`, …).
fn error_type(error: &Error) -> std::borrow::Cow<'static, str> {
    if let Some(api) = error.api_error() {
        return api.status().as_str().to_owned().into();
    }
    match error {
        Error::Timeout { .. } => "timeout",
        Error::Connect { .. } => "connect",
        Error::Transport { .. } => "transport",
        Error::Redirected { .. } => "redirected",
        Error::ResponseTooLarge { .. } => "response_too_large",
        Error::Decode(_) => "decode",
        Error::Throttled { .. } => "throttled",
        Error::MissingApiKey { .. } => "missing_api_key",
        _ => "_OTHER",
    }
    .into()
}

/// Reads at most `limit` bytes of a body, and whether that was all of it. When there is more,
/// the rest is never read (the connection is dropped with the response).
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<(Bytes, bool), reqwest::Error> {
    // A body that arrives in one chunk (the common case) is kept as it came, without a copy;
    // the chunks of a longer one are joined.
    let mut first = Bytes::new();
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(chunk) = response.chunk().await? {
        let room = limit - joined.as_ref().map_or(first.len(), bytes::BytesMut::len);
        let fits = chunk.len() <= room;
        let chunk = if fits { chunk } else { chunk.slice(..room) };
        match &mut joined {
            None if first.is_empty() => first = chunk,
            None => {
                let mut body = bytes::BytesMut::with_capacity(first.len() + chunk.len());
                body.extend_from_slice(&first);
                body.extend_from_slice(&chunk);
                joined = Some(body);
            }
            Some(body) => body.extend_from_slice(&chunk),
        }
        if !fits {
            return Ok((joined.map_or(first, bytes::BytesMut::freeze), false));
        }
    }
    Ok((joined.map_or(first, bytes::BytesMut::freeze), true))
}

/// Decodes a 2xx body; an empty body reads as `null`, or as `{}` for a record type.
pub(crate) fn decode<T: DeserializeOwned>(
    ok: &Success,
    describe: impl FnOnce() -> (String, String),
) -> Result<T, Error> {
    let body = &ok.body[..];
    if body.iter().all(u8::is_ascii_whitespace) {
        if let Ok(value) = serde_json::from_slice::<T>(b"null") {
            return Ok(value);
        }
        if let Ok(value) = serde_json::from_slice::<T>(b"{}") {
            return Ok(value);
        }
    }
    // Checking UTF-8 once for the whole body (SIMD where the CPU has it), then parsing text, is
    // cheaper than checking each string as it is read; a body that is not UTF-8 is parsed as
    // bytes, for serde_json's error (the same either way for text).
    let parsed = match simdutf8::basic::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    parsed.map_err(|e| {
        let (call, request) = describe();
        Error::Decode(Box::new(DecodeError::new(
            call, request, ok.status, &e, body,
        )))
    })
}
