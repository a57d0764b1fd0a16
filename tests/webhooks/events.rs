//! Webhook bodies into typed events: the documentation's example, every event name, unknown
//! events, fields and values, and every way a body can be wrong.

use std::time::{Duration, UNIX_EPOCH};

use buzzin::models::{PermitStatus, PermitType, WebhookEventName};
use buzzin::webhooks::{header, sign, Authentication, Delivery, Event, Verifier, WebhookError};

const DOC_EXAMPLE: &str = include_str!("../data/doc-examples/webhook.passes.permits.issued.json");
const SECRET: &str = "whsec_events";

fn unsigned(body: &str) -> Result<Delivery, WebhookError> {
    Verifier::insecure_unsigned().verify(&[] as &[(&str, &str)], body.as_bytes())
}

fn with_headers(headers: &[(&str, &str)], body: &str) -> Result<Delivery, WebhookError> {
    Verifier::insecure_unsigned().verify(headers, body.as_bytes())
}

fn envelope(event: &str, data: &str) -> String {
    format!(
        r#"{{"id":"66ffaa00bb11cc22dd33ee44","event":"{event}","communityId":"6840270a99ca91002185fcd6","createdAt":"2026-06-29T10:15:00.000Z","data":{data}}}"#
    )
}

#[test]
fn the_documentation_example_parses_into_permit_issued_with_every_field() {
    let ts = 1_751_191_500_000;
    let sig = sign(SECRET, ts, DOC_EXAMPLE);
    let ts_text = ts.to_string();
    let headers = [
        ("buzzin-signature", sig.as_str()),
        ("buzzin-signature-timestamp", ts_text.as_str()),
        ("X-Buzzin-Event", "passes.permits.issued"),
        ("X-Buzzin-Delivery", "dlv_0001"),
    ];
    let now = UNIX_EPOCH + Duration::from_millis(ts + 1_000);
    let delivery = Verifier::new(SECRET)
        .verify_at(&headers, DOC_EXAMPLE.as_bytes(), now)
        .unwrap();

    assert_eq!(delivery.id().unwrap().as_str(), "66ffaa00bb11cc22dd33ee44");
    assert_eq!(
        delivery.community_id().unwrap().as_str(),
        "6840270a99ca91002185fcd6"
    );
    let created = delivery.created_at().unwrap();
    assert_eq!(created.as_str(), "2026-06-29T10:15:00.000Z");
    assert_eq!(created.unix_millis(), Some(1_782_728_100_000));
    assert_eq!(delivery.delivery_id(), Some("dlv_0001"));
    assert_eq!(delivery.authentication(), Authentication::Signature);
    assert_eq!(delivery.event_name(), "passes.permits.issued");
    assert!(delivery.extra().is_empty());
    // Scoped by the id of the secret that verified it, never the secret.
    let key = delivery.dedup_key();
    let (scope, event) = key.split_once(':').unwrap();
    assert_eq!(event, "event:66ffaa00bb11cc22dd33ee44");
    assert!(scope.len() == 16 && scope.bytes().all(|b| b.is_ascii_hexdigit()));

    let Event::PermitIssued(p) = delivery.event() else {
        panic!("{:?}", delivery.event())
    };
    assert_eq!(
        p.permit_id.as_ref().unwrap().as_str(),
        "66f0a1b2c3d4e5f600000abc"
    );
    assert_eq!(p.pass_number.as_deref(), Some("WP-002391"));
    assert_eq!(p.status, Some(PermitStatus::Accepted));
    assert_eq!(p.status_name.as_deref(), Some("ACCEPTED"));
    assert_eq!(p.r#type.as_deref(), Some("permits"));
    assert_eq!(p.permit_type, Some(PermitType::BuildUp));
    assert_eq!(
        p.community_id.as_ref().unwrap().as_str(),
        "6840270a99ca91002185fcd6"
    );
    assert_eq!(
        p.property_id.as_ref().unwrap().as_str(),
        "66e0000000000000000000a1"
    );
    assert_eq!(
        p.flat_id.as_ref().unwrap().as_str(),
        "66e0000000000000000000b2"
    );
    assert_eq!(
        p.community_contractor_id.as_ref().unwrap().as_str(),
        "66f0a1b2c3d4e5f600000001"
    );
    assert_eq!(
        p.salesforce_id.as_ref().unwrap().as_str(),
        "a1B5g000000XYZWEAW"
    );
    assert_eq!(
        p.valid_from.as_ref().unwrap().as_str(),
        "2026-07-01T06:00:00.000Z"
    );
    assert_eq!(
        p.valid_till.as_ref().unwrap().as_str(),
        "2026-07-31T18:00:00.000Z"
    );
    assert_eq!(p.access_code.as_deref(), Some("7H2KQ9ZTM4XB1RPA8VC0DLEN"));
    assert_eq!(p.permit_documentation_url.as_deref(), Some("string"));
    assert_eq!(p.qr_token.as_deref(), Some("7H2KQ9ZTM4XB1RPA8VC0DLEN"));
    assert_eq!(p.qr_image_base64.as_deref(), Some("string"));
    assert_eq!(
        p.qr_image_url.as_deref(),
        Some("https://cdn.buzz-in.co/public/permits/permit-WP-002391-qr.png")
    );
    assert!(
        p.extra.is_empty(),
        "every documented field is typed: {:?}",
        p.extra
    );
    assert_eq!(delivery.event().permit(), Some(p));
    assert_eq!(delivery.event().contractor(), None);
}

#[test]
fn the_typed_event_holds_what_the_generic_json_holds() {
    // The single-pass parse agrees with a parse through serde_json::Value.
    let typed = unsigned(DOC_EXAMPLE).unwrap();
    let value: serde_json::Value = serde_json::from_str(DOC_EXAMPLE).unwrap();
    let Event::PermitIssued(p) = typed.event() else {
        panic!()
    };
    assert_eq!(serde_json::to_value(p).unwrap(), value["data"]);
}

#[test]
fn every_permit_event_name_parses_into_its_variant() {
    let data = r#"{"permitId":"66f0a1b2c3d4e5f600000abc","status":1,"passNumber":"WP-1"}"#;
    type IsVariant = fn(&Event) -> bool;
    let cases: [(&str, IsVariant); 7] = [
        ("passes.permits.issued", |e| {
            matches!(e, Event::PermitIssued(_))
        }),
        ("passes.permits.updated", |e| {
            matches!(e, Event::PermitUpdated(_))
        }),
        ("passes.permits.expiring", |e| {
            matches!(e, Event::PermitExpiring(_))
        }),
        ("passes.permits.expired", |e| {
            matches!(e, Event::PermitExpired(_))
        }),
        ("passes.permits.scanned", |e| {
            matches!(e, Event::PermitScanned(_))
        }),
        ("passes.permits.firstScanned", |e| {
            matches!(e, Event::PermitFirstScanned(_))
        }),
        ("passes.permits.lastScanned", |e| {
            matches!(e, Event::PermitLastScanned(_))
        }),
    ];
    for (name, is_variant) in cases {
        let delivery = unsigned(&envelope(name, data)).unwrap();
        let event = delivery.event();
        assert!(is_variant(event), "{name}: {event:?}");
        assert_eq!(event.name(), name);
        assert_eq!(event.event_name(), WebhookEventName::from(name));
        assert!(
            !matches!(event.event_name(), WebhookEventName::Unknown(_)),
            "{name}"
        );
        let permit = event.permit().unwrap();
        assert_eq!(permit.pass_number.as_deref(), Some("WP-1"));
        assert_eq!(permit.status, Some(PermitStatus::Accepted));
    }
}

#[test]
fn contractor_events_parse_into_their_variants() {
    let data = r#"{"_id":"66f0a1b2c3d4e5f600000001","name":"Ali","approved":true,
        "communitiesIds":["6840270a99ca91002185fcd6"],
        "company":{"companyName":"Acme Fit-Out LLC","tradeLicense":{"publicUrl":"https://x/y.pdf"}},
        "integrations":{"damac":{"salesforceId":"a1B5g000000XYZWEAW"}}}"#;
    for name in [
        "communityContractors.approved",
        "communityContractors.removed",
    ] {
        let delivery = unsigned(&envelope(name, data)).unwrap();
        match (name, delivery.event()) {
            ("communityContractors.approved", Event::ContractorApproved(c))
            | ("communityContractors.removed", Event::ContractorRemoved(c)) => {
                assert_eq!(c.id.as_ref().unwrap().as_str(), "66f0a1b2c3d4e5f600000001");
                assert_eq!(c.name.as_deref(), Some("Ali"));
                assert_eq!(c.approved, Some(true));
                assert_eq!(
                    c.communities_ids.as_ref().unwrap()[0].as_str(),
                    "6840270a99ca91002185fcd6"
                );
                let company = c.company.as_ref().unwrap();
                assert_eq!(company.company_name.as_deref(), Some("Acme Fit-Out LLC"));
                assert_eq!(
                    company
                        .trade_license
                        .as_ref()
                        .unwrap()
                        .public_url
                        .as_deref(),
                    Some("https://x/y.pdf")
                );
                let damac = c.integrations.as_ref().unwrap().damac.as_ref().unwrap();
                assert_eq!(
                    damac.salesforce_id.as_ref().unwrap().as_str(),
                    "a1B5g000000XYZWEAW"
                );
                assert!(delivery.event().permit().is_none());
                assert_eq!(delivery.event().contractor(), Some(c));
            }
            (_, other) => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn an_unknown_event_keeps_its_name_and_its_data_byte_for_byte() {
    let data = r#"{ "gate": "North 2",  "nested": {"n": [1, 2.50, "x"]}, "unicode": "\u00e9" }"#;
    let delivery = unsigned(&envelope("visits.nfc.entered", data)).unwrap();
    match delivery.event() {
        Event::Unknown { name, data: kept } => {
            assert_eq!(name, "visits.nfc.entered");
            assert_eq!(kept.get(), data);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(delivery.event_name(), "visits.nfc.entered");
    assert_eq!(
        delivery.event().event_name(),
        WebhookEventName::Unknown("visits.nfc.entered".into())
    );
    assert_eq!(delivery.id().unwrap().as_str(), "66ffaa00bb11cc22dd33ee44");
    // Any JSON value is kept as data of an unknown event, not only objects.
    for data in ["null", "[1,2]", "\"text\"", "42"] {
        let d = unsigned(&envelope("future.event", data)).unwrap();
        let Event::Unknown { data: kept, .. } = d.event() else {
            panic!()
        };
        assert_eq!(kept.get(), data);
    }
    // Event names are case-sensitive: another spelling is another (unknown) event.
    let d = unsigned(&envelope("Passes.Permits.Issued", "{}")).unwrap();
    assert!(matches!(d.event(), Event::Unknown { .. }));
}

#[test]
fn unknown_fields_and_enum_values_are_kept_not_failed() {
    let data = r#"{"permitId":"66f0a1b2c3d4e5f600000abc","status":42,"statusName":"REVOKED",
        "permitType":"demolition","gate":{"name":"North"},"employees":[{"name":"A"}]}"#;
    let body = r#"{"id":"e1","event":"passes.permits.updated","data":DATA,"apiVersion":"2026-01","retry":3}"#
        .replace("DATA", data);
    let delivery = unsigned(&body).unwrap();
    let permit = delivery.event().permit().unwrap();
    assert_eq!(permit.status, Some(PermitStatus::Unknown(42)));
    assert_eq!(
        permit.permit_type,
        Some(PermitType::Unknown("demolition".into()))
    );
    assert_eq!(permit.extra["gate"], serde_json::json!({"name": "North"}));
    assert_eq!(
        permit.extra["employees"],
        serde_json::json!([{"name": "A"}])
    );
    assert_eq!(delivery.extra()["apiVersion"], "2026-01");
    assert_eq!(delivery.extra()["retry"], 3);
    assert_eq!(delivery.extra().len(), 2);
    // Envelope fields left out, or null, are simply absent.
    assert!(delivery.community_id().is_none() && delivery.created_at().is_none());
    let nulls =
        unsigned(r#"{"id":null,"communityId":null,"createdAt":null,"event":"x.y","data":{}}"#)
            .unwrap();
    assert!(nulls.id().is_none() && nulls.community_id().is_none() && nulls.created_at().is_none());
    // Without an id, the key is the body's digest: bounded, and covered by the signature.
    let key = nulls.dedup_key();
    assert!(
        key.starts_with("body-sha256:") && key.len() == 12 + 64,
        "{key}"
    );
    // A createdAt that is not a date-time is kept verbatim, not a failure.
    let odd = unsigned(r#"{"event":"x.y","createdAt":"yesterday","data":{}}"#).unwrap();
    assert_eq!(odd.created_at().unwrap().as_str(), "yesterday");
    assert_eq!(odd.created_at().unwrap().unix_millis(), None);
}

#[test]
fn data_before_event_parses_the_same() {
    let event_first = unsigned(DOC_EXAMPLE).unwrap();
    let value: serde_json::Value = serde_json::from_str(DOC_EXAMPLE).unwrap();
    let data_first = format!(
        r#"{{"data":{},"createdAt":"2026-06-29T10:15:00.000Z","communityId":"6840270a99ca91002185fcd6","event":"passes.permits.issued","id":"66ffaa00bb11cc22dd33ee44"}}"#,
        value["data"]
    );
    let reordered = unsigned(&data_first).unwrap();
    assert_eq!(reordered, event_first);
    // The wrong shape is caught on that path too.
    let bad = r#"{"data":{"status":"one"},"event":"passes.permits.issued"}"#;
    assert!(matches!(
        unsigned(bad),
        Err(WebhookError::InvalidData {
            event: "passes.permits.issued",
            ..
        })
    ));
    let unknown = r#"{"data":{"b": 1},"event":"new.thing"}"#;
    let Event::Unknown { data, .. } = unsigned(unknown).unwrap().into_event() else {
        panic!()
    };
    assert_eq!(data.get(), r#"{"b": 1}"#);
}

#[test]
fn the_event_header_must_agree_with_the_body() {
    let body = envelope("passes.permits.expired", "{}");
    assert!(with_headers(&[("X-Buzzin-Event", "passes.permits.expired")], &body).is_ok());
    assert!(with_headers(&[("x-buzzin-event", " passes.permits.expired ")], &body).is_ok());
    match with_headers(&[("X-BUZZIN-EVENT", "passes.permits.issued")], &body) {
        Err(WebhookError::EventMismatch { header, body }) => {
            assert_eq!(header, "passes.permits.issued");
            assert_eq!(body, "passes.permits.expired");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        with_headers(&[("X-Buzzin-Event", "")], &body),
        Err(WebhookError::EventMismatch { .. })
    ));
    let repeated = [
        ("X-Buzzin-Event", "passes.permits.expired"),
        ("X-Buzzin-Event", "passes.permits.expired"),
    ];
    assert!(matches!(
        with_headers(&repeated, &body),
        Err(WebhookError::MalformedHeader {
            name: header::EVENT,
            ..
        })
    ));
    let mismatch = with_headers(&[("X-Buzzin-Event", "a.b")], &body).unwrap_err();
    assert!(!mismatch.is_authentication_failure());
}

#[test]
fn the_delivery_header_is_kept_but_not_used_for_dedup() {
    let body = envelope("passes.permits.expired", "{}");
    let d = with_headers(&[("x-buzzin-delivery", "  d-42 ")], &body).unwrap();
    assert_eq!(d.delivery_id(), Some("d-42"));
    assert_eq!(d.dedup_key(), "event:66ffaa00bb11cc22dd33ee44");
    let d = with_headers(&[("x-buzzin-delivery", "")], &body).unwrap();
    assert_eq!(d.delivery_id(), None);
    assert_eq!(d.dedup_key(), "event:66ffaa00bb11cc22dd33ee44");
    let bytes: [(&str, &[u8]); 1] = [("x-buzzin-delivery", b"\xff\xfe")];
    let err = Verifier::insecure_unsigned()
        .verify(&bytes, body.as_bytes())
        .unwrap_err();
    assert!(
        matches!(
            err,
            WebhookError::MalformedHeader {
                name: header::DELIVERY,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn bodies_that_are_not_json_are_rejected_as_such() {
    for body in [
        "",
        "not json",
        "{",
        r#"{"event":"a.b","data":{}"#,
        r#"{"event":"a.b","data":{}} trailing"#,
        "\u{feff}{}",
    ] {
        assert!(
            matches!(unsigned(body), Err(WebhookError::NotJson(_))),
            "{body:?}: {:?}",
            unsigned(body)
        );
    }
    let err = Verifier::insecure_unsigned()
        .verify(&[] as &[(&str, &str)], b"\xff\xfe{}")
        .unwrap_err();
    assert!(matches!(err, WebhookError::NotJson(_)), "{err:?}");
}

#[test]
fn json_that_is_not_an_envelope_is_rejected_as_such() {
    let cases = [
        "[]",
        "null",
        "\"passes.permits.issued\"",
        "{}",
        r#"{"data":{}}"#,
        r#"{"event":"passes.permits.issued"}"#,
        r#"{"event":7,"data":{}}"#,
        r#"{"event":null,"data":{}}"#,
        r#"{"event":"a.b","event":"a.b","data":{}}"#,
        r#"{"event":"a.b","data":{},"data":{}}"#,
        r#"{"event":"a.b","data":{},"x":1,"x":2}"#,
        r#"{"id":5,"event":"a.b","data":{}}"#,
        r#"{"communityId":["x"],"event":"a.b","data":{}}"#,
    ];
    for body in cases {
        let result = unsigned(body);
        assert!(
            matches!(result, Err(WebhookError::NotEnvelope(_))),
            "{body}: {result:?}"
        );
        assert!(!result.unwrap_err().is_authentication_failure());
    }
    let err = unsigned(r#"{"data":{}}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `event`"), "{err}");
}

#[test]
fn data_of_the_wrong_shape_for_a_known_event_is_invalid_data() {
    let cases = [
        ("passes.permits.issued", r#"{"status":"ACCEPTED"}"#),
        ("passes.permits.scanned", r#"{"permitId":12}"#),
        ("passes.permits.expired", r#"[]"#),
        ("passes.permits.updated", r#"null"#),
        ("communityContractors.approved", r#"{"approved":"yes"}"#),
        (
            "communityContractors.removed",
            r#"{"communitiesIds":"6840270a99ca91002185fcd6"}"#,
        ),
    ];
    for (name, data) in cases {
        match unsigned(&envelope(name, data)) {
            Err(WebhookError::InvalidData { event, source }) => {
                assert_eq!(event, name);
                assert!(source.is_data(), "{source}");
            }
            other => panic!("{name} {data}: {other:?}"),
        }
    }
    let err = unsigned(&envelope(
        "passes.permits.issued",
        r#"{"status":"ACCEPTED"}"#,
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the data of the `passes.permits.issued` event does not have its shape"),
        "{err}"
    );
}

#[test]
fn the_body_is_authenticated_before_it_is_read() {
    let v = Verifier::new(SECRET);
    let ts = "1751364000000";
    let garbage = b"definitely not json";
    let headers = [
        ("buzzin-signature", "0".repeat(64)),
        ("buzzin-signature-timestamp", ts.to_owned()),
    ];
    let now = UNIX_EPOCH + Duration::from_millis(1_751_364_000_000);
    assert!(matches!(
        v.verify_at(&headers, garbage, now),
        Err(WebhookError::BadSignature)
    ));
    assert!(matches!(
        v.verify(&[] as &[(&str, &str)], garbage),
        Err(WebhookError::Unsigned)
    ));
    // Correctly signed garbage is authentic, and then not JSON.
    let sig = sign(SECRET, 1_751_364_000_000, garbage);
    let headers = [
        ("buzzin-signature", sig.as_str()),
        ("buzzin-signature-timestamp", ts),
    ];
    assert!(matches!(
        v.verify_at(&headers, garbage, now),
        Err(WebhookError::NotJson(_))
    ));
}

#[test]
fn a_token_delivery_through_an_http_header_map() {
    let mut map = http::HeaderMap::new();
    map.insert("X-Buzzin-Token", SECRET.parse().unwrap());
    map.insert("X-Buzzin-Event", "passes.permits.issued".parse().unwrap());
    map.insert("X-Buzzin-Delivery", "dlv_9".parse().unwrap());
    let d = Verifier::new(SECRET)
        .verify(&map, DOC_EXAMPLE.as_bytes())
        .unwrap();
    assert_eq!(d.authentication(), Authentication::Token);
    assert!(matches!(d.event(), Event::PermitIssued(_)));
    assert_eq!(d.delivery_id(), Some("dlv_9"));
    map.insert("X-Buzzin-Token", "wrong".parse().unwrap());
    assert!(matches!(
        Verifier::new(SECRET).verify(&map, DOC_EXAMPLE.as_bytes()),
        Err(WebhookError::BadToken)
    ));
}

#[test]
fn events_compare_by_name_and_data() {
    let a = unsigned(&envelope("passes.permits.issued", r#"{"passNumber":"1"}"#))
        .unwrap()
        .into_event();
    let b = unsigned(&envelope("passes.permits.updated", r#"{"passNumber":"1"}"#))
        .unwrap()
        .into_event();
    let c = unsigned(&envelope("passes.permits.issued", r#"{"passNumber":"2"}"#))
        .unwrap()
        .into_event();
    assert_eq!(a, a.clone());
    assert_ne!(a, b);
    assert_ne!(a, c);
    let u1 = unsigned(&envelope("x.y", r#"{"a":1}"#))
        .unwrap()
        .into_event();
    let u2 = unsigned(&envelope("x.y", r#"{"a": 1}"#))
        .unwrap()
        .into_event();
    assert_eq!(u1, u1.clone());
    assert_ne!(u1, u2, "unknown data is compared as sent");
    assert_ne!(u1, a);
}

// --- found by fuzzing ----------------------------------------------------------------------

/// parse_event found that an unknown event's data may hold a number beyond `f64` (valid JSON
/// that `serde_json::Value` refuses). The SDK keeps it byte for byte; the fuzz oracle, not the
/// SDK, was wrong.
#[test]
fn fuzz_regression_an_unknown_events_data_keeps_numbers_beyond_f64() {
    let body =
        include_str!("../data/fuzz-regressions/parse_event-huge-number-in-unknown-data.json");
    assert!(
        serde_json::from_str::<serde_json::Value>(body).is_err(),
        "the case is still one Value refuses"
    );
    let delivery = unsigned(body.trim_end()).unwrap();
    let Event::Unknown { name, data } = delivery.event() else {
        panic!("{:?}", delivery.event())
    };
    assert_eq!(name, "communityContra:0.000Z");
    let sent = body.trim_end();
    let sent_data = &sent[sent.find(r#""data":"#).unwrap() + 7..sent.len() - 1];
    assert_eq!(data.get(), sent_data);
    assert!(data.get().contains(&"9".repeat(100)));

    let small = r#"{"event":"x.y","data":{"n":1e400,"m":-123456789012345678901234567890}}"#;
    let Event::Unknown { data, .. } = unsigned(small).unwrap().into_event() else {
        panic!()
    };
    assert_eq!(
        data.get(),
        r#"{"n":1e400,"m":-123456789012345678901234567890}"#
    );
}

/// Where a typed model holds the number (an `extra` map is a `serde_json::Value`), a number
/// beyond `f64` cannot be kept: the delivery is refused with an error that says why, never
/// silently altered.
#[test]
fn numbers_beyond_f64_in_typed_data_are_refused_clearly() {
    for body in [
        r#"{"event":"passes.permits.issued","data":{"gate":1e400}}"#,
        r#"{"event":"x.y","retries":1e400,"data":{}}"#,
    ] {
        let err = unsigned(body).unwrap_err();
        assert!(
            err.to_string().contains("number out of range"),
            "{body}: {err}"
        );
        assert!(!err.is_authentication_failure());
    }
}

/// Issue 12.4: a signed delivery replayed with other `X-Buzzin-Delivery` values (a header no
/// signature covers) keeps one dedup key, and keys stay short whatever the ids.
#[test]
fn dedup_keys_come_from_signed_content_and_are_bounded() {
    use buzzin::webhooks::{sign, MAX_DEDUP_KEY_LEN};
    let secret = "whsec-dedup";
    let body = envelope("passes.permits.expired", "{}");
    let ts = 1_751_364_000_000u64;
    let signature = sign(secret, ts, &body);
    let verifier = Verifier::new(secret).accept_any_timestamp();
    let keys: std::collections::HashSet<String> = (0..20)
        .map(|i| {
            let headers = [
                ("buzzin-signature", signature.clone()),
                ("buzzin-signature-timestamp", ts.to_string()),
                ("x-buzzin-delivery", format!("forged-{i}")),
            ];
            verifier
                .verify(&headers, body.as_bytes())
                .unwrap()
                .dedup_key()
        })
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");

    // A 60 KB envelope id or delivery header does not make a 60 KB key.
    let long_id = "a".repeat(60_000);
    let long = unsigned(&format!(
        r#"{{"id":"{long_id}","event":"x.y","data":{{}}}}"#
    ))
    .unwrap();
    let key = long.dedup_key();
    assert!(key.len() <= MAX_DEDUP_KEY_LEN, "{}", key.len());
    assert!(key.starts_with("event-sha256:"), "{key}");
    let other = unsigned(&format!(
        r#"{{"id":"{long_id}b","event":"x.y","data":{{}}}}"#
    ))
    .unwrap();
    assert_ne!(other.dedup_key(), key);
    let header = "d".repeat(60_000);
    let d = with_headers(&[("x-buzzin-delivery", header.as_str())], &body).unwrap();
    assert!(d.dedup_key().len() <= MAX_DEDUP_KEY_LEN);
    // Two bodies without an id differ in key; the same body keeps its key.
    let a = unsigned(r#"{"event":"x.y","data":{"n":1}}"#).unwrap();
    let b = unsigned(r#"{"event":"x.y","data":{"n":2}}"#).unwrap();
    assert_ne!(a.dedup_key(), b.dedup_key());
    assert_eq!(
        a.dedup_key(),
        unsigned(r#"{"event":"x.y","data":{"n":1}}"#)
            .unwrap()
            .dedup_key()
    );
}

#[test]
fn a_received_delivery_serialized_and_read_back_is_equal() {
    let ts = 1_751_191_500_000;
    let sig = sign(SECRET, ts, DOC_EXAMPLE);
    let ts_text = ts.to_string();
    let headers = [
        ("buzzin-signature", sig.as_str()),
        ("buzzin-signature-timestamp", ts_text.as_str()),
        ("X-Buzzin-Delivery", "dlv_0001"),
    ];
    let now = UNIX_EPOCH + Duration::from_millis(ts + 1_000);
    let received = Verifier::new(SECRET)
        .verify_at(&headers, DOC_EXAMPLE.as_bytes(), now)
        .unwrap();
    let queued = serde_json::to_string(&received).unwrap();
    let back: Delivery = serde_json::from_str(&queued).unwrap();
    assert_eq!(back, received);
    assert_eq!(back.authentication(), Authentication::Signature);
    assert_eq!(back.delivery_id(), Some("dlv_0001"));
    assert_eq!(back.dedup_key(), received.dedup_key());
    // The envelope is Buzz-In's, field for field.
    let stored: serde_json::Value = serde_json::from_str(&queued).unwrap();
    let sent: serde_json::Value = serde_json::from_str(DOC_EXAMPLE).unwrap();
    assert_eq!(stored["envelope"], sent);
    assert_eq!(stored["authentication"], "signature");

    // The event alone: `{"event", "data"}`, read back equal.
    let event = serde_json::to_string(received.event()).unwrap();
    let event_back: Event = serde_json::from_str(&event).unwrap();
    assert_eq!(&event_back, received.event());
    let value: serde_json::Value = serde_json::from_str(&event).unwrap();
    assert_eq!(value["event"], "passes.permits.issued");
    assert_eq!(value["data"], sent["data"]);
}

#[test]
fn unknown_events_and_deliveries_without_an_id_round_trip_too() {
    // No envelope id: the dedup key is the digest of the body as received, kept as such.
    let body = r#"{"event":"visits.new","extra":1,"data":{"n":12345678901234567890123}}"#;
    let received = with_headers(&[("X-Buzzin-Delivery", "d-9")], body).unwrap();
    assert!(received.dedup_key().starts_with("body-sha256:"));
    let queued = serde_json::to_string(&received).unwrap();
    let back: Delivery = serde_json::from_str(&queued).unwrap();
    assert_eq!(back, received);
    assert_eq!(back.dedup_key(), received.dedup_key());
    assert_eq!(back.extra()["extra"], 1);
    match back.event() {
        Event::Unknown { name, data } => {
            assert_eq!(name, "visits.new");
            assert_eq!(data.get(), r#"{"n":12345678901234567890123}"#);
        }
        other => panic!("{other:?}"),
    }
    // An event whose data comes first still reads back.
    let data_first: Event = serde_json::from_str(
        r#"{"data":{"permitId":"66f0a1b2c3d4e5f600000abc"},"event":"passes.permits.expired"}"#,
    )
    .unwrap();
    assert_eq!(
        data_first
            .permit()
            .and_then(|p| p.permit_id.as_ref())
            .map(|id| id.as_str()),
        Some("66f0a1b2c3d4e5f600000abc")
    );
    assert!(matches!(data_first, Event::PermitExpired(_)));
    // A stored delivery is checked as it is read.
    let bad =
        r#"{"authentication":"signature","bodySha256":"zz","envelope":{"event":"x","data":{}}}"#;
    assert!(serde_json::from_str::<Delivery>(bad).is_err());
}
