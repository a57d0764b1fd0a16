//! Layer 4, the body limit: a body over [`BODY_LIMIT`] (the snapshot import's own limit on its
//! route) is refused with a Feathers `413`.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::shared::respond;
use crate::state::Failure;

/// The largest request body the simulator reads: 1 MiB (a base64 NOC or trade licence fits).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// The Feathers `413` of a body over the limit.
pub(crate) fn too_large() -> Response {
    respond(Err(Failure::new(
        413,
        format!("The request body is larger than {BODY_LIMIT} bytes"),
    )))
}

/// Refuses a body whose declared length is over the limit at once, and answers axum's plain
/// `413` (a body found longer while read) as Buzz-In would.
pub(crate) async fn layer(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let own_limit = request.uri().path() == "/_simulator/snapshot";
    if !own_limit && declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return too_large();
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    response
}
