//! Layer 5, injected failures: a forced answer (`x-buzzin-sim-answer`), the next queued fault
//! ([`fail_next`](crate::Simulator::fail_next)), or the first fault rule that fires. API
//! requests only, and only those the key layer let through.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::logging::Injected;
use crate::log::Fault;
use crate::shared::{respond, Shared};
use crate::state::Failure;

/// The simulator's own header that forces one answer: `x-buzzin-sim-answer: 503` answers that
/// request with a Feathers `503` and no effect. The SDK never sends it (no Buzz-In header has
/// this name); a test sends it through [`buzzin::Client::request`]'s `header`, or any HTTP client.
pub(crate) const FORCE_ANSWER_HEADER: &str = "x-buzzin-sim-answer";

/// The fault a request gets: its `x-buzzin-sim-answer` header (a `400` when the header is not a
/// status from 400 to 599), else the next queued fault, else the first fault rule that fires.
fn fault_of(shared: &Shared, request: &Request) -> Result<Option<Fault>, Failure> {
    if let Some(value) = request.headers().get(FORCE_ANSWER_HEADER) {
        return match value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
        {
            Some(status) if (400..=599).contains(&status) => Ok(Some(Fault::Status(status))),
            _ => Err(Failure::bad_request(format!(
                "`{FORCE_ANSWER_HEADER}` must be a status from 400 to 599"
            ))),
        };
    }
    let queued = shared
        .faults
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop_front();
    if queued.is_some() {
        return Ok(queued);
    }
    let mut rules = shared
        .fault_rules
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if rules.is_empty() {
        return Ok(None);
    }
    let path = request.uri().path();
    Ok(rules.fire(crate::routes::operation_of(request.method(), path), path))
}

/// A body that fails at once: hyper then drops the connection without an answer.
struct ResetBody;

impl futures_core::Stream for ResetBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))))
    }
}

/// Answers an API request with its fault when it has one (logging that answer itself: the log
/// layer is further in), or passes it on, marked [`Injected`] when a delay or a lost answer
/// lets it through.
pub(crate) async fn layer(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !super::is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let fault = match fault_of(&shared, &request) {
        Ok(fault) => fault,
        Err(refusal) => {
            let answer = respond(Err(refusal));
            return super::logging::record(&shared, request.method(), request.uri(), answer, None)
                .await;
        }
    };
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    let answer = match &fault {
        Fault::ServerError => respond(Err(Failure::new(500, "Injected server error"))),
        Fault::Status(status) => respond(Err(Failure::new(
            *status,
            format!("Injected {status} (a simulator fault)"),
        ))),
        Fault::TooManyRequests { retry_after } => {
            let mut response = respond(Err(Failure::new(429, "Too many requests")));
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Fault::Reset => {
            shared
                .requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(request.method(), request.uri(), 0, b"", Some(fault));
            let mut response = Response::new(Body::from_stream(ResetBody));
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Fault::Delay(delay) => {
            tokio::time::sleep(*delay).await;
            request.extensions_mut().insert(Injected(fault));
            return next.run(request).await;
        }
        Fault::ServerErrorAfterEffect => {
            request.extensions_mut().insert(Injected(fault));
            return next.run(request).await;
        }
    };
    super::logging::record(
        &shared,
        request.method(),
        request.uri(),
        answer,
        Some(fault),
    )
    .await
}
