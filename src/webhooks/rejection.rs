//! Why a webhook extractor refused a request, and the status it answers with.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;

use futures_core::Stream;
use http::StatusCode;

use super::WebhookError;

/// Reads a request body of at most `limit` bytes from its `chunks`, for either framework's
/// extractor: a declared `Content-Length` over the limit is refused before anything is read,
/// and reading stops as soon as the limit is passed.
pub(crate) async fn read_capped<S, B, E>(
    mut chunks: S,
    content_length: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<u8>, WebhookRejection>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: fmt::Display,
{
    let too_large = || WebhookRejection::Invalid(WebhookError::BodyTooLarge { limit });
    let declared = content_length
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |len| len as usize));
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut chunks).poll_next(cx)).await {
        let chunk = chunk.map_err(|e| WebhookRejection::BodyUnreadable(e.to_string()))?;
        let chunk = chunk.as_ref();
        if bytes.len() + chunk.len() > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(chunk);
    }
    Ok(bytes)
}

/// Why the [`Delivery`](super::Delivery) extractor (axum or actix-web) refused a request;
/// answers with a status and a plain-text reason (never a secret).
#[cfg_attr(docsrs, doc(cfg(any(feature = "axum", feature = "actix"))))]
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The verifier refused the request.
    Invalid(WebhookError),
    /// The body could not be read (the connection failed while it was being sent).
    BodyUnreadable(String),
}

impl WebhookRejection {
    /// The status the rejection answers with: 401 for an authentication failure, 413 for a body
    /// over the limit, 500 for a verifier without a secret, 400 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(e) if e.is_authentication_failure() => StatusCode::UNAUTHORIZED,
            Self::Invalid(WebhookError::BodyTooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Invalid(WebhookError::NoSecret) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Invalid(_) | Self::BodyUnreadable(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "webhook rejected: {e}"),
            Self::BodyUnreadable(e) => {
                write!(f, "webhook rejected: the body could not be read: {e}")
            }
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Invalid(e) => Some(e),
            Self::BodyUnreadable(_) => None,
        }
    }
}
