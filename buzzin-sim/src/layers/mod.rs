//! The layers every request passes, in a fixed order, each a small module of its own.
//!
//! A request meets them in this order (and its answer passes them back in the reverse one):
//!
//! 1. [`connections`]: a limit on open connections, a timeout on reading a request's headers
//!    and one on an idle connection (hyper's server, before any request exists);
//! 2. [`host`]: the `Host` and authority checks (whether the dashboard's page may call without
//!    the key);
//! 3. [`key`]: the API key (`401` without a right one);
//! 4. [`body`]: the body limit (`413`);
//! 5. [`inject`]: forced answers (`x-buzzin-sim-answer`), queued faults and fault rules;
//! 6. [`logging`]: the request log;
//! 7. [`drifting`]: the drift of answers (`--drift`);
//! 8. [`changes`]: notes a possible change for the state file;
//! 9. the routes: the API's, the `/public/` files, and the nested `/_simulator` router (the
//!    control hooks and the dashboard).
//!
//! So a request without the key never reaches a fault rule (it cannot use one up), and a
//! half-sent request never reaches a route.

pub(crate) mod body;
pub(crate) mod changes;
pub(crate) mod connections;
pub(crate) mod drifting;
pub(crate) mod host;
pub(crate) mod inject;
pub(crate) mod key;
pub(crate) mod logging;

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::Router;

use crate::shared::Shared;

/// Whether a path is an API request's: neither a stored file (`/public/`) nor the simulator's
/// own (`/_simulator`). Only these are faulted, logged, drifted and recorded.
pub(crate) fn is_api(path: &str) -> bool {
    !path.starts_with("/public/") && path != "/_simulator" && !path.starts_with("/_simulator/")
}

/// `routes` inside layers 2 to 8, in their order (the last `layer` call is the outermost).
pub(crate) fn stack(routes: Router<Arc<Shared>>, shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let state = shared.clone();
    routes
        .layer(from_fn_with_state(state.clone(), changes::layer))
        .layer(from_fn_with_state(state.clone(), drifting::layer))
        .layer(from_fn_with_state(state.clone(), logging::layer))
        .layer(from_fn_with_state(state.clone(), inject::layer))
        .layer(axum::middleware::from_fn(body::layer))
        .layer(axum::extract::DefaultBodyLimit::max(body::BODY_LIMIT))
        .layer(from_fn_with_state(state.clone(), key::layer))
        .layer(from_fn_with_state(state, host::layer))
}
