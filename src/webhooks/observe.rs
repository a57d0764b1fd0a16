//! What a receiver records of a delivery: the [`delivery_span`], and its verification.
//!
//! [`Verifier::verify`](super::Verifier::verify) fills the span's event and verification fields
//! (and, feature `metrics`, counts the failures); `handle_once` records its claim in the same
//! span (and counts the claims) itself.
//!
//! Nothing recorded holds a secret, a header's value, the body or personal data: the event's
//! name and fixed outcome names only.

use super::delivery::Delivery;
use super::error::WebhookError;

/// The span of one delivery, for the receiver to run its whole handling in: the verifier
/// records `buzzin.event` and `buzzin.webhook.verification` (`verified`, or the failure's
/// [`reason`](WebhookError::reason)) on it, `handle_once` records `buzzin.webhook.claim`
/// (`new`, `done`, `in_progress`, `store_failed`) and `buzzin.webhook.outcome`. Both record on
/// the current span, so they must run inside it (`.instrument(delivery_span())`, or
/// `delivery_span().in_scope(..)`).
///
/// ```
/// use buzzin::webhooks::{delivery_span, Verifier};
///
/// let body = br#"{"event":"communityContractors.approved","createdAt":"2026-07-01T06:00:00.000Z",
///     "data":{"_id":"66f0a1b2c3d4e5f600000001","approved":true}}"#;
/// let headers = [("X-Buzzin-Token", "whsec-example")];
/// let verifier = Verifier::new("whsec-example");
/// let delivery = delivery_span().in_scope(|| verifier.verify(&headers, body))?;
/// assert_eq!(delivery.event_name(), "communityContractors.approved");
/// # Ok::<(), buzzin::webhooks::WebhookError>(())
/// ```
pub fn delivery_span() -> tracing::Span {
    tracing::info_span!(
        "buzzin.delivery",
        otel.name = "buzzin.delivery",
        otel.kind = "consumer",
        buzzin.event = tracing::field::Empty,
        buzzin.webhook.verification = tracing::field::Empty,
        buzzin.webhook.claim = tracing::field::Empty,
        buzzin.webhook.outcome = tracing::field::Empty,
    )
}

/// Records a verification's outcome on the current span (and counts a failure).
pub(crate) fn verified(result: &Result<Delivery, WebhookError>) {
    let span = tracing::Span::current();
    match result {
        Ok(delivery) => {
            span.record("buzzin.event", delivery.event_name());
            span.record("buzzin.webhook.verification", "verified");
        }
        Err(error) => {
            span.record("buzzin.webhook.verification", error.reason());
            #[cfg(feature = "metrics")]
            metrics::counter!(
                "buzzin.webhook.verification.failures",
                "reason" => error.reason()
            )
            .increment(1);
        }
    }
}
