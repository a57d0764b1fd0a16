//! Layer 2, the `Host` and authority checks: whether a request is the dashboard's page calling
//! from a loopback address by a loopback name, the one case that needs no API key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::dashboard;
use crate::shared::Shared;

/// Marks a request that may go without the API key: a dashboard file, or a call of the
/// dashboard's page on a loopback simulator, addressed by a loopback name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpensWithoutKey;

/// Checks the `Host` header and an absolute-form target's authority (see
/// [`dashboard::opens_without_key`]) and marks the request when it may go without the key.
pub(crate) async fn layer(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    if shared.control_api && dashboard::opens_without_key(&shared, &request) {
        request.extensions_mut().insert(OpensWithoutKey);
    }
    next.run(request).await
}
