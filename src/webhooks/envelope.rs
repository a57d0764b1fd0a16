//! The envelope: a delivery parsed from its body in one pass, and written back to (and read
//! from) the JSON a receiver may store.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Map;
use sha2::{Digest, Sha256};

use super::delivery::{Authentication, Delivery, SecretId};
use super::error::WebhookError;
// The event enum, its name mapping and its data dispatch are generated from the spec's
// `webhooks` (`src/models/generated/events.rs`).
use crate::models::generated::events::{known_name, Event};
use crate::models::{CommunityId, Timestamp, WebhookEventId};

/// Parses a body (already authenticated) into a delivery, in one pass.
pub(crate) fn parse_delivery(
    body: &[u8],
    delivery_id: Option<String>,
    authentication: Authentication,
    secret_id: Option<SecretId>,
) -> Result<Delivery, WebhookError> {
    let mut delivery = parse_body(body, delivery_id, authentication)?;
    delivery.secret_id = secret_id;
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
    match simdutf8::basic::from_utf8(body) {
        // Checking UTF-8 once for the whole body (SIMD where the CPU has it) is faster than
        // string by string.
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
            event: Box::new(event),
            id: id.flatten(),
            community_id: community_id.flatten(),
            created_at: created_at.flatten(),
            delivery_id: self.delivery_id,
            authentication: self.authentication,
            extra,
            body_digest: None,
            secret_id: None,
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
        let result = Event::deserialize_data(self.name, deserializer);
        if result.is_err() {
            self.failed_data.set(known_name(self.name));
        }
        result
    }
}

/// `{"event": <name>, "data": <data>}`, as a delivery's envelope carries it (the data of an
/// event this version does not know exactly as received).
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("event", self.name())?;
        map.serialize_entry("data", &EventData(self))?;
        map.end()
    }
}

/// An event's `data`, serialized as its type does.
struct EventData<'a>(&'a Event);

impl Serialize for EventData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_data(serializer)
    }
}

/// Reads `{"event": <name>, "data": <data>}` back, the data typed by the name (in JSON, with
/// `serde_json`, when `data` comes before `event`).
impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;

        impl<'de> Visitor<'de> for EventVisitor {
            type Value = Event;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a Buzz-In event {"event", "data"}"#)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
                let failed_data = Cell::new(None);
                let mut name: Option<Cow<'de, str>> = None;
                let mut event: Option<Event> = None;
                let mut raw_data: Option<Box<RawValue>> = None;
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Event if name.is_some() => {
                            return Err(de::Error::duplicate_field("event"))
                        }
                        Key::Event => name = Some(map.next_value::<EventName<'de>>()?.0),
                        Key::Data if event.is_some() || raw_data.is_some() => {
                            return Err(de::Error::duplicate_field("data"))
                        }
                        Key::Data => match &name {
                            Some(name) => {
                                event = Some(map.next_value_seed(DataSeed {
                                    name,
                                    failed_data: &failed_data,
                                })?)
                            }
                            None => raw_data = Some(map.next_value()?),
                        },
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                let name = name.ok_or_else(|| de::Error::missing_field("event"))?;
                match (event, raw_data) {
                    (Some(event), _) => Ok(event),
                    (None, Some(raw)) => {
                        let mut de = serde_json::Deserializer::from_str(raw.get());
                        Event::deserialize_data(&name, &mut de).map_err(de::Error::custom)
                    }
                    (None, None) => Err(de::Error::missing_field("data")),
                }
            }
        }

        deserializer.deserialize_map(EventVisitor)
    }
}

/// The envelope of a delivery, as Buzz-In sent it: its known fields, the event, the rest.
struct Envelope<'a>(&'a Delivery);

impl Serialize for Envelope<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut map = serializer.serialize_map(None)?;
        if let Some(id) = &d.id {
            map.serialize_entry("id", id)?;
        }
        map.serialize_entry("event", d.event.name())?;
        if let Some(community) = &d.community_id {
            map.serialize_entry("communityId", community)?;
        }
        if let Some(created) = &d.created_at {
            map.serialize_entry("createdAt", created)?;
        }
        map.serialize_entry("data", &EventData(&d.event))?;
        for (key, value) in &d.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `{"deliveryId", "authentication", "secretId"?, "bodySha256"?, "envelope"}`; see
/// [`Delivery`].
impl Serialize for Delivery {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(delivery_id) = &self.delivery_id {
            map.serialize_entry("deliveryId", delivery_id)?;
        }
        map.serialize_entry("authentication", &self.authentication)?;
        if let Some(secret_id) = &self.secret_id {
            map.serialize_entry("secretId", &hex::encode(secret_id))?;
        }
        if let Some(digest) = &self.body_digest {
            map.serialize_entry("bodySha256", &hex::encode(digest))?;
        }
        map.serialize_entry("envelope", &Envelope(self))?;
        map.end()
    }
}

/// Reads back what [`Serialize`] wrote, in JSON (`serde_json`). Trusts its input: see
/// [`Delivery`].
impl<'de> Deserialize<'de> for Delivery {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Stored {
            #[serde(default)]
            delivery_id: Option<String>,
            authentication: Authentication,
            #[serde(default)]
            secret_id: Option<String>,
            #[serde(default)]
            body_sha256: Option<String>,
            envelope: Box<RawValue>,
        }

        let stored = Stored::deserialize(deserializer)?;
        let body = stored.envelope.get().as_bytes();
        let mut delivery = parse_body(body, stored.delivery_id, stored.authentication)
            .map_err(de::Error::custom)?;
        if let Some(text) = &stored.secret_id {
            let mut secret_id = SecretId::default();
            hex::decode_to_slice(text, &mut secret_id)
                .map_err(|_| de::Error::custom("`secretId` is not 16 hex digits"))?;
            delivery.secret_id = Some(secret_id);
        }
        if delivery.id.is_none() {
            delivery.body_digest = Some(match &stored.body_sha256 {
                Some(text) => {
                    let mut digest = [0u8; 32];
                    hex::decode_to_slice(text, &mut digest)
                        .map_err(|_| de::Error::custom("`bodySha256` is not 64 hex digits"))?;
                    digest
                }
                None => Sha256::digest(body).into(),
            });
        }
        Ok(delivery)
    }
}
