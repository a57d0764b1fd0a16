//! A verified delivery: its event, the envelope's fields, how it was authenticated, and the key
//! that identifies it for deduplication.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::models::generated::events::Event;
use crate::models::{CommunityId, Timestamp, WebhookEventId};

/// The scheme by which a verified delivery was authenticated. Serialized in lower case
/// (`"signature"`, `"token"`, `"unsigned"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Authentication {
    /// An HMAC-SHA256 signature (`buzzin-signature`) over the timestamp and the body.
    Signature,
    /// The endpoint's secret sent as is (`x-buzzin-token`). Assures the sender knows the secret,
    /// not that the body is unchanged.
    Token,
    /// Not authenticated: the verifier was built with
    /// [`Verifier::insecure_unsigned`](super::Verifier::insecure_unsigned).
    Unsigned,
}

/// A verified webhook delivery: the event, its envelope and the delivery headers.
///
/// Made by [`Verifier::verify`](super::Verifier::verify).
///
/// A delivery serializes, so that a receiver can acknowledge it at once and handle it later
/// from a queue, and reads back equal (in JSON, with `serde_json`):
/// `{"deliveryId", "authentication", "bodySha256"?, "envelope": {"id", "event", "communityId",
/// "createdAt", "data", …}}`. Reading one back **trusts the text**: it is how a delivery you
/// verified comes back from your own queue, never a way to accept one from the network (use
/// the [`Verifier`](super::Verifier) for that).
///
/// ```
/// use buzzin::webhooks::{Delivery, Verifier};
///
/// let body = br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.expired","data":{"permitId":"66f0a1b2c3d4e5f600000abc"}}"#;
/// let delivery = Verifier::insecure_unsigned().verify(&[("X-Buzzin-Delivery", "d-7")], body)?;
/// let queued = serde_json::to_string(&delivery)?;
/// let back: Delivery = serde_json::from_str(&queued)?;
/// assert_eq!(back, delivery);
/// assert_eq!(back.dedup_key(), delivery.dedup_key());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Assumed: the documentation does not state which envelope fields are always present. Only
/// `event` and `data` are required here; `id`, `communityId` and `createdAt` are optional, and
/// envelope fields the SDK does not know are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Boxed: a `Delivery` is moved several times on its way out of the parse, and the event
    /// is most of its size.
    pub(super) event: Box<Event>,
    pub(super) id: Option<WebhookEventId>,
    pub(super) community_id: Option<CommunityId>,
    pub(super) created_at: Option<Timestamp>,
    pub(super) delivery_id: Option<String>,
    pub(super) authentication: Authentication,
    pub(super) extra: Map<String, Value>,
    /// SHA-256 of the body, kept only when the envelope has no `id` (the dedup key then).
    pub(super) body_digest: Option<[u8; 32]>,
    /// The id of the secret that verified it (none for an unsigned verifier): the dedup key's
    /// scope, so that two tenants' deliveries never share a key.
    pub(super) secret_id: Option<SecretId>,
}

/// A short one-way id of a verifier's secret (the first 8 bytes of a domain-separated
/// SHA-256 of it): tells which secret verified a delivery, and reveals nothing of it.
pub(crate) type SecretId = [u8; 8];

/// The longest key [`Delivery::dedup_key`] returns, in bytes: a store's memory is bounded by
/// bytes, not only by the number of keys.
pub const MAX_DEDUP_KEY_LEN: usize = 17 + 6 + MAX_ID_IN_KEY;

/// The longest envelope id written into a dedup key as is; a longer one is hashed.
const MAX_ID_IN_KEY: usize = 128;

impl Delivery {
    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The event, taking it out of the delivery.
    pub fn into_event(self) -> Event {
        *self.event
    }

    /// The event's name, such as `passes.permits.issued`.
    pub fn event_name(&self) -> &str {
        self.event.name()
    }

    /// The envelope's `id`: the id of the event.
    pub fn id(&self) -> Option<&WebhookEventId> {
        self.id.as_ref()
    }

    /// The envelope's `communityId`.
    pub fn community_id(&self) -> Option<&CommunityId> {
        self.community_id.as_ref()
    }

