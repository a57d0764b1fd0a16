//! The simulator refuses what the spec forbids, with a Feathers 400 naming the field, before
//! any state changes. The cases are derived from the spec's own schemas: every property of a
//! create body gets a value of the wrong type and a `null`, every either/or gets both sides and
//! neither; after each refusal the untouched body still creates its record (a refused request
//! that had left a record behind would make it a 409 duplicate).

#[allow(dead_code)] // This binary uses only the spec loader.
use buzzin::models::Timestamp;
use buzzin_sim::Simulator;
use serde_json::{json, Map, Value};

const KEY: &str = buzzin_sim::DEFAULT_API_KEY;

struct Sim {
    sim: Simulator,
    http: reqwest::Client,
}

impl Sim {
    async fn start() -> Self {
        let sim = Simulator::builder()
            .clock_start(Timestamp::parse("2026-06-29T10:15:00.000Z").unwrap())
            .freeze_clock()
            .start()
            .await
            .unwrap();
        Sim {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .request(
                method.parse().unwrap(),
                format!("{}{path}", self.sim.base_url()),
            )
            .header("x-api-key", KEY)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn doc_example(name: &str) -> Value {
    let path = format!(
        "{}/../tests/data/doc-examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The spec's schema of `name`, with `allOf` members' properties gathered.
fn properties(spec: &Value, name: &str) -> Map<String, Value> {
    let schema = &spec["components"]["schemas"][name];
    let mut out = Map::new();
    let mut add = |s: &Value| {
        if let Some(props) = s["properties"].as_object() {
            out.extend(props.clone());
        }
    };
    add(schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        add(part);
    }
    out
}

/// A value of another JSON type than the property's schema allows.
fn wrong_type(schema: &Value, spec: &Value) -> Value {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    match schema["type"].as_str() {
        Some("string") => json!(12345),
        Some("array") => json!("not an array"),
        Some("integer") | Some("number") => json!("not a number"),
        Some("boolean") => json!("not a boolean"),
        _ => json!(["an", "array"]),
    }
}

fn assert_refused(status: u16, body: &Value, field: &str, case: &str) {
    assert_eq!(status, 400, "{case}: {body}");
    assert_eq!(body["name"], "BadRequest", "{case}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(field),
        "{case}: the message does not name `{field}`: {message}"
    );
}

#[tokio::test]
async fn wrong_types_and_nulls_on_every_create_field_are_refused_before_any_change() {
    let spec = buzzin_test_support::spec::spec();
    let t = Sim::start().await;
    let contractor = doc_example("create-contractor.request.json");
    for (field, schema) in properties(&spec, "CreateContractorRequest") {
        let mut body = contractor.clone();
        for (case, value) in [
            ("wrong type", wrong_type(&schema, &spec)),
            ("null", Value::Null),
        ] {
            body[&field] = value;
            let (status, answer) = t.send("POST", "/communityContractors", &body).await;
            assert_refused(
                status,
                &answer,
                &field,
                &format!("contractor {field}: {case}"),
            );
        }
    }
    let (status, created) = t.send("POST", "/communityContractors", &contractor).await;
    assert_eq!(status, 201, "nothing was created before: {created}");
    let id = created["_id"].as_str().unwrap().to_owned();
    t.sim.approve_contractor(id.as_str()).unwrap();

    let permit = doc_example("create-permit.request.json");
    for (field, schema) in properties(&spec, "CreatePermitRequest") {
        let mut body = permit.clone();
        for (case, value) in [
            ("wrong type", wrong_type(&schema, &spec)),
            ("null", Value::Null),
        ] {
            body[&field] = value;
            let (status, answer) = t.send("POST", "/permits", &body).await;
            assert_refused(status, &answer, &field, &format!("permit {field}: {case}"));
        }
    }
    // Malformed dates.
    for (field, bad) in [
        ("validFrom", "2026-13-01T06:00:00.000Z"),
        ("validTill", "tomorrow"),
    ] {
        let mut body = permit.clone();
        body[field] = json!(bad);
        let (status, answer) = t.send("POST", "/permits", &body).await;
        assert_refused(status, &answer, field, &format!("{field} = {bad}"));
    }
    let mut body = permit.clone();
    body["noc"]["issueDate"] = json!("20-06-2026");
    let (status, answer) = t.send("POST", "/permits", &body).await;
    assert_refused(status, &answer, "noc.issueDate", "a malformed NOC date");

    let (status, created) = t.send("POST", "/permits", &permit).await;
    assert_eq!(status, 201, "nothing was created before: {created}");
}

/// Every either/or of a permit (contractor, property, unit), from the spec's `oneOf`s: both
/// sides, or neither, is a 400 naming both sides.
#[tokio::test]
async fn both_or_neither_side_of_an_either_or_is_refused() {
    let spec = buzzin_test_support::spec::spec();
    let t = Sim::start().await;
    let (status, _) = t
        .send(
            "POST",
            "/communityContractors",
            &doc_example("create-contractor.request.json"),
        )
        .await;
    assert_eq!(status, 201);
    let permit = doc_example("create-permit.request.json");
    for choice in ["ContractorRef", "PropertyRef", "FlatRef"] {
        // The alternatives sit in the object's `allOf` (see the spec's header).
        let schema = &spec["components"]["schemas"][choice];
        let alternatives = schema["allOf"]
            .as_array()
            .and_then(|members| members.iter().find_map(|m| m["oneOf"].as_array()))
            .unwrap_or_else(|| panic!("{choice} has no allOf/oneOf"));
        let sides: Vec<String> = alternatives
            .iter()
            .map(|alt| alt["required"][0].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(sides.len(), 2, "{choice}");
        let mut both = permit.clone();
        let mut neither = permit.clone();
        for side in &sides {
            both[side] = json!("66e0000000000000000000a1");
            neither.as_object_mut().unwrap().remove(side);
        }
        for (case, body) in [("both", both), ("neither", neither)] {
            let (status, answer) = t.send("POST", "/permits", &body).await;
            assert_refused(status, &answer, &sides[0], &format!("{choice}: {case}"));
            assert_refused(status, &answer, &sides[1], &format!("{choice}: {case}"));
        }
    }
}

#[tokio::test]
async fn nulls_unknown_actions_and_non_json_are_refused() {
    let t = Sim::start().await;
    let seed = t.sim.seed().clone();
    let property = seed.properties[0].id.as_str().to_owned();
    let (status, manager) = t
        .send(
            "POST",
            "/users",
            &json!({"name": "M", "email": "m@example.com", "phone": "+971500000001",
                    "role": "propertyManager", "propertiesIds": [property]}),
        )
        .await;
    assert_eq!(status, 201, "{manager}");
    let id = manager["_id"].as_str().unwrap();
    let (status, answer) = t
        .send(
            "PATCH",
            &format!("/users/{id}"),
            &json!({"propertiesIds": null}),
        )
        .await;
    assert_refused(status, &answer, "propertiesIds", "propertiesIds: null");

    for (path, body, field) in [
        (
            "/passes/66f0a1b2c3d4e5f600000abc",
            json!({"action": "explode"}),
            "action",
        ),
        (
            "/communityContractors/66f0a1b2c3d4e5f600000001",
            json!({"action": "promote"}),
            "action",
        ),
        (
            "/permits/66f0a1b2c3d4e5f600000abc",
            json!({"validTill": 7}),
            "validTill",
        ),
    ] {
        let (status, answer) = t.send("PATCH", path, &body).await;
        assert_refused(status, &answer, field, path);
    }
    let response = t
        .http
        .post(format!("{}/permits", t.sim.base_url()))
        .header("x-api-key", KEY)
        .body("salesforcePermitId=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// The spec leaves a file's `type` open, so a body with another type passes validation; the
/// simulator, which cannot know what Buzz-In makes of it, says so in a 400 and stores nothing.
#[tokio::test]
async fn a_file_of_a_type_the_simulator_does_not_store_is_a_400_naming_it() {
    let sim = Sim::start().await;
    let mut body = doc_example("create-contractor.request.json");
    body["company"]["tradeLicense"] = json!({"type": "sharepoint", "itemId": "01ABC"});
    let (status, answer) = sim.send("POST", "/communityContractors", &body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["name"], "BadRequest");
    assert!(
        answer["message"].as_str().unwrap().contains("`sharepoint`"),
        "{answer}"
    );
    // Nothing was kept: the same body with a URL creates the contractor (no 409).
    body["company"]["tradeLicense"] =
        json!({"type": "url", "url": "https://files.example.com/l.pdf"});
    let (status, answer) = sim.send("POST", "/communityContractors", &body).await;
    assert_eq!(status, 201, "{answer}");
}
