//! What a webhook request's authentication alone comes to, read from `Verifier::verify`.

use std::time::SystemTime;

use buzzin::webhooks::{header, Authentication, Delivery, RequestHeaders, Verifier, WebhookError};

/// The scheme that authenticated a request, or the error that refused it before or while it
/// was authenticated, from what `verify` (or `verify_at`) answered for it.
///
/// `verify` authenticates the request before it reads the body, so an error it gives after
/// that (a body that is not JSON or not an envelope, event data that does not fit, an event
/// header that is malformed or differs from the body) means the request was authenticated: by
/// the signature when it has a signature header, else by its token, else (an unsigned
/// verifier) by none.
pub fn authentication<H: RequestHeaders + ?Sized>(
    headers: &H,
    verified: Result<Delivery, WebhookError>,
) -> Result<Authentication, WebhookError> {
    match verified {
        Ok(delivery) => Ok(delivery.authentication()),
        Err(error)
            if error.is_authentication_failure()
                || matches!(
                    error,
                    WebhookError::NoSecret | WebhookError::BodyTooLarge { .. }
                ) =>
        {
            Err(error)
        }
        Err(_) => {
            let has = |name: &str| {
                let mut any = false;
                headers.visit_values(name, &mut |_| any = true);
                any
            };
            Ok(
                if has(header::SIGNATURE) || has(header::SIGNATURE_TIMESTAMP) {
                    Authentication::Signature
                } else if has(header::TOKEN) {
                    Authentication::Token
                } else {
                    Authentication::Unsigned
                },
            )
        }
    }
}

/// [`authentication`] as methods of the verifier, for tests of the schemes themselves.
pub trait Authenticate {
    /// What `verify` says of the request's authentication (see [`authentication`]).
    fn authenticate<H: RequestHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Authentication, WebhookError>;

    /// What `verify_at` says of the request's authentication at `now`.
    fn authenticate_at<H: RequestHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Authentication, WebhookError>;
}

impl Authenticate for Verifier {
    fn authenticate<H: RequestHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Authentication, WebhookError> {
        authentication(headers, self.verify(headers, body))
    }

    fn authenticate_at<H: RequestHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Authentication, WebhookError> {
        authentication(headers, self.verify_at(headers, body, now))
    }
}
