//! Layer 8: after a request that may change the records (any but `GET` and `HEAD`), notes the
//! change, so that the state file (if any) is written within its bound.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::shared::Shared;

/// Runs the request, then notes a change unless it was a `GET` or a `HEAD`.
pub(crate) async fn layer(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let changes = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let response = next.run(request).await;
    if changes {
        shared.changed();
    }
    response
}
