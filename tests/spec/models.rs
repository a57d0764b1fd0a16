//! The generated one-pass `Deserialize` of the models behaves as serde's derive with
//! `#[serde(flatten)] extra` did: unknown keys kept, known keys twice refused, explicit `null`,
//! missing required fields and wrong types refused with serde's errors.

use buzzin::models::{Contractor, CreateQrAccessRequest, PermitEventData, PermitStatus, QrVisitor};
use serde_json::{json, Value};

const DOC_EXAMPLE: &str = include_str!("../data/doc-examples/webhook.passes.permits.issued.json");

fn permit(text: &str) -> Result<PermitEventData, serde_json::Error> {
    serde_json::from_str(text)
}

#[test]
fn unknown_keys_are_kept_in_extra_with_their_values() {
    let data = permit(
        r#"{"permitId":"66ffaa00bb11cc22dd33ee44","gate":{"name":"North","lanes":[1,2]},"n":-3,"f":1.5,"z":null}"#,
    )
    .unwrap();
    assert_eq!(data.permit_id.unwrap().as_str(), "66ffaa00bb11cc22dd33ee44");
    assert_eq!(data.extra.len(), 4, "{:?}", data.extra);
    assert_eq!(
        data.extra["gate"],
        json!({"name": "North", "lanes": [1, 2]})
    );
    assert_eq!(data.extra["n"], json!(-3));
    assert_eq!(data.extra["f"], json!(1.5));
    assert_eq!(
        data.extra["z"],
        Value::Null,
        "an unknown null is kept as null"
    );
    assert!(
        !data.extra.contains_key("permitId"),
        "a known key is not copied"
    );
}

#[test]
fn the_documented_example_parses_with_nothing_left_over() {
    let envelope: Value = serde_json::from_str(DOC_EXAMPLE).unwrap();
    let data: PermitEventData = serde_json::from_value(envelope["data"].clone()).unwrap();
    assert!(data.extra.is_empty(), "{:?}", data.extra);
    assert_eq!(data.status, Some(PermitStatus::Accepted));
    assert_eq!(data.pass_number.as_deref(), Some("WP-002391"));
    // And back: what was read is what is written.
    assert_eq!(serde_json::to_value(&data).unwrap(), envelope["data"]);
}

