//! The spec's examples, and the documentation's, against the spec's schemas and the generated
//! models: each validates against its own schema, deserializes into its model and serializes
//! back to an equal JSON value; bodies that break a documented rule fail validation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use buzzin::models::*;
use buzzin_test_support::spec::{spec, validator};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Deserializes `value` as `T`, serializes it back and checks nothing was lost or changed.
fn round_trip<T: Serialize + DeserializeOwned>(value: &Value) -> Result<(), String> {
    let model: T =
        serde_json::from_value(value.clone()).map_err(|e| format!("does not parse: {e}"))?;
    let back = serde_json::to_value(&model).map_err(|e| e.to_string())?;
    if &back == value {
        Ok(())
    } else {
        Err(format!(
            "round trip changed the value:\n  in:  {value}\n  out: {back}"
        ))
    }
}

/// The model of every schema the spec's media types and examples name.
fn round_trip_as(model: &str, value: &Value) -> Result<(), String> {
    match model {
        "EventLogPage" => round_trip::<EventLogPage>(value),
        "CreateQrAccessRequest" => round_trip::<CreateQrAccessRequest>(value),
        "QrAccess" => round_trip::<QrAccess>(value),
        "CreatePropertyManagerRequest" => round_trip::<CreatePropertyManagerRequest>(value),
        "UpdatePropertyManagerRequest" => round_trip::<UpdatePropertyManagerRequest>(value),
        "PropertyManager" => round_trip::<PropertyManager>(value),
        "ExternalNfcVisitRequest" => round_trip::<ExternalNfcVisitRequest>(value),
        "ExternalNfcVisitResponse" => round_trip::<ExternalNfcVisitResponse>(value),
        "FeathersError" => round_trip::<FeathersError>(value),
        "CreateContractorRequest" => round_trip::<CreateContractorRequest>(value),
        "Contractor" => round_trip::<Contractor>(value),
        "UpdateContractorRequest" => round_trip::<UpdateContractorRequest>(value),
        "Acknowledgement" => round_trip::<Acknowledgement>(value),
        "CreatePermitRequest" => round_trip::<CreatePermitRequest>(value),
        "Permit" => round_trip::<Permit>(value),
        "PermitValidityUpdate" => round_trip::<PermitValidityUpdate>(value),
        "NocReplacement" => round_trip::<NocReplacement>(value),
        "PassAction" => round_trip::<PassAction>(value),
        "WebhookEnvelope" => round_trip::<WebhookEnvelope>(value),
        "PermitEventData" => round_trip::<PermitEventData>(value),
        other => Err(format!("no model is mapped for schema {other}")),
    }
}

struct Example {
    place: String,
    model: String,
    data_model: Option<String>,
    schema: Value,
    value: Value,
}

fn media_examples(place: &str, media: &Value, out: &mut Vec<Example>) {
    let Some(examples) = media.get("examples").and_then(Value::as_object) else {
        return;
    };
    let schema = media["schema"].clone();
    for (name, example) in examples {
        let model = example
            .get("x-buzzin-model")
            .and_then(Value::as_str)
            .or_else(|| schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()))
            .unwrap_or_else(|| panic!("{place} example {name}: no model (add x-buzzin-model)"))
            .to_owned();
        out.push(Example {
            place: format!("{place} example {name}"),
            model,
            data_model: example
                .get("x-buzzin-data-model")
                .and_then(Value::as_str)
                .map(str::to_owned),
            schema: schema.clone(),
            value: example["value"].clone(),
        });
    }
}

fn operation_examples(place: &str, operation: &Value, spec: &Value, out: &mut Vec<Example>) {
    for (media_type, media) in operation["requestBody"]["content"]
        .as_object()
        .into_iter()
        .flatten()
    {
        media_examples(&format!("{place} request {media_type}"), media, out);
    }
    for (status, response) in operation["responses"].as_object().into_iter().flatten() {
        let response = match response["$ref"].as_str() {
            Some(r) => &spec["components"]["responses"][r.rsplit('/').next().unwrap()],
            None => response,
        };
        for (media_type, media) in response["content"].as_object().into_iter().flatten() {
            media_examples(
                &format!("{place} response {status} {media_type}"),
                media,
                out,
            );
        }
    }
}

fn all_examples(spec: &Value) -> Vec<Example> {
    let mut out = Vec::new();
    for section in ["paths", "webhooks"] {
        for (path, item) in spec[section].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                operation_examples(&format!("{method} {path}"), operation, spec, &mut out);
            }
        }
    }
    for (name, response) in spec["components"]["responses"].as_object().unwrap() {
        for (media_type, media) in response["content"].as_object().into_iter().flatten() {
            media_examples(
                &format!("components.responses.{name} {media_type}"),
                media,
                &mut out,
            );
        }
    }
    out
}

