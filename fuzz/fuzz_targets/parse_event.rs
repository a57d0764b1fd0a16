//! Fuzzes the parsing of webhook bodies into a `Delivery`, through an unsigned verifier, and
//! checks the result, not only that it does not panic:
//! - whatever parses is valid JSON and, where `serde_json::Value` can hold it, an object whose
//!   `event` is the event's name (an unknown event's data may hold numbers beyond `f64`, which
//!   `Value` refuses and the SDK keeps: found by this target, see tests/webhooks/events.rs);
//! - an unknown event keeps its `data` as valid JSON, byte for byte as in the body;
//! - a body that `serde_json` reads as a JSON object with a string `event` and any `data`
//!   either parses, or fails as `InvalidData` (a known event whose data has the wrong shape),
//!   never as "not JSON".
#![no_main]

use buzzin::webhooks::{Event, Verifier, WebhookError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let verifier = Verifier::insecure_unsigned();
    let headers: [(&str, &str); 0] = [];
    let result = verifier.verify(&headers, body);
    let reference: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let valid_json = serde_json::from_slice::<Box<serde_json::value::RawValue>>(body).is_ok();
    match &result {
        Ok(delivery) => {
            assert!(valid_json, "parsed a body that is not JSON: {delivery:?}");
            let Some(reference) = &reference else {
                assert!(
                    matches!(delivery.event(), Event::Unknown { .. }),
                    "typed data Value cannot read: {delivery:?}"
                );
                return;
            };
            let serde_json::Value::Object(object) = reference else {
                panic!("parsed a body that is not an object: {delivery:?}");
            };
            assert_eq!(
                object.get("event").and_then(|e| e.as_str()),
                Some(delivery.event_name())
            );
            assert!(object.contains_key("data"));
            if let Event::Unknown { data, .. } = delivery.event() {
                let reparsed: serde_json::Value =
                    serde_json::from_str(data.get()).expect("kept data is JSON");
                assert_eq!(Some(&reparsed), object.get("data"));
            }
            for (key, value) in delivery.extra() {
                assert_eq!(object.get(key), Some(value), "extra field {key} changed");
            }
        }
        Err(err) => {
            if let Some(serde_json::Value::Object(object)) = &reference {
                // serde_json keeps the last of duplicate keys; the SDK refuses duplicates.
                let well_formed = object.get("event").is_some_and(|e| e.is_string())
                    && object.contains_key("data");
                if well_formed && !has_duplicate_envelope_keys(body) {
                    assert!(
                        matches!(
                            err,
                            WebhookError::InvalidData { .. } | WebhookError::NotEnvelope(_)
                        ),
                        "a readable envelope failed as {err:?}"
                    );
                }
                assert!(
                    !matches!(err, WebhookError::NotJson(_)),
                    "valid JSON refused as not JSON: {err:?}"
                );
            } else if reference.is_none() {
                assert!(
                    matches!(
                        err,
                        WebhookError::NotJson(_)
                            | WebhookError::NotEnvelope(_)
                            | WebhookError::InvalidData { .. }
                    ),
                    "{err:?}"
                );
            }
        }
    }
});

/// Whether the top-level object repeats a key (serde_json keeps the last; the SDK refuses).
fn has_duplicate_envelope_keys(body: &[u8]) -> bool {
    use serde::de::{Deserializer, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut seen = std::collections::HashSet::new();
            let mut dup = false;
            while let Some(key) = map.next_key::<String>()? {
                dup |= !seen.insert(key);
                map.next_value::<serde::de::IgnoredAny>()?;
            }
            Ok(dup)
        }
    }
    serde_json::Deserializer::from_slice(body)
        .deserialize_map(Keys)
        .unwrap_or(false)
}
