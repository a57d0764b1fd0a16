//! Fault rules (`POST/GET/DELETE /_simulator/faults`, `Simulator::add_fault_rule`) and the
//! simulator's own `x-buzzin-sim-answer` header.

use std::time::{Duration, Instant};

use crate::simulator_support::*;
use buzzin_sim::{Fault, FaultRule, Simulator};
use serde_json::{json, Value};

async fn control_sim() -> Simulator {
    Simulator::builder()
        .control_api()
        .start()
        .await
        .expect("the simulator starts")
}

fn contractor_body(n: u32) -> Value {
    json!({"name": "R", "email": format!("r{n}@example.com"), "phone": format!("+97150000{n:04}"),
           "company": {"companyName": "C", "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                       "tradeLicenseExpiryDate": "2030-01-01"},
           "integrations": {"damac": {"salesforceId": format!("a0SF{n:04}")}}})
}

#[tokio::test]
async fn a_rule_by_operation_answers_its_status_the_next_n_times_and_is_listed_until_used_up() {
    let sim = control_sim().await;
    let http = reqwest::Client::new();
    let base = sim.base_url().to_owned();
    let key = sim.api_key().to_owned();
    let added: Value = http
        .post(format!("{base}/_simulator/faults"))
        .header("x-api-key", &key)
        .json(&json!({"operation": "getPermit", "status": 503, "times": 2}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(added["operation"], "getPermit");
    assert_eq!(added["status"], 503);
    assert_eq!(added["remaining"], 2);
    let get = || {
        http.get(format!("{base}/permits/5f1d00000000000000000099"))
            .header("x-api-key", &key)
            .send()
    };
    // Another operation is not touched.
    let events = http
        .get(format!("{base}/events"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let first = get().await.unwrap();
    assert_eq!(first.status(), 503);
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["code"], 503);
    let listed: Value = http
        .get(format!("{base}/_simulator/faults"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["remaining"], 1);
    assert_eq!(listed[0]["fired"], 1);
    assert_eq!(get().await.unwrap().status(), 503);
    assert_eq!(get().await.unwrap().status(), 404, "used up");
    assert!(sim.fault_rules().is_empty());
    // The request log says which fault each request got.
    let faults: Vec<Option<Fault>> = sim.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [
            None,
            Some(Fault::Status(503)),
            Some(Fault::Status(503)),
            None
        ]
    );
}

#[tokio::test]
async fn a_rule_is_removed_by_id_and_bad_rules_get_a_typed_400() {
    let sim = control_sim().await;
    let http = reqwest::Client::new();
    let base = sim.base_url().to_owned();
    let key = sim.api_key().to_owned();
    let post = |body: Value| {
        http.post(format!("{base}/_simulator/faults"))
            .header("x-api-key", &key)
            .json(&body)
            .send()
    };
    let added: Value = post(json!({"path": "/permits/{id}", "status": 502}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = added["id"].as_u64().unwrap();
    assert_eq!(sim.fault_rules().len(), 1);
    let removed = http
        .delete(format!("{base}/_simulator/faults/{id}"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert!(sim.fault_rules().is_empty());
    let again = http
        .delete(format!("{base}/_simulator/faults/{id}"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    for bad in [
        json!({"operation": "noSuchOperation", "status": 503}),
        json!({"path": "/permits", "status": 200}),
        json!({"path": "/permits"}),
        json!({"path": "/permits", "status": 503, "probability": 2}),
        json!({"path": "/permits", "status": 503, "unknown": 1}),
        json!([1, 2]),
    ] {
        let answer = post(bad.clone()).await.unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["name"], "BadRequest", "{bad}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid fault rule"),
            "{body}"
        );
    }
    let not_json = http
        .post(format!("{base}/_simulator/faults"))
        .header("x-api-key", &key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    // The control API's protection: no key, no page header: 401.
    let anonymous = http
        .get(format!("{base}/_simulator/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(sim.fault_rules().is_empty());
}

#[tokio::test]
async fn a_reset_and_a_delay_and_the_sdk_retries_through_them() {
    let (sim, client) = start().await;
    let contractor = approved_contractor(&sim, &client, 1).await;
    let permit = draft_permit(&client, &contractor, "a1SFFAULT0001").await;
    let id = permit.id.unwrap();

    // A reset connection is a transport error for a raw client …
    sim.add_fault_rule(FaultRule::operation("getPermit", Fault::Reset).times(1))
        .unwrap();
    let raw = reqwest::Client::new()
        .get(format!("{}/permits/{id}", sim.base_url()))
        .header("x-api-key", sim.api_key())
        .send()
        .await;
    let failed = match raw {
        Err(_) => true,
        Ok(answer) => answer.bytes().await.is_err(),
    };
    assert!(failed, "a reset connection gives no answer");
    assert_eq!(sim.requests().last().unwrap().fault, Some(Fault::Reset));

    // … which the SDK retries on a read, as it does a 503.
    sim.add_fault_rule(FaultRule::operation("getPermit", Fault::Reset).times(1))
        .unwrap();
    sim.add_fault_rule(FaultRule::path("/permits/{id}", Fault::Status(503)).times(1))
        .unwrap();
    let got = client.permits().get(id.clone()).send().await.unwrap();
    assert_eq!(got.id.as_ref(), Some(&id));
    assert!(sim.fault_rules().is_empty());

    // A delay: the answer comes, late.
    sim.add_fault_rule(
        FaultRule::operation("getPermit", Fault::Delay(Duration::from_millis(300))).times(1),
    )
    .unwrap();
    let started = Instant::now();
    client.permits().get(id.clone()).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A probability of 1 always fires, and an uncounted rule stays until removed.
    let rule = sim
        .add_fault_rule(FaultRule::path("/events", Fault::Status(500)).probability(1.0))
        .unwrap();
    for _ in 0..3 {
        let answer = reqwest::Client::new()
            .get(format!("{}/events", sim.base_url()))
            .header("x-api-key", sim.api_key())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 500);
    }
    assert_eq!(sim.fault_rules()[0].fired, 3);
    assert!(sim.remove_fault_rule(rule));
}

#[tokio::test]
async fn the_answer_header_forces_one_answer_with_no_effect() {
    let sim = control_sim().await;
    let http = reqwest::Client::new();
    let create = |header: Option<&str>| {
        let mut request = http
            .post(format!("{}/communityContractors", sim.base_url()))
            .header("x-api-key", sim.api_key())
            .json(&contractor_body(7));
        if let Some(value) = header {
            request = request.header("x-buzzin-sim-answer", value);
        }
        request.send()
    };
    let forced = create(Some("503")).await.unwrap();
    assert_eq!(forced.status(), 503);
    let body: Value = forced.json().await.unwrap();
    assert_eq!(body["code"], 503);
    // The forced answer had no effect: the same contractor is created now, not a 409.
    assert_eq!(create(None).await.unwrap().status(), 201);
    for bad in ["200", "abc", "600"] {
        assert_eq!(create(Some(bad)).await.unwrap().status(), 400, "{bad}");
    }
}
