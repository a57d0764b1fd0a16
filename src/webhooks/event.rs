//! Typed webhook events and the delivery that carries one, parsed in one pass from the body.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use sha2::{Digest, Sha256};

use super::verifier::Authentication;
use super::WebhookError;
use crate::models::{
    CommunityId, Contractor, PermitEventData, Timestamp, WebhookEventId, WebhookEventName,
};

/// A webhook event: its name decides the variant, its `data` is typed accordingly.
///
/// The payloads of all events but `passes.permits.issued` are not shown in Buzz-In's
/// documentation. Assumed: the other `passes.permits.*` events carry the fields of
/// `passes.permits.issued` and the `communityContractors.*` events carry the contractor record;
/// every field is optional and fields the SDK does not know are kept in `extra`, so a payload that
/// differs still parses.
///
/// An event this version of the SDK does not know arrives as [`Event::Unknown`] with its data
/// kept exactly as sent.
///
/// ```
/// use buzzin::webhooks::Event;
/// # fn handle(event: &Event) {
/// match event {
///     Event::PermitIssued(permit) | Event::PermitUpdated(permit) => {
///         println!("permit {:?}: QR code {:?}", permit.permit_id, permit.access_code);
///     }
///     Event::ContractorRemoved(contractor) => println!("contractor {:?} removed", contractor.id),
///     Event::Unknown { name, data } => println!("new event {name}: {}", data.get()),
///     other => println!("ignoring {}", other.name()),
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// `passes.permits.issued`: a permit was approved, or its pass reissued with a new QR code.
    PermitIssued(PermitEventData),
    /// `passes.permits.updated`: a permit's validity changed, or it was archived because its
    /// contractor was revoked.
    PermitUpdated(PermitEventData),
    /// `passes.permits.expiring`: a permit is about to expire.
    PermitExpiring(PermitEventData),
    /// `passes.permits.expired`: a permit expired.
    PermitExpired(PermitEventData),
    /// `passes.permits.scanned`: a permit's pass was scanned at a gate.
    PermitScanned(PermitEventData),
    /// `passes.permits.firstScanned`: a permit's pass was scanned for the first time.
    PermitFirstScanned(PermitEventData),
    /// `passes.permits.lastScanned`: a permit's pass was scanned for the last time.
    PermitLastScanned(PermitEventData),
    /// `communityContractors.approved`: a community admin approved a contractor.
    ContractorApproved(Contractor),
    /// `communityContractors.removed`: a contractor was revoked, after its permits were archived.
    ContractorRemoved(Contractor),
    /// An event this version of the SDK does not know.
    Unknown {
        /// The event's name as sent.
        name: String,
        /// The event's `data`, exactly as sent (parse it with `serde_json::from_str(data.get())`).
        data: Box<RawValue>,
    },
}

impl Event {
    /// The event's name as Buzz-In spells it, such as `passes.permits.issued`.
    pub fn name(&self) -> &str {
        match self {
            Self::Unknown { name, .. } => name,
            known => known_name(&known.event_name()),
        }
    }

    /// The event's name as a [`WebhookEventName`].
    pub fn event_name(&self) -> WebhookEventName {
        match self {
            Self::PermitIssued(_) => WebhookEventName::PermitIssued,
            Self::PermitUpdated(_) => WebhookEventName::PermitUpdated,
            Self::PermitExpiring(_) => WebhookEventName::PermitExpiring,
            Self::PermitExpired(_) => WebhookEventName::PermitExpired,
            Self::PermitScanned(_) => WebhookEventName::PermitScanned,
            Self::PermitFirstScanned(_) => WebhookEventName::PermitFirstScanned,
            Self::PermitLastScanned(_) => WebhookEventName::PermitLastScanned,
            Self::ContractorApproved(_) => WebhookEventName::ContractorApproved,
            Self::ContractorRemoved(_) => WebhookEventName::ContractorRemoved,
            Self::Unknown { name, .. } => WebhookEventName::Unknown(name.clone()),
        }
    }