#[test]
fn every_spec_example_validates_and_round_trips() {
    let spec = spec();
    let examples = all_examples(&spec);
    assert!(
        examples.len() >= 30,
        "only {} examples found",
        examples.len()
    );
    let mut failures = Vec::new();
    for example in &examples {
        let validator = validator(&spec, &example.schema);
        for error in validator.iter_errors(&example.value) {
            failures.push(format!(
                "{}: invalid against its schema: {error}",
                example.place
            ));
        }
        if let Err(e) = round_trip_as(&example.model, &example.value) {
            failures.push(format!("{} as {}: {e}", example.place, example.model));
        }
        if let Some(data_model) = &example.data_model
            && let Err(e) = round_trip_as(data_model, &example.value["data"])
        {
            failures.push(format!("{} data as {data_model}: {e}", example.place));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn doc_examples() -> BTreeMap<String, Value> {
    let dir = root().join("tests/data/doc-examples");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files.insert(
            path.file_name().unwrap().to_string_lossy().into_owned(),
            value,
        );
    }
    files
}

#[test]
fn the_repository_copy_of_the_documentation_examples_is_unchanged() {
    // The shared reference sits beside the checkout in CI and in development.
    let shared = root().join("../shared/buzzin-api/doc-examples");
    if !Path::new(&shared).is_dir() {
        eprintln!("skipping: {} is not present", shared.display());
        return;
    }
    let ours = doc_examples();
    let mut theirs = BTreeMap::new();
    for entry in std::fs::read_dir(&shared).unwrap() {
        let path = entry.unwrap().path();
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        theirs.insert(
            path.file_name().unwrap().to_string_lossy().into_owned(),
            value,
        );
    }
    assert_eq!(ours, theirs);
}

#[test]
fn every_documentation_example_is_in_the_spec_and_round_trips() {
    let spec = spec();
    let examples = all_examples(&spec);
    let files = doc_examples();
    assert_eq!(files.len(), 16, "the documentation has 16 examples");
    for (file, value) in &files {
        let matches: Vec<&Example> = examples.iter().filter(|e| &e.value == value).collect();
        assert!(
            !matches.is_empty(),
            "{file} is not attached as an example in the spec"
        );
        for example in matches {
            assert!(
                validator(&spec, &example.schema).is_valid(value),
                "{file} does not validate against the schema of {}",
                example.place
            );
            round_trip_as(&example.model, value).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
}

fn component_is_valid(spec: &Value, name: &str, value: &Value) -> bool {
    validator(spec, &schema_ref(name)).is_valid(value)
}

#[test]
fn bodies_that_break_documented_rules_fail_validation() {
    let spec = spec();
    let nfc = json!({"visitType": "externalNfc", "deviceSecret": "s", "documentId": "784-1"});
    assert!(
        !component_is_valid(&spec, "ExternalNfcVisitRequest", &nfc),
        "neither phone nor email"
    );
    let mut with_phone = nfc.clone();
    with_phone["phone"] = json!("+971501234567");
    assert!(component_is_valid(
        &spec,
        "ExternalNfcVisitRequest",
        &with_phone
    ));
    let mut wrong_type = with_phone.clone();
    wrong_type["visitType"] = json!("nfc");
    assert!(!component_is_valid(
        &spec,
        "ExternalNfcVisitRequest",
        &wrong_type
    ));
    let mut no_document = with_phone.clone();
    no_document.as_object_mut().unwrap().remove("documentId");
    assert!(!component_is_valid(
        &spec,
        "ExternalNfcVisitRequest",
        &no_document
    ));

    assert!(!component_is_valid(
        &spec,
        "PassAction",
        &json!({"action": "explode"})
    ));
    assert!(!component_is_valid(&spec, "PassAction", &json!({})));
    assert!(component_is_valid(
        &spec,
        "PassAction",
        &json!({"action": "reissuePass"})
    ));
    assert!(!component_is_valid(
        &spec,
        "UpdateContractorRequest",
        &json!({"action": "delete"})
    ));
    assert!(
        !component_is_valid(&spec, "PermitValidityUpdate", &json!({})),
        "nothing to change"
    );

    let permit = doc_examples()["create-permit.request.json"].clone();
    assert!(component_is_valid(&spec, "CreatePermitRequest", &permit));
    let mut both = permit.clone();
    both["communityContractorId"] = json!("66f0a1b2c3d4e5f600000001");
    assert!(
        !component_is_valid(&spec, "CreatePermitRequest", &both),
        "two contractor references"
    );
    let mut no_flat = permit.clone();
    no_flat.as_object_mut().unwrap().remove("flatExternalId");
    assert!(
        !component_is_valid(&spec, "CreatePermitRequest", &no_flat),
        "no unit"
    );
    let mut bad_date = permit.clone();
    bad_date["validFrom"] = json!("1 July 2026");
    assert!(
        !component_is_valid(&spec, "CreatePermitRequest", &bad_date),
        "not a date-time"
    );
    // A file's `type` is open (the documentation lists no values): another type passes, but a
    // known one must still have its fields.
    let mut other_noc = permit.clone();
    other_noc["noc"]["type"] = json!("ftp");
    assert!(
        component_is_valid(&spec, "CreatePermitRequest", &other_noc),
        "a file type the SDK does not know"
    );
    let mut bad_noc = permit;
    bad_noc["noc"] = json!({"type": "url"});
    assert!(
        !component_is_valid(&spec, "CreatePermitRequest", &bad_noc),
        "a url file without its url"
    );
}

#[test]
fn rust_models_refuse_what_the_rules_refuse() {
    // Closed, client-owned enums reject unknown values rather than sending them.
    assert!(serde_json::from_value::<PassAction>(json!({"action": "explode"})).is_err());
    assert!(
        serde_json::from_value::<UpdateContractorRequest>(json!({"action": "delete"})).is_err()
    );
    let mut permit = doc_examples()["create-permit.request.json"].clone();
    permit
        .as_object_mut()
        .unwrap()
        .remove("contractorSalesforceId");
    let err = serde_json::from_value::<CreatePermitRequest>(permit)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ContractorRef"), "{err}");
}

#[test]
fn typed_request_choices_serialize_to_the_documented_body() {
    let request = CreatePermitRequest {
        jobs_summary: Some("Full interior fit-out of unit 0712.".into()),
        noc: Some(NocInput::with_details(
            FileInput::Url {
                url: "https://files.example.com/noc-12345.pdf".into(),
            },
            "NOC-12345",
            Date::parse("2026-06-20").unwrap(),
            Date::parse("2026-08-20").unwrap(),
        )),
        ..CreatePermitRequest::new(
            ContractorRef::SalesforceId("a0B5g000000ABCDEAW".into()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            "a1B5g000000XYZWEAW",
            Timestamp::parse("2026-07-01T06:00:00.000Z").unwrap(),
            Timestamp::parse("2026-07-31T18:00:00.000Z").unwrap(),
        )
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        doc_examples()["create-permit.request.json"]
    );
    let parsed: CreatePermitRequest =
        serde_json::from_value(doc_examples()["create-permit.request.json"].clone()).unwrap();
    assert_eq!(parsed, request);
    assert!(
        parsed.extra.is_empty(),
        "no field is counted twice: {:?}",
        parsed.extra
    );
}

#[test]
fn unknown_fields_and_enum_values_are_kept() {
    let sent = json!({
        "_id": "66f0a1b2c3d4e5f600000abc",
        "status": 3,
        "statusName": "REVOKED",
        "permitType": "demolition",
        "revokedBy": {"actor": "admin", "reason": "Permit cancelled by DAMAC."},
        "integrations": {"damac": {"salesforceId": "a1B5g000000XYZWEAW", "sapId": 42}}
    });
    let permit: Permit = serde_json::from_value(sent.clone()).unwrap();
    assert_eq!(permit.status, Some(PermitStatus::Unknown(3)));
    assert_eq!(
        permit.permit_type,
        Some(PermitType::Unknown("demolition".into()))
    );
    assert_eq!(permit.extra["revokedBy"]["actor"], "admin");
    let damac = permit
        .integrations
        .as_ref()
        .unwrap()
        .damac
        .as_ref()
        .unwrap();
    assert_eq!(damac.extra["sapId"], 42);
    assert_eq!(serde_json::to_value(&permit).unwrap(), sent);

    let empty: Permit = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, Permit::default());
    assert_eq!(PermitStatus::from(1), PermitStatus::Accepted);
    assert_eq!(PermitStatus::Draft.code(), 10);
    assert_eq!(VisitType::from("bluetooth").as_str(), "bluetooth");
    assert_eq!(
        WebhookEventName::from("passes.permits.issued"),
        WebhookEventName::PermitIssued
    );
}

#[test]
fn secrets_and_personal_data_stay_out_of_debug_output() {
    let mut visit = ExternalNfcVisitRequest::new("tag-secret-123", "784-1234-5678901-2");
    visit.email = Some("resident@example.com".into());
    let debug = format!("{visit:?}");
    for private in [
        "tag-secret-123",
        "784-1234-5678901-2",
        "resident@example.com",
    ] {
        assert!(!debug.contains(private), "{private} in {debug}");
    }
    assert!(debug.contains("document_id: \"[redacted]\""), "{debug}");
    let mut by_phone = ExternalNfcVisitRequest::new("tag-secret-123", "784-1234-5678901-2");
    by_phone.phone = Some("+971500000001".into());
    assert!(!format!("{by_phone:?}").contains("+971500000001"));
    assert_eq!(
        serde_json::to_value(&visit).unwrap(),
        doc_examples()["external-nfc-visit.request-email.json"]
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o["deviceSecret"] = json!("tag-secret-123");
                Value::Object(o)
            })
            .unwrap()
    );
}

fn visit_assumed<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if map.get("x-buzzin-assumed") == Some(&Value::Bool(true)) {
                out.push((path.clone(), value));
            }
            for (key, child) in map {
                visit_assumed(child, format!("{path}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                visit_assumed(child, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn operations_are_complete_and_assumptions_are_explained() {
    let spec = spec();
    let mut operations = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            let retry = op["x-buzzin-retry"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: no x-buzzin-retry"));
            assert!(["safe", "dedup", "never"].contains(&retry), "{id}: {retry}");
            assert!(
                op["tags"].as_array().is_some_and(|t| t.len() == 1),
                "{id}: one tag"
            );
            assert!(op["responses"]["401"].is_object(), "{id}: documents 401");
            operations.insert(
                id,
                (
                    method.clone(),
                    path.clone(),
                    op["x-buzzin-assumed"] == true,
                    retry.to_owned(),
                ),
            );
        }
    }
    let expected = [
        ("listEvents", "get", "/events", true, "safe"),
        ("createQrAccess", "post", "/accesses", true, "never"),
        ("createPropertyManager", "post", "/users", true, "dedup"),
        (
            "updatePropertyManager",
            "patch",
            "/users/{id}",
            true,
            "safe",
        ),
        ("createExternalNfcVisit", "post", "/visits", false, "never"),
        (
            "createContractor",
            "post",
            "/communityContractors",
            false,
            "dedup",
        ),
        (
            "updateContractor",
            "patch",
            "/communityContractors/{id}",
            false,
            "safe",
        ),
        ("createPermit", "post", "/permits", false, "dedup"),
        ("getPermit", "get", "/permits/{id}", true, "safe"),
        ("updatePermit", "patch", "/permits/{id}", false, "safe"),
        ("updatePass", "patch", "/passes/{id}", false, "never"),
    ];
    assert_eq!(operations.len(), expected.len());
    for (id, method, path, assumed, retry) in expected {
        let got = &operations[id];
        assert_eq!(
            got,
            &(
                method.to_owned(),
                path.to_owned(),
                assumed,
                retry.to_owned()
            ),
            "{id}"
        );
    }
    assert_eq!(
        spec["paths"]["/passes/{id}"]["patch"]["x-buzzin-retry-by-action"]["reissuePass"],
        "never"
    );

    let webhooks = spec["webhooks"].as_object().unwrap();
    assert_eq!(webhooks.len(), 9);
    for name in webhooks.keys() {
        assert!(
            !matches!(
                WebhookEventName::from(name.as_str()),
                WebhookEventName::Unknown(_)
            ),
            "{name}"
        );
    }

    let mut assumed = Vec::new();
    visit_assumed(&spec, String::new(), &mut assumed);
    assert!(assumed.len() >= 15, "only {} assumed items", assumed.len());
    for (path, node) in assumed {
        let text = [&node["description"], &node["summary"]]
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains("Assumed"),
            "{path} is assumed but its description does not say what"
        );
    }
}

/// The rustdoc of the generated struct or enum `name` and of each of its fields, read from the
/// syntax tree of its module; `None` when the module defines no such item.
fn generated_docs(module: &str, name: &str) -> Option<(String, BTreeMap<String, String>)> {
    fn doc(attrs: &[syn::Attribute]) -> String {
        let mut lines = Vec::new();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("doc")) {
            if let Ok(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(line),
                        ..
                    }),
                ..
            }) = attr.meta.require_name_value()
            {
                lines.push(line.value());
            }
        }
        lines.join("\n")
    }
    let path = root().join(format!("src/models/generated/{module}.rs"));
    let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
    file.items.iter().find_map(|item| {
        let (ident, attrs, fields) = match item {
            syn::Item::Struct(item) => (&item.ident, &item.attrs, item.fields.iter().collect()),
            syn::Item::Enum(item) => (&item.ident, &item.attrs, Vec::new()),
            _ => return None,
        };
        let fields = fields
            .into_iter()
            .filter_map(|f| Some((f.ident.as_ref()?.to_string(), doc(&f.attrs))))
            .collect();
        (ident == name).then(|| (doc(attrs), fields))
    })
}