    /// The envelope's `createdAt`: when the event happened.
    pub fn created_at(&self) -> Option<&Timestamp> {
        self.created_at.as_ref()
    }

    /// The `X-Buzzin-Delivery` header, when the request carried a non-empty one.
    pub fn delivery_id(&self) -> Option<&str> {
        self.delivery_id.as_deref()
    }

    /// How the delivery was authenticated.
    pub fn authentication(&self) -> Authentication {
        self.authentication
    }

    /// Envelope fields beside `id`, `event`, `communityId`, `createdAt` and `data`, as sent.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// The key under which a [`DeliveryStore`](super::store::DeliveryStore) remembers this delivery,
    /// taken only from what the signature covers and from which secret verified it:
    /// `<secret id>:event:<envelope id>`, or `<secret id>:event-sha256:<hex>` for an id longer
    /// than 128 bytes, or `<secret id>:body-sha256:<hex>` (the SHA-256 of the body) when the
    /// envelope has no `id`. At most [`MAX_DEDUP_KEY_LEN`] bytes.
    ///
    /// The secret id (16 hex digits) is a one-way digest of the secret that verified the
    /// delivery, never the secret: deliveries verified by different secrets never share a key,
    /// so one tenant's signed envelope cannot mark another tenant's delivery done in a store
    /// they share, even through one verifier holding both secrets. A delivery of an
    /// [`insecure_unsigned`](super::Verifier::insecure_unsigned) verifier has no secret and no
    /// prefix. During a secret rotation ([`Verifier::with_secrets`](super::Verifier::with_secrets)),
    /// a retry signed with the new secret of a delivery first verified with the old one is a new
    /// key, so it is handled again (at least once: the lease's fence still refuses a stale
    /// writer).
    ///
    /// The `X-Buzzin-Delivery` header is not part of the key: no signature covers it, so anyone
    /// replaying a signed delivery could change it to have the delivery handled again.
    ///
    /// Assumed: the documentation does not state whether a retried delivery keeps its envelope
    /// `id`; the SDK treats the envelope `id` as the identity of an event, delivered at least
    /// once.
    ///
    /// ```
    /// use buzzin::webhooks::Verifier;
    ///
    /// let body = br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.expired","data":{}}"#;
    /// let open = Verifier::insecure_unsigned();
    /// let first = open.verify(&[("X-Buzzin-Delivery", "d-7")], body)?;
    /// let replayed = open.verify(&[("X-Buzzin-Delivery", "d-8")], body)?;
    /// assert_eq!(first.dedup_key(), "event:66ffaa00bb11cc22dd33ee44");
    /// assert_eq!(replayed.dedup_key(), first.dedup_key());
    ///
    /// // Two tenants' secrets in one verifier: the same envelope id, two keys.
    /// let both = Verifier::with_secrets(["tenant-a-secret", "tenant-b-secret"]);
    /// let from_a = both.verify(&[("X-Buzzin-Token", "tenant-a-secret")], body)?;
    /// let from_b = both.verify(&[("X-Buzzin-Token", "tenant-b-secret")], body)?;
    /// assert_ne!(from_a.dedup_key(), from_b.dedup_key());
    /// assert!(from_a.dedup_key().ends_with(":event:66ffaa00bb11cc22dd33ee44"));
    /// assert!(!from_a.dedup_key().contains("tenant-a-secret"));
    /// # Ok::<(), buzzin::webhooks::WebhookError>(())
    /// ```
    pub fn dedup_key(&self) -> String {
        let scope = match &self.secret_id {
            Some(id) => format!("{}:", hex::encode(id)),
            None => String::new(),
        };
        match (&self.id, &self.body_digest) {
            (Some(id), _) if id.as_str().len() <= MAX_ID_IN_KEY => {
                format!("{scope}event:{}", id.as_str())
            }
            (Some(id), _) => format!(
                "{scope}event-sha256:{}",
                hex::encode(Sha256::digest(id.as_str().as_bytes()))
            ),
            (None, Some(digest)) => format!("{scope}body-sha256:{}", hex::encode(digest)),
            // Not reached: `parse_delivery` keeps the digest whenever the id is absent.
            (None, None) => format!("{scope}body-sha256:unknown"),
        }
    }
}
