//! An actix-web 4 extractor: a handler that takes a [`Delivery`] gets only verified deliveries.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use super::rejection::read_capped;
use super::{Delivery, RequestHeaders, Verifier, WebhookError, WebhookRejection};

/// Checks the request's headers (a request without a signature or token is refused before any
/// of its body is read), reads the body (at most the verifier's
/// [`max_body_size`](Verifier::max_body_size)), verifies it and yields the [`Delivery`].
///
/// The verifier is taken from the app data, as `web::Data<Verifier>` or a plain `Verifier`. A
/// refused request is answered with [`WebhookRejection`]: 401 when it could not be shown to come
/// from Buzz-In, 400 when its body is unusable, 413 when it is too large, with a plain-text
/// reason; 500 when no verifier was registered. Bound time as well as memory: set the server's
/// `client_request_timeout` and limit concurrency (see `examples/webhook_actix.rs`).
///
/// ```
/// use actix_web::{web, App};
/// use buzzin::webhooks::{Delivery, Event, Verifier};
///
/// async fn receive(delivery: Delivery) -> &'static str {
///     if let Event::PermitIssued(permit) = delivery.event() {
///         println!("permit {:?} issued", permit.permit_id);
///     }
///     "ok"
/// }
///
/// let app = App::new()
///     .app_data(web::Data::new(Verifier::new("whsec-example")))
///     .route("/webhooks/buzzin", web::post().to(receive));
/// # let _ = app;
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl FromRequest for Delivery {
    type Error = WebhookRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Delivery, WebhookRejection>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let verifier = request
            .app_data::<web::Data<Verifier>>()
            .map(|data| Verifier::clone(data))
            .or_else(|| request.app_data::<Verifier>().cloned());
        let headers = request.headers().clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let verifier = verifier.ok_or(WebhookRejection::Invalid(WebhookError::NoSecret))?;
            verifier
                .check_headers(&headers)
                .map_err(WebhookRejection::Invalid)?;
            let content_length = headers.get(header::CONTENT_LENGTH).map(|v| v.as_bytes());
            let bytes = read_capped(&mut payload, content_length, verifier.body_limit()).await?;
            verifier
                .verify(&headers, &bytes)
                .map_err(WebhookRejection::Invalid)
        })
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl ResponseError for WebhookRejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

/// actix-web's own header map (feature `actix`).
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl RequestHeaders for HeaderMap {
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for value in self.get_all(name) {
            visit(value.as_bytes());
        }
    }
}
