//! Record and replay: a simulator recording from a second simulator (its upstream), then a
//! simulator replaying the cassette, library and CLI; the cassette holds no key, no secret, no
//! personal data.

#[allow(dead_code)] // Only `spec` is used here.
use std::collections::BTreeSet;
use std::process::Command;

use crate::simulator_support::temp_path;
use buzzin_sim::cassette::{REDACTED, REDACTED_FIELDS};
use buzzin_sim::Simulator;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_buzzin");
const KEY: &str = "bz_upstream_key_4242";

/// The requests of the round trip: method, path, body (in order; the permit's id is filled in
/// as it comes).
fn requests(permit: Option<&str>) -> Vec<(reqwest::Method, String, Option<Value>)> {
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;
    let mut list = vec![
        (
            post.clone(),
            "/communityContractors".to_owned(),
            Some(
                json!({"name": "Rec", "email": "rec@example.com", "phone": "+971500001234",
                "company": {"companyName": "C", "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                            "tradeLicenseExpiryDate": "2030-01-01"},
                "integrations": {"damac": {"salesforceId": "a0SFREC1"}}}),
            ),
        ),
        // The same again: a 409 this time, recorded as a second answer to the same request.
        (
            post.clone(),
            "/communityContractors".to_owned(),
            Some(
                json!({"name": "Rec", "email": "rec@example.com", "phone": "+971500001234",
                "company": {"companyName": "C", "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                            "tradeLicenseExpiryDate": "2030-01-01"},
                "integrations": {"damac": {"salesforceId": "a0SFREC1"}}}),
            ),
        ),
        (
            post.clone(),
            "/visits".to_owned(),
            Some(
                json!({"visitType": "externalNfc", "deviceSecret": "nfc_secret_upstream_77",
                "documentId": "784-1990-1234567-1", "phone": "+971501112233"}),
            ),
        ),
        (get.clone(), "/events?$limit=5".to_owned(), None),
        (
            get.clone(),
            "/permits/5f1d00000000000000000fff".to_owned(),
            None,
        ),
    ];
    if let Some(id) = permit {
        list.push((get, format!("/permits/{id}"), None));
    }
    list
}

async fn send(
    base: &str,
    key: Option<&str>,
    (method, path, body): &(reqwest::Method, String, Option<Value>),
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method.clone(), format!("{base}{path}"));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let answer = request.send().await.unwrap();
    (
        answer.status().as_u16(),
        answer.json().await.unwrap_or(Value::Null),
    )
}

/// `value` as a cassette shows it: the redacted fields' values replaced.
fn redacted(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                // A Feathers error's `name` is its class (`BadRequest`), not a person's.
                let error = map.contains_key("message") && map.contains_key("code");
                for (name, field) in map.iter_mut() {
                    let class = error && name == "name";
                    if REDACTED_FIELDS.contains(&name.as_str()) && !field.is_null() && !class {
                        *field = json!(REDACTED);
                    } else {
                        walk(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

#[tokio::test]
async fn a_recording_of_a_second_simulator_replays_the_same_answers_and_holds_no_key() {
    let upstream = Simulator::builder()
        .api_key(KEY)
        .clock_start(buzzin::models::Timestamp::parse("2026-06-29T10:15:00.000Z").unwrap())
        .freeze_clock()
        .start()
        .await
        .unwrap();
    let cassette = temp_path("cassette");
    let recorder = Simulator::builder()
        .record_from(upstream.base_url(), &cassette)
        .start()
        .await
        .unwrap();
    let mut originals = Vec::new();
    for request in requests(None) {
        originals.push(send(recorder.base_url(), Some(KEY), &request).await);
    }
    // A permit needs an approved contractor: the upstream's admin approves it.
    let contractor = originals[0].1["_id"].as_str().unwrap().to_owned();
    upstream.approve_contractor(contractor.as_str()).unwrap();
    let permit = (
        reqwest::Method::POST,
        "/permits".to_owned(),
        Some(
            json!({"salesforcePermitId": "a1SFREC0001", "communityContractorId": contractor,
            "propertyExternalId": "DAMAC-TWR-07", "flatExternalId": "UNIT-0712",
            "validFrom": "2026-07-01T06:00:00.000Z", "validTill": "2026-07-31T18:00:00.000Z"}),
        ),
    );
    let created = send(recorder.base_url(), Some(KEY), &permit).await;
    assert_eq!(created.0, 201, "{}", created.1);
    let id = created.1["_id"].as_str().unwrap().to_owned();
    let last = requests(Some(&id)).pop().unwrap();
    let read = send(recorder.base_url(), Some(KEY), &last).await;
    // The recorder answered what the upstream did: its records, not its own.
    assert_eq!(originals[0].0, 201);
    assert_eq!(originals[1].0, 409);
    assert_eq!(originals[2].0, 400, "an unknown device: {}", originals[2].1);
    assert_eq!(originals[4].0, 404);
    assert_eq!(read.0, 200);
    assert!(upstream.permit(id.as_str()).is_some());
    assert!(recorder.permit(id.as_str()).is_none());
    // Without a key, the recorder refuses at once: nothing is forwarded or recorded.
    let refused = send(recorder.base_url(), None, &requests(None)[3]).await;
    assert_eq!(refused.0, 401);
    // Nor is a path that is not an operation of the spec.
    let unknown = (reqwest::Method::GET, "/not-an-operation".to_owned(), None);
    assert_eq!(send(recorder.base_url(), Some(KEY), &unknown).await.0, 404);
    recorder.shutdown().await;

    let text = std::fs::read_to_string(&cassette).unwrap();
    for secret in [
        KEY,
        "nfc_secret_upstream_77",
        "784-1990-1234567-1",
        "+971501112233",
        "+971500001234",
        "rec@example.com",
    ] {
        assert!(!text.contains(secret), "{secret} is in the cassette");
    }
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["format"], "buzzin-sim-cassette");
    let interactions: Vec<Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(interactions.len(), 7, "{text}");

    // The replay answers the same, redacted as the cassette is.
    let replayer = Simulator::builder()
        .replay(&cassette)
        .start()
        .await
        .unwrap();
    let mut all = requests(None);
    all.push(permit.clone());
    all.push(last.clone());
    let mut expected = originals.clone();
    expected.push(created.clone());
    expected.push(read.clone());
    for (request, original) in all.iter().zip(&expected) {
        let replayed = send(replayer.base_url(), Some(KEY), request).await;
        assert_eq!(replayed.0, original.0, "{} {}", request.0, request.1);
        assert_eq!(
            replayed.1,
            redacted(original.1.clone()),
            "{} {}",
            request.0,
            request.1
        );
    }
    // Matching is by body too: another body is not in the cassette.
    let other = (
        reqwest::Method::POST,
        "/communityContractors".to_owned(),
        Some(json!({"name": "Someone else"})),
    );
    let (status, body) = send(replayer.base_url(), Some(KEY), &other).await;
    assert_eq!(status, 501);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no answer for POST /communityContractors"),
        "{body}"
    );

    // `buzzin simulate --replay FILE` serves it too.
    let (mut child, base) = crate::simulator_support::spawn_simulator(
        Command::new(BIN)
            .args(["simulate", "--port", "0", "--replay"])
            .arg(&cassette),
    );
    let replayed = send(&base, None, &last).await;
    assert_eq!(replayed, (read.0, redacted(read.1.clone())));
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_file(&cassette);
}

#[test]
fn the_redacted_fields_are_the_specs_secrets_and_personal_data() {
    fn walk(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for (name, schema) in properties {
                        let marked = |flag: &str| schema.get(flag) == Some(&Value::Bool(true));
                        if marked("x-buzzin-secret")
                            || marked("x-buzzin-personal-data")
                            || marked("x-buzzin-personal")
                        {
                            found.insert(name.clone());
                        }
                    }
                }
                map.values().for_each(|v| walk(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(&buzzin_test_support::spec::spec(), &mut found);
    let listed: BTreeSet<String> = REDACTED_FIELDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(found, listed);
}

#[test]
fn a_cassette_of_another_version_is_refused_naming_both() {
    let path = temp_path("cassette-version");
    std::fs::write(
        &path,
        b"{\"format\": \"buzzin-sim-cassette\", \"version\": 3}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["simulate", "--port", "0", "--replay"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("format version 3") && err.contains("reads version 2"),
        "{err}"
    );
    let _ = std::fs::remove_file(&path);
}