    /// The permit data of a `passes.permits.*` event, `None` for other events.
    pub fn permit(&self) -> Option<&PermitEventData> {
        match self {
            Self::PermitIssued(p)
            | Self::PermitUpdated(p)
            | Self::PermitExpiring(p)
            | Self::PermitExpired(p)
            | Self::PermitScanned(p)
            | Self::PermitFirstScanned(p)
            | Self::PermitLastScanned(p) => Some(p),
            _ => None,
        }
    }

    /// The contractor of a `communityContractors.*` event, `None` for other events.
    pub fn contractor(&self) -> Option<&Contractor> {
        match self {
            Self::ContractorApproved(c) | Self::ContractorRemoved(c) => Some(c),
            _ => None,
        }
    }
}

/// Equal when the name and the data are; the data of [`Event::Unknown`] is compared as text.
impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Unknown { name: a, data: x }, Self::Unknown { name: b, data: y }) => {
                a == b && x.get() == y.get()
            }
            (Self::Unknown { .. }, _) | (_, Self::Unknown { .. }) => false,
            (a, b) => match (a.permit(), b.permit(), a.contractor(), b.contractor()) {
                (Some(x), Some(y), _, _) => a.event_name() == b.event_name() && x == y,
                (_, _, Some(x), Some(y)) => a.event_name() == b.event_name() && x == y,
                _ => false,
            },
        }
    }
}

/// The name of a known event, for as long as the program runs (`""` for `Unknown`, which
/// callers handle before).
fn known_name(name: &WebhookEventName) -> &'static str {
    match name {
        WebhookEventName::PermitIssued => "passes.permits.issued",
        WebhookEventName::PermitUpdated => "passes.permits.updated",
        WebhookEventName::PermitExpiring => "passes.permits.expiring",
        WebhookEventName::PermitExpired => "passes.permits.expired",
        WebhookEventName::PermitScanned => "passes.permits.scanned",
        WebhookEventName::PermitFirstScanned => "passes.permits.firstScanned",
        WebhookEventName::PermitLastScanned => "passes.permits.lastScanned",
        WebhookEventName::ContractorApproved => "communityContractors.approved",
        WebhookEventName::ContractorRemoved => "communityContractors.removed",
        _ => "",
    }
}

/// A verified webhook delivery: the event, its envelope and the delivery headers.
///
/// Made by [`Verifier::verify`](super::Verifier::verify).
///
/// Assumed: the documentation does not state which envelope fields are always present. Only
/// `event` and `data` are required here; `id`, `communityId` and `createdAt` are optional, and
/// envelope fields the SDK does not know are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    event: Event,
    id: Option<WebhookEventId>,
    community_id: Option<CommunityId>,
    created_at: Option<Timestamp>,
    delivery_id: Option<String>,
    authentication: Authentication,
    extra: Map<String, Value>,
    /// SHA-256 of the body, kept only when the envelope has no `id` (the dedup key then).
    body_digest: Option<[u8; 32]>,
}

/// The longest key [`Delivery::dedup_key`] returns, in bytes: a store's memory is bounded by
/// bytes, not only by the number of keys.
pub const MAX_DEDUP_KEY_LEN: usize = 6 + MAX_ID_IN_KEY;

/// The longest envelope id written into a dedup key as is; a longer one is hashed.
const MAX_ID_IN_KEY: usize = 128;

