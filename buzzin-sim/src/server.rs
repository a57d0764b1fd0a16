//! The simulator's router: the routes (the API's, the `/public/` files, and, with the control
//! API, the nested `/_simulator` router of the control hooks and the dashboard) inside the
//! [layers](crate::layers), in their order.

use std::sync::Arc;

use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::shared::{respond, Shared};
use crate::state::Failure;
use crate::{control, dashboard, layers, public, routes};

/// The whole router of a simulator.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut app = routes::api().route("/public/{*path}", get(public::public_file));
    if shared.control_api {
        let simulator = control::router(routes::operation_ids()).merge(dashboard::router());
        app = app
            .nest("/_simulator", simulator)
            .route("/_simulator/", dashboard::page());
    }
    let app = app
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    layers::stack(app, &shared).with_state(shared)
}

async fn not_found() -> Response {
    respond(Err(Failure::not_found("Page not found")))
}

async fn method_not_allowed() -> Response {
    respond(Err(Failure::new(405, "Method not allowed")))
}
