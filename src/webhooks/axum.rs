//! An axum 0.8 extractor: a handler that takes a [`Delivery`] gets only verified deliveries.

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::rejection::read_capped;
use super::{Delivery, Verifier, WebhookRejection};

/// Checks the request's headers (a request without a signature or token is refused before any
/// of its body is read), reads the body (at most the verifier's
/// [`max_body_size`](Verifier::max_body_size)), verifies it with the [`Verifier`] taken from the router's
/// state, and yields the [`Delivery`].
///
/// The extractor bounds memory per request, not time: serve it with header and body timeouts
/// and a concurrency limit (see `examples/webhook_axum.rs`), or slow clients can hold
/// connections open.
///
/// The state is the verifier itself, or any state the verifier can be taken from
/// (`impl FromRef<AppState> for Verifier`). A refused request is answered with
/// [`WebhookRejection`]: 401 when it could not be shown to come from Buzz-In, 400 when its body
/// is unusable, 413 when it is too large, with a plain-text reason.
///
/// ```
/// use axum::{routing::post, Router};
/// use buzzin::webhooks::{Delivery, Event, Verifier};
///
/// async fn receive(delivery: Delivery) -> &'static str {
///     if let Event::PermitIssued(permit) = delivery.event() {
///         println!("permit {:?} issued", permit.permit_id);
///     }
///     "ok"
/// }
///
/// let app: Router = Router::new()
///     .route("/webhooks/buzzin", post(receive))
///     .with_state(Verifier::new("whsec-example"));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S> FromRequest<S> for Delivery
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let limit = verifier.body_limit();
        let (parts, body) = request.into_parts();
        verifier
            .check_headers(&parts.headers)
            .map_err(WebhookRejection::Invalid)?;
        let content_length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .map(|v| v.as_bytes());
        let bytes = read_capped(body.into_data_stream(), content_length, limit).await?;
        verifier
            .verify(&parts.headers, &bytes)
            .map_err(WebhookRejection::Invalid)
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}
