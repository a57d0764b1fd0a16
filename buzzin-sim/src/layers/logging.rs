//! Layer 6, the request log: every API request, with its answer (as the client gets it) and the
//! fault it got, if any (see [`Simulator::requests`](crate::Simulator::requests)).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::Response;

use crate::log::Fault;
use crate::shared::{respond, Shared};
use crate::state::Failure;

/// The fault a request passed the fault layer with (a delay, an effect whose answer is lost),
/// for the log: set by [`inject`](super::inject), which sits further out and calls
/// [`record`] itself for the answers it forces.
#[derive(Clone, Debug)]
pub(crate) struct Injected(pub Fault);

/// The longest answer the log reads whole (a recorded upstream answer is capped below it).
const ANSWER_LIMIT: usize = 64 * 1024 * 1024;

/// Logs `answer` to the request `method uri` with `fault`, and gives it back.
pub(crate) async fn record(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    answer: Response,
    fault: Option<Fault>,
) -> Response {
    let (parts, body) = answer.into_parts();
    let bytes = axum::body::to_bytes(body, ANSWER_LIMIT)
        .await
        .unwrap_or_default();
    shared
        .requests
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(method, uri, parts.status.as_u16(), &bytes, fault);
    Response::from_parts(parts, Body::from(bytes))
}

/// Runs an API request and logs its answer; one that passed with a lost answer
/// ([`Fault::ServerErrorAfterEffect`]) takes effect and is answered `500`.
pub(crate) async fn layer(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    if !super::is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let fault = request.extensions().get::<Injected>().map(|i| i.0.clone());
    let mut answer = next.run(request).await;
    if fault == Some(Fault::ServerErrorAfterEffect) {
        answer = respond(Err(Failure::new(500, "Injected server error")));
    }
    record(&shared, &method, &uri, answer, fault).await
}
