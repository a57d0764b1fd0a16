//! Layer 4, the body limit: a body over [`BODY_LIMIT`](crate::shared::BODY_LIMIT) (the snapshot import's own limit on its
//! route) is refused with a Feathers `413`.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::shared::too_large;
pub(crate) use crate::shared::BODY_LIMIT;

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
