//! Every answer the simulator gives, and every webhook it emits, validates against the schemas
//! of `openapi/buzzin.yaml`.
//!
//! Every status the simulator answers must be listed for its operation in the spec. Server-owned
//! enums are open in the spec (`x-extensible-enum`), so the simulator's assumed permit statuses
//! (2, 3, 4, 5) validate.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::simulator_support::*;
use buzzin::reqwest::Method;
use buzzin::Client;
use buzzin_sim::{Fault, GateDirection, PermitDetails};
use buzzin_test_support::spec::{spec, validator};
use serde_json::{json, Value};

fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

/// Runs every operation through its successes and its refusals.
async fn exercise(sim: &buzzin_sim::Simulator, client: &Client) {
    let raw = |method: Method, path: String, body: Value| async move {
        let _ = client
            .request(method, path)
            .json(&body)
            .send::<Value>()
            .await;
    };
    // Contractors and permits, the whole lifecycle.
    let a = approved_contractor(sim, client, 1).await;
    let pending = contractor(client, 2).await.id.unwrap();
    let permit = accepted_permit(sim, client, &a, "a1SF0000000000S001").await;
    let id = permit.id.clone().unwrap();
    sim.advance(2 * DAY);
    let code = permit.access_code.clone().unwrap();
    sim.scan(&code).unwrap();
    sim.scan_at(
        &code,
        permit.property_id.as_ref().unwrap(),
        GateDirection::Exit,
    )
    .unwrap();
    client
        .permits()
        .update_validity(id.clone())
        .valid_till(ts("2026-08-15T18:00:00.000Z"))
        .send()
        .await
        .unwrap();
    client
        .permits()
        .replace_noc(id.clone(), noc("NOC-2"))
        .send()
        .await
        .unwrap();
    client.passes().reissue(id.clone()).send().await.unwrap();
    let draft = draft_permit(client, &a, "a1SF0000000000S002").await;
    sim.fill_permit_details(
        draft.id.as_ref().unwrap(),
        PermitDetails::new().employee("x"),
    )
    .unwrap();
    let second = accepted_permit(sim, client, &a, "a1SF0000000000S003").await;
    client
        .passes()
        .revoke(second.id.clone().unwrap())
        .reason("test")
        .send()
        .await
        .unwrap();
    client
        .permits()
        .get(second.id.clone().unwrap())
        .send()
        .await
        .unwrap();
    let c = approved_contractor(sim, client, 3).await;
    let lasting = accepted_permit(sim, client, &c, "a1SF0000000000S004").await;
    client
        .community_contractors()
        .revoke(a.clone())
        .send()
        .await
        .unwrap();
    client.permits().get(id.clone()).send().await.unwrap();
    sim.advance(60 * DAY);
    client
        .permits()
        .get(lasting.id.unwrap())
        .send()
        .await
        .unwrap();

    // Refusals of the documented operations.
    let contractor_body = |email: &str| {
        json!({"name": "R", "email": email, "phone": "+971500000001",
           "company": {"companyName": "C", "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                       "tradeLicenseExpiryDate": "2027-01-01"},
           "integrations": {"damac": {"salesforceId": "a0B5g00000CTR0001"}}})
    };
    raw(
        Method::POST,
        "/communityContractors".into(),
        contractor_body("ops1@contracting.example"),
    )
    .await;
    raw(
        Method::POST,
        "/communityContractors".into(),
        json!({"name": ""}),
    )
    .await;
    raw(
        Method::PATCH,
        format!("/communityContractors/{pending}"),
        json!({"action": "x"}),
    )
    .await;
    raw(
        Method::PATCH,
        format!("/communityContractors/{a}"),
        json!({"action": "approve"}),
    )
    .await;
    raw(
        Method::PATCH,
        "/communityContractors/5f1d0000000000000000ffff".into(),
        json!({"action": "revoke"}),
    )
    .await;
    let permit_body = |contractor: &str, flat: &str, sf: &str| {
        json!({"salesforcePermitId": sf, "communityContractorId": contractor,
               "propertyExternalId": "DAMAC-TWR-07", "flatExternalId": flat,
               "validFrom": "2026-09-01T06:00:00.000Z", "validTill": "2026-09-30T18:00:00.000Z"})
    };
    raw(
        Method::POST,
        "/permits".into(),
        permit_body(pending.as_str(), "UNIT-0712", "a1SFX1"),
    )
    .await;
    raw(
        Method::POST,
        "/permits".into(),
        permit_body(a.as_str(), "UNIT-0712", "a1SFX2"),
    )
    .await;
    raw(
        Method::POST,
        "/permits".into(),
        json!({"salesforcePermitId": "x"}),
    )
    .await;
    raw(
        Method::GET,
        "/permits/5f1d0000000000000000ffff".into(),
        Value::Null,
    )
    .await;
    raw(
        Method::PATCH,
        format!("/permits/{id}"),
        json!({"validTill": "2020-01-01T00:00:00.000Z"}),
    )
    .await;
    raw(
        Method::PATCH,
        "/permits/5f1d0000000000000000ffff".into(),
        json!({"validTill": "2030-01-01T00:00:00.000Z"}),
    )
    .await;
    raw(
        Method::PATCH,
        format!("/passes/{}", draft.id.as_ref().unwrap()),
        json!({"action": "submit"}),
    )
    .await;
    raw(
        Method::PATCH,
        "/passes/5f1d0000000000000000ffff".into(),
        json!({"action": "revoke"}),
    )
    .await;

    // The external NFC visit, entry, exit and its documented 400s.
    let visit = |body: Value| raw(Method::POST, "/visits".into(), body);
    let resident = |secret: &str| {
        json!({"visitType": "externalNfc", "deviceSecret": secret,
               "documentId": "784-1234-5678901-2", "email": "resident@example.com"})
    };
    visit(resident("abc123xyz789...")).await;
    visit(resident("sim-nfc-twr07-exit")).await;
    visit(json!({"visitType": "externalNfc", "deviceSecret": "abc123xyz789...", "phone": "+1"}))
        .await;
    visit(
        json!({"visitType": "externalNfc", "deviceSecret": "abc123xyz789...", "documentId": "1"}),
    )
    .await;
    visit(resident("sim-nfc-twr08-entry")).await;

    // The assumed operations.
    raw(
        Method::GET,
        "/events?$limit=2&$sort[createdAt]=1".into(),
        Value::Null,
    )
    .await;
    raw(Method::GET, "/events?$limit=many".into(), Value::Null).await;
    let access = |flat: &str| {
        json!({"visitor": {"name": "Sara", "phone": "+971501112233"},
               "propertyId": "66e0000000000000000000a1", "flatId": flat,
               "validFrom": "2026-09-01T06:00:00.000Z", "validTill": "2026-09-01T18:00:00.000Z"})
    };
    raw(
        Method::POST,
        "/accesses".into(),
        access("66e0000000000000000000b2"),
    )
    .await;
    raw(
        Method::POST,
        "/accesses".into(),
        access("66e0000000000000000000c1"),
    )
    .await;
    raw(Method::POST, "/accesses".into(), json!({"visitor": {}})).await;
    let manager = |email: &str, property: &str| {
        json!({"name": "Omar", "email": email, "phone": "+971502223344", "role": "propertyManager",
               "propertiesIds": [property]})
    };
    let user: Value = client
        .request(Method::POST, "/users")
        .json(&manager("omar@example.com", "66e0000000000000000000a1"))
        .send()
        .await
        .unwrap();
    raw(
        Method::POST,
        "/users".into(),
        manager("omar@example.com", "66e0000000000000000000a1"),
    )
    .await;
    raw(
        Method::POST,
        "/users".into(),
        manager("lina@example.com", "66e00000000000000000ffff"),
    )
    .await;
    raw(
        Method::POST,
        "/users".into(),
        manager("zed@example.com", "66e0000000000000000000a2"),
    )
    .await;
    let user_id = user["_id"].as_str().unwrap();
    raw(
        Method::PATCH,
        format!("/users/{user_id}"),
        json!({"name": "Omar M."}),
    )
    .await;
    raw(
        Method::PATCH,
        format!("/users/{user_id}"),
        json!({"email": "zed@example.com"}),
    )
    .await;
    raw(
        Method::PATCH,
        format!("/users/{user_id}"),
        json!({"propertiesIds": ["66e00000000000000000ffff"]}),
    )
    .await;
    raw(
        Method::PATCH,
        "/users/5f1d0000000000000000ffff".into(),
        json!({"name": "x"}),
    )
    .await;

    // A wrong key, and injected faults.
    let wrong = Client::builder()
        .base_url(sim.base_url())
        .api_key("wrong")
        .build()
        .unwrap();
    let _ = wrong.permits().get(id.clone()).send().await;
    sim.fail_next(1, Fault::ServerError);
    sim.fail_next(
        1,
        Fault::TooManyRequests {
            retry_after: Duration::from_millis(1),
        },
    );
    client.permits().get(id).send().await.unwrap();
}

#[tokio::test]
async fn every_answer_and_every_event_validates_against_the_spec() {
    let (sim, client) = start().await;
    exercise(&sim, &client).await;

    let spec = spec();
    let feathers = validator(
        &spec,
        &json!({"$ref": "#/components/schemas/FeathersError"}),
    );
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    let requests = sim.requests();
    assert!(requests.len() > 50, "only {} requests", requests.len());
    for request in &requests {
        let place = format!("{} {} → {}", request.method, request.path, request.status);
        let method = request.method.to_lowercase();
        let operation = spec["paths"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(template, item)| {
                template_matches(template, &request.path) && item.get(&method).is_some()
            })
            .map(|(_, item)| &item[&method]);
        let Some(operation) = operation else {
            failures.push(format!("{place}: no operation in the spec"));
            continue;
        };
        let operation_id = operation["operationId"].as_str().unwrap();
        seen.insert(operation_id.to_owned());
        let status = request.status.to_string();
        // The exact code, or its range (`2XX`) where the documentation shows no exact code.
        let range = format!("{}XX", &status[..1]);
        let response = match operation["responses"]
            .get(&status)
            .or_else(|| operation["responses"].get(&range))
        {
            Some(r) => match r["$ref"].as_str() {
                Some(r) => &spec["components"]["responses"][r.rsplit('/').next().unwrap()],
                None => r,
            },
            None => {
                if request.fault.is_none() {
                    failures.push(format!("{place}: status not in the spec ({operation_id})"));
                }
                for error in feathers.iter_errors(&request.response) {
                    failures.push(format!("{place}: not a Feathers error: {error}"));
                }
                continue;
            }
        };
        let schema = &response["content"]["application/json"]["schema"];
        let validator = validator(&spec, schema);
        for error in validator.iter_errors(&request.response) {
            failures.push(format!("{place}: {error}\n  {}", request.response));
        }
        if request.status >= 400 {
            assert!(request.response["message"].is_string(), "{place}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let operations: BTreeSet<String> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, operations, "every operation was exercised");
    assert_eq!(operations.len(), 11);

    // The webhooks.
    let events = sim.events();
    let mut names = BTreeSet::new();
    for event in &events {
        let name = event.event.as_ref().unwrap().as_str().to_owned();
        let schema = &spec["webhooks"][&name]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert!(schema.is_object(), "{name} is not in the spec");
        let body = serde_json::to_value(event).unwrap();
        for error in validator(&spec, schema).iter_errors(&body) {
            failures.push(format!("{name}: {error}\n  {body}"));
        }
        names.insert(name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let documented: BTreeSet<String> = spec["webhooks"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(names, documented, "every event was emitted");
}
