//! The `/public/` files: the QR images and documents given to the API, served so that nothing
//! from the simulator's origin may run as a page.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;

use crate::shared::{respond, Shared};
use crate::state::Failure;

type S = State<Arc<Shared>>;

/// Serves a stored file. Nothing from the simulator's origin may run as a page of it (a page
/// there could call the dashboard's hooks): only [`INLINE_TYPES`] are served as what they are;
/// anything else, SVG and HTML included, is an `application/octet-stream` attachment. Every
/// answer carries `nosniff` and a CSP sandbox with no sources.
pub(crate) async fn public_file(State(s): S, Path(path): Path<String>) -> Response {
    let stored = s.guarded(false, |records| records.files.get(&path).cloned());
    let mut response = match stored {
        Err(failure) => respond(Err(failure)),
        Ok(None) => respond(Err(Failure::not_found("File not found"))),
        Ok(Some((mime, bytes))) => {
            let mut response = Response::new(Body::from(bytes));
            let headers = response.headers_mut();
            match inline_type(&mime) {
                Some(inline) => {
                    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(inline));
                }
                None => {
                    headers.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    );
                    headers.insert(
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_static("attachment"),
                    );
                }
            }
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PUBLIC_FILE_POLICY),
    );
    response
}

/// The media types a stored file is served as, inline; any other is an attachment.
pub(crate) const INLINE_TYPES: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

/// The policy of every `/public/` answer: no script, no plugin, no fetch, a unique origin.
const PUBLIC_FILE_POLICY: &str = "sandbox; default-src 'none'";

/// The allowed inline type that `mime` names (case and parameters aside), if any.
fn inline_type(mime: &str) -> Option<&'static str> {
    let essence = mime.split(';').next().unwrap_or("").trim();
    INLINE_TYPES
        .into_iter()
        .find(|allowed| allowed.eq_ignore_ascii_case(essence))
}
