//! Layer 3, the API key: a request without the right key gets a Feathers `401` here, before
//! anything else of the simulator sees it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::host::OpensWithoutKey;
use crate::shared::{respond, sent_key, Shared, Upstream};
use crate::state::Failure;

/// The message of the `401` a request without any key gets. Assumed: Buzz-In's documentation
/// names only "`401 Unauthorized` for a bad key", not the wording of a missing one; this is the
/// simulator's own.
pub(crate) const MISSING_KEY_MESSAGE: &str =
    "No API key: send it as `x-api-key: <key>` or `Authorization: Bearer <key>`";

/// The message of the `401` a wrong key gets.
pub(crate) const WRONG_KEY_MESSAGE: &str = "Invalid API key";

/// Whether a request carries an API key at all (`x-api-key`, or an `Authorization` header):
/// a missing key and a wrong one get different messages.
fn sends_a_key(request: &Request) -> bool {
    let headers = request.headers();
    headers.contains_key("x-api-key") || headers.contains_key(header::AUTHORIZATION)
}

/// Whether a request sends the simulator's key: as `x-api-key`, or as `Authorization: Bearer`
/// (the scheme's name in any case, RFC 9110 §11.1).
fn authorized(shared: &Shared, request: &Request) -> bool {
    let headers = request.headers();
    let key = shared.api_key.as_bytes();
    if headers.get("x-api-key").map(HeaderValue::as_bytes) == Some(key) {
        return true;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, sent)| {
            scheme.eq_ignore_ascii_case("bearer") && sent.trim().as_bytes() == key
        })
}

/// An NFC visit (`POST /visits`) sent with no key at all: the tag's `deviceSecret` is its
/// proof. Assumed: the documentation's NFC page shows no key and no `401`, and a resident's app
/// holds no community key; a key that is sent must still be the right one.
fn keyless_nfc_visit(request: &Request) -> bool {
    request.method() == axum::http::Method::POST
        && request.uri().path() == "/visits"
        && !sends_a_key(request)
}

/// Lets through: a stored file (`/public/`, no data of the account), a keyless NFC visit,
/// `/_simulator` when there is no control API (nothing is there), a request the
/// [`host`](super::host) layer marked, a replayed API request (a cassette holds no key), an API
/// request with a key when recording (the upstream checks it), and a request with the right
/// key; answers `401` to any other.
pub(crate) async fn layer(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let api = super::is_api(path);
    // Without the control API there is nothing under `/_simulator`: its `404` needs no key.
    let through = path.starts_with("/public/")
        || (!api && !shared.control_api)
        || request.extensions().get::<OpensWithoutKey>().is_some()
        || match (&shared.upstream, api) {
            (Some(Upstream::Replay(_)), true) => true,
            // Recorded requests carry a key (the cassette's promise): the upstream checks it.
            (None, true) if keyless_nfc_visit(&request) => true,
            (Some(Upstream::Record { .. }), true) => {
                sent_key(&request).is_some_and(|k| !k.is_empty())
            }
            _ => authorized(&shared, &request),
        };
    if through {
        return next.run(request).await;
    }
    let message = if sends_a_key(&request) {
        WRONG_KEY_MESSAGE
    } else {
        MISSING_KEY_MESSAGE
    };
    respond(Err(Failure::new(401, message)))
}