#[test]
fn assumed_schemas_say_so_in_the_generated_rustdoc() {
    let spec = spec();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        if schema["x-buzzin-assumed"] != true {
            continue;
        }
        let module = schema["x-buzzin-module"].as_str().unwrap();
        let (doc, _) = generated_docs(module, name)
            .unwrap_or_else(|| panic!("{name} not generated in {module}.rs"));
        assert!(
            doc.contains("Assumed:"),
            "{name}'s rustdoc does not say it is assumed"
        );
    }
}

#[test]
fn the_spec_claims_no_more_than_the_pages_show() {
    let spec = spec();
    // A NOC's number and dates are metadata on top of the file: a file alone is a NOC.
    let file_only = json!({"type": "url", "url": "https://files.example.com/noc.pdf"});
    assert!(component_is_valid(&spec, "NocInput", &file_only));
    assert_eq!(
        serde_json::to_value(NocInput::new(FileInput::Url {
            url: "https://files.example.com/noc.pdf".into()
        }))
        .unwrap(),
        file_only
    );
    // The NFC-visit page shows no key: the operation allows none, and says the key is assumed.
    let visits = &spec["paths"]["/visits"]["post"];
    assert_eq!(visits["security"], json!([{}, {"apiKey": []}]));
    assert!(visits["x-buzzin-assumed-security"]
        .as_str()
        .unwrap()
        .starts_with("Assumed:"));
    assert_eq!(
        spec["components"]["responses"]["AssumedUnauthorized"]["x-buzzin-assumed"],
        true
    );
    assert_eq!(
        visits["responses"]["401"]["$ref"],
        "#/components/responses/AssumedUnauthorized"
    );
    // No exact success code where the pages show none.
    assert!(visits["responses"]["2XX"].is_object());
    assert!(spec["paths"]["/permits"]["post"]["responses"]["2XX"].is_object());
    for (name, event) in spec["webhooks"].as_object().unwrap() {
        assert!(event["post"]["responses"]["2XX"].is_object(), "{name}");
    }
    // A file's type is an open value; a DRAFT's validity change is not carved out.
    assert!(spec["components"]["schemas"]["FileInput"]["properties"]["type"]["enum"].is_null());
    let update = spec["webhooks"]["passes.permits.updated"]["post"]["summary"]
        .as_str()
        .unwrap();
    assert!(update.contains("a DRAFT's too"), "{update}");
    assert_eq!(
        spec["components"]["schemas"]["LeaveEvent"]["properties"]["duration"]["x-buzzin-assumed"],
        true
    );
    let (_, fields) = generated_docs("visits", "LeaveEvent").unwrap();
    assert!(fields["duration"].contains("Assumed: in milliseconds"));
}

#[test]
fn the_operations_table_holds_every_operation_of_the_spec() {
    let spec = spec();
    let mut in_spec = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            in_spec.insert((
                op["operationId"].as_str().unwrap().to_owned(),
                method.to_uppercase(),
                path.clone(),
            ));
        }
    }
    let table: std::collections::BTreeSet<_> = buzzin::operations::ALL
        .iter()
        .map(|op| {
            (
                op.id.to_owned(),
                op.method.as_str().to_owned(),
                op.path.to_owned(),
            )
        })
        .collect();
    assert_eq!(
        table.len(),
        buzzin::operations::ALL.len(),
        "an operation listed twice"
    );
    assert_eq!(table, in_spec);
    for op in buzzin::operations::ALL {
        let spec_op = &spec["paths"][op.path][op.method.as_str().to_lowercase()];
        assert_eq!(op.span_name, format!("{} {}", op.method.as_str(), op.path));
        assert_eq!(op.retry_for(None), op.retry, "{}", op.id);
        let query: Vec<&str> = spec_op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(op.query, query.as_slice(), "{}", op.id);
        assert!(!op.calls.is_empty(), "{} has no SDK call", op.id);
    }
}
