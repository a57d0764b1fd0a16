//! Receiving Buzz-In webhooks: check that a delivery really comes from Buzz-In, then read it.
//!
//! A [`Verifier`] holds the endpoint's secret (or secrets, while one is being rotated) and checks
//! each request by the scheme the request carries (see [`Authentication`]):
//!
//! - **HMAC signature** — `buzzin-signature` and `buzzin-signature-timestamp` (Unix time in
//!   milliseconds): HMAC-SHA256 keyed with the secret over `<timestamp>-<raw body>`, compared in
//!   constant time; a timestamp further than the [tolerance](Verifier::tolerance) from now, in
//!   either direction, is rejected. Documented for the visitor-management webhooks. Assumed:
//!   that the work-permit events may carry it too (their page lists only the token scheme's
//!   headers), so either scheme is accepted on every event; the documentation does not state
//!   the signature's encoding: hex in either case and standard base64 are accepted, and the
//!   decoded value must be exactly 32 bytes.
//! - **Token** — `X-Buzzin-Token`: the endpoint's secret sent as is, compared in constant time.
//! - **Neither** — rejected, unless the verifier was built with [`Verifier::insecure_unsigned`]
//!   for an endpoint configured without a secret.
//!
//! Header names are matched case-insensitively. Headers are read through [`RequestHeaders`],
//! implemented for `http` 1.x `HeaderMap`, for `http` 0.2 `HeaderMap` (feature `http02`) and for
//! plain `(name, value)` slices, so the verifier is tied to no one `http` major version.
//!
//! Once verified, the body is parsed once, straight into a typed [`Event`] inside a [`Delivery`].
//! Buzz-In delivers at least once: the [`store`] module, the exactly-once layer, has each
//! delivery handled to completion once, even when a handler crashes half-way, through a
//! [`DeliveryStore`](store::DeliveryStore) (in memory, or on Redis or PostgreSQL, shared by
//! several receivers). With the `axum` feature, a handler that takes a [`Delivery`] argument
//! receives only verified deliveries (see `WebhookRejection` and `examples/webhook_axum.rs`); the
//! `actix` feature does the same for actix-web 4 (`examples/webhook_actix.rs`).
//!
//! ```
//! use std::time::Duration;
//! use buzzin::webhooks::{sign, Event, Verifier};
//! use buzzin::webhooks::store::MemoryStore;
//! # fn now_ms() -> u64 { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64 }
//!
//! // What Buzz-In sends (here signed with `sign`, as a test or a simulator would).
//! let body = br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.issued",
//!     "communityId":"6840270a99ca91002185fcd6","createdAt":"2026-06-29T10:15:00.000Z",
//!     "data":{"permitId":"66f0a1b2c3d4e5f600000abc","status":1,"passNumber":"WP-002391"}}"#;
//! let timestamp = now_ms();
//! let signature = sign("whsec-example", timestamp, body);
//! let timestamp = timestamp.to_string();
//! let headers = [
//!     ("Buzzin-Signature", signature.as_str()),
//!     ("Buzzin-Signature-Timestamp", timestamp.as_str()),
//!     ("X-Buzzin-Event", "passes.permits.issued"),
//!     ("X-Buzzin-Delivery", "dlv-1"),
//! ];
//!
//! // What the receiver does: verify, then handle the delivery once (feature `handle-once`,
//! // which `axum`, `actix`, `redis` and `postgres` enable).
//! let verifier = Verifier::new("whsec-example");
//! let store = MemoryStore::new();
//! let delivery = verifier.verify(&headers, body)?;
//! assert_eq!(delivery.delivery_id(), Some("dlv-1"));
//! # #[cfg(feature = "handle-once")]
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! use buzzin::webhooks::store::{handle_once, Outcome};
//!
//! let key = delivery.dedup_key();
//! let outcome = handle_once(&store, &key, Duration::from_secs(30), |_lease| async {
//!     match delivery.event() {
//!         Event::PermitIssued(permit) => {
//!             assert_eq!(permit.pass_number.as_deref(), Some("WP-002391"));
//!         }
//!         Event::Unknown { name, .. } => println!("not known to this SDK version: {name}"),
//!         other => println!("{}", other.name()),
//!     }
//!     Ok::<(), std::io::Error>(()) // an error releases the delivery for Buzz-In's retry
//! })
//! .await;
//! assert!(matches!(outcome, Outcome::Handled));
//! assert_eq!(outcome.status(), 200); // the status to answer Buzz-In with
//!
//! // A repeat of the delivery is acknowledged without being handled again.
//! let repeat = handle_once(&store, &key, Duration::from_secs(30), |_lease| async {
//!     Ok::<(), std::io::Error>(())
//! })
//! .await;
//! assert!(matches!(repeat, Outcome::AlreadyDone));
//! # });
//!
//! // Anyone without the secret is turned away.
//! assert!(Verifier::new("another-secret").verify(&headers, body).is_err());
//! # let _ = (&store, Duration::ZERO, |e: &Event| e.name().len());
//! # Ok::<(), buzzin::webhooks::WebhookError>(())
//! ```

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
mod delivery;
mod envelope;
mod error;
mod headers;
mod observe;
#[cfg(any(feature = "axum", feature = "actix"))]
mod rejection;
mod signature;
pub mod store;
mod verifier;

pub use crate::models::generated::events::Event;
pub use delivery::{Authentication, Delivery, MAX_DEDUP_KEY_LEN};
pub use error::WebhookError;
pub use headers::RequestHeaders;
pub use observe::delivery_span;
#[cfg(any(feature = "axum", feature = "actix"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "axum", feature = "actix"))))]
pub use rejection::WebhookRejection;
pub use signature::sign;
pub use verifier::Verifier;

/// The names of the headers Buzz-In sends with a webhook delivery (lowercase; matched
/// case-insensitively).
pub mod header {
    /// The HMAC-SHA256 signature of `<timestamp>-<raw body>` (visitor-management webhooks).
    /// Assumed: the work-permit event page lists only `X-Buzzin-Event`, `X-Buzzin-Delivery`
    /// and `X-Buzzin-Token`, so whether permit deliveries carry it is not stated; the verifier
    /// accepts either scheme.
    pub const SIGNATURE: &str = "buzzin-signature";
    /// The signing time, Unix time in milliseconds (visitor-management webhooks). Assumed, as
    /// for [`SIGNATURE`], on permit deliveries.
    pub const SIGNATURE_TIMESTAMP: &str = "buzzin-signature-timestamp";
    /// The endpoint's secret sent as is (work-permit deliveries to an endpoint with a secret).
    pub const TOKEN: &str = "x-buzzin-token";
    /// The event name, such as `passes.permits.issued`.
    pub const EVENT: &str = "x-buzzin-event";
    /// The delivery id.
    ///
    /// No signature covers it, so it is informational only: dedup keys come from the envelope
    /// (see [`Delivery::dedup_key`](super::Delivery::dedup_key)).
    pub const DELIVERY: &str = "x-buzzin-delivery";
}
