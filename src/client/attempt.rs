//! One attempt: the request as sent (headers, hooks, body), and its answer read within the
//! attempt's time budget.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT};
use http::StatusCode;

use super::api_error::location_text;
use super::body::{read_body, ERROR_BODY_LIMIT};
use super::call::Call;
use super::hook::{AttemptRequest, AttemptResponse};
use super::retry::Failure;
use super::retry_after::parse_retry_after;
use super::Client;

/// The outcome of one attempt.
pub(crate) enum Attempt {
    /// An answer that was read: a 2xx (whole), or an error status (up to
    /// [`ERROR_BODY_LIMIT`]).
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
    TooLarge { status: StatusCode },
    /// No answer: the connection could not be made, or broke.
    Transport {
        failure: Failure,
        error: reqwest::Error,
    },
    /// No answer within the attempt's budget.
    TimedOut,
}

impl Attempt {
    /// The answer's status, and the `error.type` of a failed attempt, by the OpenTelemetry
    /// conventions (the status code for an answer, else a short fixed name).
    pub(crate) fn labels(&self) -> (Option<StatusCode>, Option<&str>) {
        match self {
            Attempt::Response { status, .. } if status.is_success() => (Some(*status), None),
            Attempt::Response { status, .. } => (Some(*status), Some(status.as_str())),
            Attempt::Redirected { status, .. } => (Some(*status), Some("redirected")),
            Attempt::TooLarge { status } => (Some(*status), Some("response_too_large")),
            Attempt::Transport {
                failure: Failure::Connect,
                ..
            } => (None, Some("connect")),
            Attempt::Transport { .. } => (None, Some("transport")),
            Attempt::TimedOut => (None, Some("timeout")),
        }
    }
}

impl Client {
    /// One attempt: send, read the whole body, all within `budget`.
    pub(crate) async fn attempt(&self, call: &Call, attempt: u32, budget: Duration) -> Attempt {
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
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
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
                Attempt::Transport { failure, error }
            }
            Err(_) => Attempt::TimedOut,
        }
    }
}
