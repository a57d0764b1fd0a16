//! Why a webhook extractor refused a request, and the status it answers with.

use std::fmt;

use http::StatusCode;

use super::WebhookError;

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
