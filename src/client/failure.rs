//! What an attempt's outcome means for its call: the answer, the error that ends the call, or a
//! failure for the retry decision to weigh (with the error it ends the call with, if it does).

use std::borrow::Cow;
use std::time::Duration;

// Tokio's clock: std's unless a test pauses it.
use tokio::time::Instant;

use bytes::Bytes;
use http::StatusCode;

use super::api_error::ApiError;
use super::attempt::Attempt;
use super::body::Success;
use super::call::Call;
use super::error::TimeoutKind;
use super::retry::{Failure, Outcome, RetryClass};
use super::telemetry::error_type;
use crate::Error;

/// Where the call stands when an attempt ends.
pub(crate) struct Progress {
    /// When the call started.
    pub(crate) started: Instant,
    /// The attempt, from 1.
    pub(crate) attempt: u32,
    /// Whether an earlier attempt may have reached the server.
    pub(crate) reached_server: bool,
    /// Which limit the attempt's time budget was: its own timeout or the call's deadline.
    pub(crate) timeout_kind: TimeoutKind,
    /// The largest 2xx body read.
    pub(crate) max_response_body: usize,
}

/// What one attempt's outcome means for the call.
pub(crate) enum Verdict {
    /// A 2xx: the call's answer.
    Answered(Success),
    /// An error no retry can change (a redirect, a body over the limit).
    Ended(Error),
    /// A failure the retry decision weighs, and the error the call ends with if it is not
    /// retried.
    Failed(Outcome, Pending),
}

/// Judges attempt `outcome` of `call`.
pub(crate) fn judge(call: &Call, progress: &Progress, outcome: Attempt) -> Verdict {
    match outcome {
        Attempt::Redirected { status, location } => Verdict::Ended(Error::Redirected {
            request: call.describe(),
            status,
            location,
        }),
        Attempt::TooLarge { status } => Verdict::Ended(Error::ResponseTooLarge {
            request: call.describe(),
            status,
            limit: progress.max_response_body,
        }),
        Attempt::Response { status, body, .. } if status.is_success() => {
            Verdict::Answered(Success { status, body })
        }
        Attempt::Response {
            status,
            body,
            retry_after,
        } => {
            let outcome = Outcome {
                failure: Failure::Status(status),
                retry_after,
            };
            // The error is built (the body parsed) only if the call ends with it.
            let pending = Pending::Status {
                status,
                body,
                retry_after: outcome.honoured_retry_after(),
                may_have_created: status == StatusCode::CONFLICT
                    && call.class == RetryClass::Dedup
                    && progress.reached_server,
            };
            Verdict::Failed(outcome, pending)
        }
        Attempt::Transport { failure, error } => {
            // The request is named by method and path; the URL (and any query) is not
            // repeated in the source.
            let source = Box::new(error.without_url());
            let (request, endpoint) = (call.describe(), call.endpoint());
            let error = match failure {
                Failure::Connect => Error::Connect {
                    request,
                    endpoint,
                    source,
                },
                _ => Error::Transport {
                    request,
                    endpoint,
                    source,
                },
            };
            Verdict::Failed(outcome_of(failure), Pending::Built(error))
        }
        Attempt::TimedOut => {
            let error = Error::Timeout {
                request: call.describe(),
                elapsed: progress.started.elapsed(),
                kind: progress.timeout_kind,
                attempts: progress.attempt,
            };
            Verdict::Failed(outcome_of(Failure::Ambiguous), Pending::Built(error))
        }
    }
}

/// The outcome of an attempt that got no answer.
fn outcome_of(failure: Failure) -> Outcome {
    Outcome {
        failure,
        retry_after: None,
    }
}

/// The error a failed attempt ends its call with, or what it is built from.
pub(crate) enum Pending {
    /// Built already (a transport failure, a timeout).
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

impl Pending {
    /// The error, built.
    pub(crate) fn into_error(self, call: &Call) -> Error {
        match self {
            Pending::Built(error) => error,
            Pending::Status {
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
    pub(crate) fn error_type(&self) -> Cow<'_, str> {
        match self {
            Pending::Built(error) => error_type(error),
            Pending::Status { status, .. } => status.as_str().into(),
        }
    }
}