#[test]
fn escaped_keys_are_matched_after_unescaping() {
    let data = permit(r#"{"pass\u004eumber":"WP-1","o\u0074her":1}"#).unwrap();
    assert_eq!(data.pass_number.as_deref(), Some("WP-1"));
    assert_eq!(data.extra["other"], json!(1));
}

#[test]
fn a_known_key_twice_is_refused_naming_it() {
    let err = permit(r#"{"passNumber":"a","passNumber":"b"}"#).unwrap_err();
    assert!(err.is_data(), "{err}");
    assert!(
        err.to_string().contains("duplicate field `passNumber`"),
        "{err}"
    );
    // Even when the first value was null.
    let err = permit(r#"{"passNumber":null,"passNumber":"b"}"#).unwrap_err();
    assert!(
        err.to_string().contains("duplicate field `passNumber`"),
        "{err}"
    );
}

#[test]
fn an_unknown_key_twice_keeps_the_last_value() {
    let data = permit(r#"{"gate":"North","gate":"South"}"#).unwrap();
    assert_eq!(data.extra["gate"], "South");
    assert_eq!(data.extra.len(), 1);
}

#[test]
fn an_explicit_null_of_an_optional_field_is_none() {
    let data = permit(r#"{"passNumber":null,"status":null}"#).unwrap();
    assert_eq!(data.pass_number, None);
    assert_eq!(data.status, None);
    assert!(data.extra.is_empty(), "a known null is not kept in extra");
}

#[test]
fn a_wrong_type_is_a_data_error_at_the_value() {
    let text = r#"{"passNumber":"a","status":"one"}"#;
    let err = permit(text).unwrap_err();
    assert!(err.is_data(), "{err}");
    assert!(
        err.to_string().contains("invalid type: string \"one\""),
        "{err}"
    );
    // serde_json's position is that of the bad value (just past it), not the end of the object.
    assert_eq!(err.column(), text.find("\"one\"").unwrap() + 5, "{err}");
    let err = permit(r#"{"extra":1,"validFrom":5}"#).unwrap_err();
    assert!(err.is_data(), "{err}");
}

#[test]
fn what_is_not_an_object_is_refused() {
    for text in [r#"[]"#, r#""x""#, "1", "null"] {
        let err = permit(text).unwrap_err();
        assert!(err.is_data(), "{text}: {err}");
        assert!(
            err.to_string().contains("expected struct PermitEventData"),
            "{text}: {err}"
        );
    }
}

#[test]
fn broken_json_inside_a_field_stays_a_syntax_error() {
    let err = permit(r#"{"passNumber":"a","gate":{"x":tru}}"#).unwrap_err();
    assert!(err.is_syntax(), "{err}");
    let err = permit(r#"{"passNumber":"a""#).unwrap_err();
    assert!(err.is_eof(), "{err}");
}

#[test]
fn nested_models_keep_their_own_unknown_keys() {
    let contractor: Contractor = serde_json::from_value(json!({
        "_id": "66ffaa00bb11cc22dd33ee44",
        "company": {"companyName": "Acme", "vat": "AE1"},
        "integrations": {"damac": {"salesforceId": "a0B000000000001AAA", "sapId": 42}},
        "rating": 5
    }))
    .unwrap();
    assert_eq!(contractor.extra["rating"], 5);
    let company = contractor.company.as_ref().unwrap();
    assert_eq!(company.extra["vat"], "AE1");
    assert!(!contractor.extra.contains_key("company"));
    let damac = contractor.integrations.unwrap().damac.unwrap();
    assert_eq!(damac.extra["sapId"], 42);
}

#[test]
fn a_request_needs_its_required_fields_and_refuses_their_null() {
    let visitor: QrVisitor =
        serde_json::from_value(json!({"name": "Sara", "car": "DXB 1"})).unwrap();
    assert_eq!(visitor.name, "Sara");
    assert_eq!(visitor.phone, None);
    assert_eq!(visitor.extra["car"], "DXB 1");

    let err = serde_json::from_str::<QrVisitor>(r#"{"phone":"+971"}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `name`"), "{err}");
    let err = serde_json::from_str::<QrVisitor>(r#"{"name":null}"#).unwrap_err();
    assert!(err.to_string().contains("invalid type: null"), "{err}");

    let err = serde_json::from_value::<CreateQrAccessRequest>(json!({
        "visitor": {"name": "Sara"},
        "propertyId": "66ffaa00bb11cc22dd33ee44",
        "flatId": "66ffaa00bb11cc22dd33ee45",
        "validFrom": "2026-07-01T06:00:00.000Z"
    }))
    .unwrap_err();
    assert!(
        err.to_string().contains("missing field `validTill`"),
        "{err}"
    );
}

#[test]
fn a_request_round_trips_with_its_extra_fields() {
    let value = json!({
        "visitor": {"name": "Sara", "email": "s@example.com", "car": "DXB 1"},
        "propertyId": "66ffaa00bb11cc22dd33ee44",
        "flatId": "66ffaa00bb11cc22dd33ee45",
        "validFrom": "2026-07-01T06:00:00.000Z",
        "validTill": "2026-07-01T08:00:00.000Z",
        "note": "front desk"
    });
    let request: CreateQrAccessRequest = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(request.extra["note"], "front desk");
    assert_eq!(request.visitor.extra["car"], "DXB 1");
    assert_eq!(serde_json::to_value(&request).unwrap(), value);
}

/// A file `type` the SDK does not know is kept whole and sent back as given (the documentation
/// lists no values); the known ones read as their variants.
#[test]
fn a_file_of_an_unknown_type_is_kept_and_sent_as_given() {
    use buzzin::models::FileInput;

    let text = r#"{"type":"sharepoint","itemId":"01ABC","site":"damac"}"#;
    let file: FileInput = serde_json::from_str(text).unwrap();
    let FileInput::Other(fields) = &file else {
        panic!("not Other: {file:?}")
    };
    assert_eq!(fields["type"], "sharepoint");
    assert_eq!(fields["itemId"], "01ABC");
    assert_eq!(
        serde_json::to_value(&file).unwrap(),
        serde_json::from_str::<serde_json::Value>(text).unwrap()
    );
    let url: FileInput =
        serde_json::from_str(r#"{"type":"url","url":"https://files.example.com/a.pdf"}"#).unwrap();
    assert_eq!(
        url,
        FileInput::Url {
            url: "https://files.example.com/a.pdf".into()
        }
    );
    let base64: FileInput = serde_json::from_str(r#"{"type":"base64","data":"JVBERi0="}"#).unwrap();
    assert!(matches!(base64, FileInput::Base64 { .. }));
}

#[test]
fn a_pass_actions_name_is_the_action_it_sends() {
    use buzzin::models::PassAction;
    for action in [
        PassAction::Revoke { reason: None },
        PassAction::Reissue,
        PassAction::Submit,
    ] {
        let sent = serde_json::to_value(&action).unwrap();
        assert_eq!(sent["action"], action.as_str(), "{action:?}");
    }
}
