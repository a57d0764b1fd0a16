//! Typed webhook events and the delivery that carries one, parsed in one pass from the body.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

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
}

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

    /// The key under which a [`DeliveryDedup`](super::DeliveryDedup) remembers this delivery:
    /// `delivery:<X-Buzzin-Delivery>`, or `event:<id>` when that header is absent; `None` when
    /// the delivery has neither.
    ///
    /// ```
    /// use buzzin::webhooks::Verifier;
    ///
    /// let body = br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.expired","data":{}}"#;
    /// let open = Verifier::insecure_unsigned();
    /// let with_header = open.verify(&[("X-Buzzin-Delivery", "d-7")], body)?;
    /// assert_eq!(with_header.dedup_key().as_deref(), Some("delivery:d-7"));
    /// let without = open.verify(&[] as &[(&str, &str)], body)?;
    /// assert_eq!(without.dedup_key().as_deref(), Some("event:66ffaa00bb11cc22dd33ee44"));
    /// # Ok::<(), buzzin::webhooks::WebhookError>(())
    /// ```
    pub fn dedup_key(&self) -> Option<String> {
        match (&self.delivery_id, &self.id) {
            (Some(delivery), _) => Some(format!("delivery:{delivery}")),
            (None, Some(id)) => Some(format!("event:{}", id.as_str())),
            (None, None) => None,
        }
    }
}

/// Parses a body (already authenticated) into a delivery, in one pass.
pub(crate) fn parse_delivery(
    body: &[u8],
    delivery_id: Option<String>,
    authentication: Authentication,
) -> Result<Delivery, WebhookError> {
    let failed_data: Cell<Option<&'static str>> = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = EnvelopeVisitor {
        failed_data: &failed_data,
    }
    .deserialize(&mut de)
    .and_then(|envelope| de.end().map(|()| envelope));
    let envelope = match parsed {
        Ok(envelope) => envelope,
        Err(e) if e.is_syntax() || e.is_eof() => return Err(WebhookError::NotJson(e)),
        Err(e) => {
            return Err(match failed_data.get() {
                Some(event) => WebhookError::InvalidData { event, source: e },
                None => WebhookError::NotEnvelope(e),
            })
        }
    };
    let event = match envelope.data {
        Data::Parsed(event) => event,
        Data::Raw(raw) => {
            // `data` came before `event` in the body: parse it now that the name is known.
            let mut de = serde_json::Deserializer::from_str(raw.get());
            DataSeed {
                name: &envelope.name,
                failed_data: &failed_data,
            }
            .deserialize(&mut de)
            .map_err(|e| match failed_data.get() {
                Some(event) => WebhookError::InvalidData { event, source: e },
                None => WebhookError::NotEnvelope(e),
            })?
        }
    };
    Ok(Delivery {
        event,
        id: envelope.id,
        community_id: envelope.community_id,
        created_at: envelope.created_at,
        delivery_id,
        authentication,
        extra: envelope.extra,
    })
}

/// The envelope with `data` typed (when `event` came first) or still raw.
struct Envelope<'de> {
    name: String,
    data: Data<'de>,
    id: Option<WebhookEventId>,
    community_id: Option<CommunityId>,
    created_at: Option<Timestamp>,
    extra: Map<String, Value>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "a short-lived stack value; boxing would allocate per delivery"
)]
enum Data<'de> {
    Parsed(Event),
    Raw(&'de RawValue),
}

/// Deserializes the envelope; records in `failed_data` which event's data failed to parse.
struct EnvelopeVisitor<'a> {
    failed_data: &'a Cell<Option<&'static str>>,
}

impl<'de> DeserializeSeed<'de> for EnvelopeVisitor<'_> {
    type Value = Envelope<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'_> {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            r#"a Buzz-In webhook envelope {"id", "event", "communityId", "createdAt", "data"}"#,
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut name: Option<String> = None;
        let mut data: Option<Data<'de>> = None;
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
                    name = Some(map.next_value()?);
                }
                Key::Data => {
                    if data.is_some() {
                        return Err(de::Error::duplicate_field("data"));
                    }
                    data = Some(match &name {
                        Some(name) => Data::Parsed(map.next_value_seed(DataSeed {
                            name,
                            failed_data: self.failed_data,
                        })?),
                        None => Data::Raw(map.next_value()?),
                    });
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
        Ok(Envelope {
            name: name.ok_or_else(|| de::Error::missing_field("event"))?,
            data: data.ok_or_else(|| de::Error::missing_field("data"))?,
            id: id.flatten(),
            community_id: community_id.flatten(),
            created_at: created_at.flatten(),
            extra,
        })
    }
}

/// An envelope field name, borrowed from the body when it can be.
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