impl Delivery {
    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The event, taking it out of the delivery.
    pub fn into_event(self) -> Event {
        self.event
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

    /// The key under which a [`DeliveryStore`](super::DeliveryStore) remembers this delivery,
    /// taken only from what the signature covers: `event:<envelope id>`, or
    /// `event-sha256:<hex>` for an id longer than 128 bytes, or `body-sha256:<hex>` (the
    /// SHA-256 of the body) when the envelope has no `id`. At most [`MAX_DEDUP_KEY_LEN`] bytes.
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
    /// # Ok::<(), buzzin::webhooks::WebhookError>(())
    /// ```
    pub fn dedup_key(&self) -> String {
        match (&self.id, &self.body_digest) {
            (Some(id), _) if id.as_str().len() <= MAX_ID_IN_KEY => {
                format!("event:{}", id.as_str())
            }
            (Some(id), _) => format!(
                "event-sha256:{}",
                hex::encode(Sha256::digest(id.as_str().as_bytes()))
            ),
            (None, Some(digest)) => format!("body-sha256:{}", hex::encode(digest)),
            // Not reached: `parse_delivery` keeps the digest whenever the id is absent.
            (None, None) => "body-sha256:unknown".to_owned(),
        }
    }
}

/// Parses a body (already authenticated) into a delivery, in one pass.
pub(crate) fn parse_delivery(
    body: &[u8],
    delivery_id: Option<String>,
    authentication: Authentication,
) -> Result<Delivery, WebhookError> {
    let mut delivery = parse_body(body, delivery_id, authentication)?;
    if delivery.id.is_none() {
        // Without an id, the content itself (covered by the signature) identifies the event.
        delivery.body_digest = Some(Sha256::digest(body).into());
    }
    Ok(delivery)
}

fn parse_body(
    body: &[u8],
    delivery_id: Option<String>,
    authentication: Authentication,
) -> Result<Delivery, WebhookError> {
    match std::str::from_utf8(body) {
        // Checking UTF-8 once for the whole body is faster than string by string.
        Ok(text) => parse_from(
            serde_json::Deserializer::from_str(text),
            delivery_id,
            authentication,
        ),
        // Not UTF-8, so not JSON: let serde_json say where.
        Err(_) => parse_from(
            serde_json::Deserializer::from_slice(body),
            delivery_id,
            authentication,
        ),
    }
}

fn parse_from<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    delivery_id: Option<String>,
    authentication: Authentication,
) -> Result<Delivery, WebhookError> {
    let failed_data: Cell<Option<&'static str>> = Cell::new(None);
    let late_error: Cell<Option<serde_json::Error>> = Cell::new(None);
    let parsed = EnvelopeVisitor {
        failed_data: &failed_data,
        late_error: &late_error,
        delivery_id,
        authentication,
    }
    .deserialize(&mut de)
    .and_then(|delivery| de.end().map(|()| delivery));
    match parsed {
        Ok(delivery) => Ok(delivery),
        Err(e) => {
            // An error in data that came before `event` was met while parsing that data alone.
            let e = late_error.take().unwrap_or(e);
            Err(if e.is_syntax() || e.is_eof() {
                WebhookError::NotJson(e)
            } else if let Some(event) = failed_data.get() {
                WebhookError::InvalidData { event, source: e }
            } else {
                WebhookError::NotEnvelope(e)
            })
        }
    }
}

/// Deserializes the envelope into a [`Delivery`]; records in `failed_data` which event's data
/// failed to parse, and in `late_error` an error met parsing data that came before `event`.
struct EnvelopeVisitor<'a> {
    failed_data: &'a Cell<Option<&'static str>>,
    late_error: &'a Cell<Option<serde_json::Error>>,
    delivery_id: Option<String>,
    authentication: Authentication,
}

impl<'de> DeserializeSeed<'de> for EnvelopeVisitor<'_> {
    type Value = Delivery;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'_> {
    type Value = Delivery;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            r#"a Buzz-In webhook envelope {"id", "event", "communityId", "createdAt", "data"}"#,
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut name: Option<Cow<'de, str>> = None;
        let mut event: Option<Event> = None;
        let mut raw_data: Option<&'de RawValue> = None;
        let mut id: Option<Option<WebhookEventId>> = None;
        let mut community_id: Option<Option<CommunityId>> = None;
        let mut created_at: Option<Option<Timestamp>> = None;
        let mut extra = Map::new();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Event => {
                    if name.is_some() {
                        return Err(de::Error::duplicate_field("event"));
                    }
                    name = Some(map.next_value::<EventName<'de>>()?.0);
                }
                Key::Data => {
                    if event.is_some() || raw_data.is_some() {
                        return Err(de::Error::duplicate_field("data"));
                    }
                    match &name {
                        Some(name) => {
                            event = Some(map.next_value_seed(DataSeed {
                                name,
                                failed_data: self.failed_data,
                            })?)
                        }
                        None => raw_data = Some(map.next_value()?),
                    }
                }
                Key::Id => {
                    if id.is_some() {
                        return Err(de::Error::duplicate_field("id"));
                    }
                    id = Some(map.next_value()?);
                }
                Key::CommunityId => {
                    if community_id.is_some() {
                        return Err(de::Error::duplicate_field("communityId"));
                    }
                    community_id = Some(map.next_value()?);
                }
                Key::CreatedAt => {
                    if created_at.is_some() {
                        return Err(de::Error::duplicate_field("createdAt"));
                    }
                    created_at = Some(map.next_value()?);
                }
                Key::Other(key) => {
                    let value = map.next_value()?;
                    if extra.insert(key, value).is_some() {
                        return Err(de::Error::custom("an envelope field appears twice"));
                    }
                }
            }
        }
        let name = name.ok_or_else(|| de::Error::missing_field("event"))?;
        let event = match (event, raw_data) {
            (Some(event), _) => event,
            (None, Some(raw)) => {
                // `data` came before `event` in the body: parse it now that the name is known.
                let mut de = serde_json::Deserializer::from_str(raw.get());
                let seed = DataSeed {
                    name: &name,
                    failed_data: self.failed_data,
                };
                match seed.deserialize(&mut de) {
                    Ok(event) => event,
                    Err(e) => {
                        let message = e.to_string();
                        self.late_error.set(Some(e));
                        return Err(de::Error::custom(message));
                    }
                }
            }
            (None, None) => return Err(de::Error::missing_field("data")),
        };
        Ok(Delivery {
            event,
            id: id.flatten(),
            community_id: community_id.flatten(),
            created_at: created_at.flatten(),
            delivery_id: self.delivery_id,
            authentication: self.authentication,
            extra,
            body_digest: None,
        })
    }
}

/// The envelope's `event`, borrowed from the body unless it holds escapes.
struct EventName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for EventName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = EventName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event name")
            }

            fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(EventName(Cow::Borrowed(name)))
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(EventName(Cow::Owned(name.to_owned())))
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
}

/// An envelope field name; only names the SDK does not know are copied.
enum Key {
    Id,
    Event,
    CommunityId,
    CreatedAt,
    Data,
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "id" => Key::Id,
                    "event" => Key::Event,
                    "communityId" => Key::CommunityId,
                    "createdAt" => Key::CreatedAt,
                    "data" => Key::Data,
                    other => Key::Other(other.to_owned()),
                })
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Deserializes an event's `data` into the type its name calls for.
struct DataSeed<'a> {
    name: &'a str,
    failed_data: &'a Cell<Option<&'static str>>,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = Event;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Event, D::Error> {
        let name = WebhookEventName::from(self.name);
        let permit = |variant: fn(PermitEventData) -> Event, d: D| {
            PermitEventData::deserialize(d).map(variant)
        };
        let contractor =
            |variant: fn(Contractor) -> Event, d: D| Contractor::deserialize(d).map(variant);
        let result = match name {
            WebhookEventName::PermitIssued => permit(Event::PermitIssued, deserializer),
            WebhookEventName::PermitUpdated => permit(Event::PermitUpdated, deserializer),
            WebhookEventName::PermitExpiring => permit(Event::PermitExpiring, deserializer),
            WebhookEventName::PermitExpired => permit(Event::PermitExpired, deserializer),
            WebhookEventName::PermitScanned => permit(Event::PermitScanned, deserializer),
            WebhookEventName::PermitFirstScanned => permit(Event::PermitFirstScanned, deserializer),
            WebhookEventName::PermitLastScanned => permit(Event::PermitLastScanned, deserializer),
            WebhookEventName::ContractorApproved => {
                contractor(Event::ContractorApproved, deserializer)
            }
            WebhookEventName::ContractorRemoved => {
                contractor(Event::ContractorRemoved, deserializer)
            }
            _ => {
                return Box::<RawValue>::deserialize(deserializer).map(|data| Event::Unknown {
                    name: self.name.to_owned(),
                    data,
                })
            }
        };
        if result.is_err() {
            self.failed_data.set(Some(known_name(&name)));
        }
        result
    }
}
