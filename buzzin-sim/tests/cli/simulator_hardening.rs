//! The simulator hardened: the order of the layers a request passes (connections, key, faults),
//! bounds on fault rules, webhook redirects, snapshot import and `buzzin check`'s output, each
//! case a test against a real simulator (real HTTP on 127.0.0.1). The file cases are in
//! `simulator_files.rs`.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::simulator_support::{approved_contractor, start};
use buzzin_sim::{Fault, FaultRule, Simulator, SimulatorError, WebhookDestination};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_buzzin");

/// The status of a keyed `GET /events`.
async fn events_status(sim: &Simulator) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/events", sim.base_url()))
        .header("x-api-key", sim.api_key())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Reads from `stream` until it is closed (or `limit` passes): whether it was closed, and when.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buffer = [0u8; 1024];
    while started.elapsed() < limit {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

// ---- 3 and 9: the layers' order ----------------------------------------------------------

// (Blocking sockets on the test's side: the simulator gets threads of its own.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_by_the_header_timeout() {
    let sim = Simulator::builder()
        .header_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut half = TcpStream::connect(sim.local_addr()).unwrap();
    half.write_all(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-")
        .unwrap();
    let closed = closed_within(&mut half, Duration::from_secs(5));
    assert!(
        closed.is_some_and(|after| after < Duration::from_secs(3)),
        "closed after {closed:?}"
    );
    // A whole request is still answered.
    assert_eq!(events_status(&sim).await, 200);
}

#[test]
fn simulate_closes_a_half_sent_request_after_its_header_timeout() {
    let (mut child, base) =
        crate::simulator_support::spawn_simulator(std::process::Command::new(BIN).args([
            "simulate",
            "--port",
            "0",
            "--header-timeout-ms",
            "300",
        ]));
    let mut half = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    half.write_all(b"POST /permits HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let closed = closed_within(&mut half, Duration::from_secs(5));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        closed.is_some_and(|after| after < Duration::from_secs(3)),
        "closed after {closed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_none_is_served_over_the_limit() {
    let sim = Simulator::builder()
        .connection_limit(4)
        .idle_timeout(Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(sim.local_addr()).unwrap())
        .collect();
    // Let the server take the four in.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = TcpStream::connect(sim.local_addr()).unwrap();
    let refused = closed_within(&mut over, Duration::from_secs(2));
    assert!(refused.is_some(), "a fifth connection is closed at once");
    // The idle four are closed within the idle timeout (and its check), …
    for stream in &mut idle {
        let closed = closed_within(stream, Duration::from_secs(3));
        assert!(closed.is_some(), "an idle connection stays open");
    }
    // … and a normal request is served again.
    assert_eq!(events_status(&sim).await, 200);
}

#[tokio::test]
async fn a_keyless_request_does_not_use_up_a_fault_rule_the_key_layer_comes_first() {
    let (sim, _client) = start().await;
    sim.add_fault_rule(FaultRule::operation("listEvents", Fault::Status(503)).times(2))
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/events", sim.base_url());
    for _ in 0..2 {
        let keyless = http.get(&url).send().await.unwrap();
        assert_eq!(keyless.status(), 401);
        let wrong = http
            .get(&url)
            .header("x-api-key", "wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }
    assert_eq!(sim.fault_rules()[0].fired, 0);
    // The key as `x-api-key`, then as `Authorization` with the scheme in lowercase.
    for (name, value) in [
        ("x-api-key", sim.api_key().to_owned()),
        ("authorization", format!("bearer {}", sim.api_key())),
    ] {
        let keyed = http.get(&url).header(name, value).send().await.unwrap();
        assert_eq!(keyed.status(), 503, "the rule is the test's own client's");
    }
    assert!(sim.fault_rules().is_empty());
}

#[tokio::test]
async fn fault_rules_are_bounded_in_number_and_path_length() {
    let sim = Simulator::builder().control_api().start().await.unwrap();
    let http = reqwest::Client::new();
    let add = |body: Value| {
        http.post(format!("{}/_simulator/faults", sim.base_url()))
            .header("x-api-key", sim.api_key())
            .json(&body)
            .send()
    };
    let long = format!("/{}", "a".repeat(buzzin_sim::MAX_FAULT_PATH));
    let refused = add(json!({"path": long, "status": 503})).await.unwrap();
    assert_eq!(refused.status(), 400);
    let message: Value = refused.json().await.unwrap();
    assert!(
        message["message"].as_str().unwrap().contains("at most"),
        "{message}"
    );
    for n in 0..buzzin_sim::MAX_FAULT_RULES {
        let added = add(json!({"path": format!("/p{n}"), "status": 503}))
            .await
            .unwrap();
        assert_eq!(added.status(), 201);
    }
    let over = add(json!({"path": "/one-more", "status": 503}))
        .await
        .unwrap();
    assert_eq!(over.status(), 400);
    assert_eq!(sim.fault_rules().len(), buzzin_sim::MAX_FAULT_RULES);
    assert!(matches!(
        sim.add_fault_rule(FaultRule::path("/again", Fault::Status(503))),
        Err(SimulatorError::InvalidState(_))
    ));
}

// ---- 4: no webhook redirect is followed --------------------------------------------------

#[tokio::test]
async fn a_webhook_receivers_redirect_is_not_followed_with_the_token() {
    let other = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&other)
        .await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/stolen", other.uri()).as_str()),
        )
        .mount(&receiver)
        .await;
    let sim = Simulator::builder()
        .webhook(WebhookDestination::new(format!("{}/hook", receiver.uri())).token("tok_secret"))
        .webhook_attempts(1)
        .start()
        .await
        .unwrap();
    let client = sim.client().unwrap();
    approved_contractor(&sim, &client, 7201).await;
    tokio::time::timeout(Duration::from_secs(10), sim.wait_for_deliveries())
        .await
        .unwrap();
    let attempts = sim.deliveries();
    assert!(!attempts.is_empty());
    assert!(attempts
        .iter()
        .all(|a| a.outcome == buzzin_sim::DeliveryOutcome::Status(307)));
    assert!(other.received_requests().await.unwrap().is_empty());
}

/// A change that breaks a snapshot.
type Breaks = Box<dyn Fn(&mut Value)>;

// ---- 8: snapshot import keeps the rules --------------------------------------------------

#[tokio::test]
async fn an_invalid_snapshot_is_refused_naming_the_first_broken_rule_and_changes_nothing() {
    let (sim, client) = start().await;
    let contractor_id = approved_contractor(&sim, &client, 7301).await;
    let permit =
        crate::simulator_support::draft_permit(&client, &contractor_id, "a1SFINV0001").await;
    assert!(permit.id.is_some());
    let good: Value = serde_json::from_slice(&sim.export_state()).unwrap();
    let cases: Vec<(&str, Breaks)> = vec![
        (
            "does not hold",
            Box::new(|s| s["permits"][0]["contractorId"] = json!("5f1d0000000000000000ffff")),
        ),
        (
            "taken twice",
            Box::new(|s| {
                let copy = s["permits"][0].clone();
                s["permits"].as_array_mut().unwrap().push(copy);
            }),
        ),
        (
            "taken twice",
            Box::new(|s| {
                let copy = s["contractors"][0].clone();
                s["contractors"].as_array_mut().unwrap().push(copy);
            }),
        ),
        ("`nextId` is 1", Box::new(|s| s["nextId"] = json!(1))),
        (
            "has no `_id`",
            Box::new(|s| {
                s["contractors"][0]["record"]
                    .as_object_mut()
                    .unwrap()
                    .remove("_id");
            }),
        ),
        (
            "does not have",
            Box::new(|s| s["permits"][0]["propertyId"] = json!("66e00000000000000000ffff")),
        ),
        (
            "status 4611686018427387904",
            Box::new(|s| s["permits"][0]["status"] = json!(1u64 << 62)),
        ),
        (
            "not 24 hexadecimal",
            Box::new(|s| s["permits"][0]["id"] = json!("../../etc")),
        ),
    ];
    for (why, break_it) in &cases {
        let mut bad = good.clone();
        break_it(&mut bad);
        let refused = sim.import_state(&serde_json::to_vec(&bad).unwrap());
        let Err(SimulatorError::InvalidState(message)) = refused else {
            panic!("accepted: {why}");
        };
        assert!(message.contains(why), "{why}: {message}");
        let now: Value = serde_json::from_slice(&sim.export_state()).unwrap();
        assert_eq!(now["permits"], good["permits"], "changed by: {why}");
    }
    // One access code shared by two permits.
    let mut shared_code = good.clone();
    let mut second = good["permits"][0].clone();
    second["id"] = json!("5f1d00000000000000000ff0");
    second["salesforceId"] = json!("a1SFINV0002");
    second["accessCode"] = json!("SAMECODE0000000000000001");
    shared_code["permits"][0]["accessCode"] = json!("SAMECODE0000000000000001");
    shared_code["permits"].as_array_mut().unwrap().push(second);
    shared_code["nextId"] = json!(0xfff1);
    let Err(SimulatorError::InvalidState(message)) =
        sim.import_state(&serde_json::to_vec(&shared_code).unwrap())
    else {
        panic!("a shared access code was accepted");
    };
    assert!(message.contains("access code"), "{message}");
    // Over HTTP, a 400 naming it; after it, creating still works (no panic, no taken id).
    let control = Simulator::builder().control_api().start().await.unwrap();
    let mut bad = good.clone();
    bad["nextId"] = json!(1);
    let answer = reqwest::Client::new()
        .put(format!("{}/_simulator/snapshot", control.base_url()))
        .header("x-api-key", control.api_key())
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("nextId"),
        "{body}"
    );
}

// ---- 10: `buzzin check` escapes what the server says -------------------------------------

#[tokio::test]
async fn check_escapes_control_characters_in_its_table() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total": 1, "limit": 10, "skip": 0,
            "data": [{
                "_id": "5f1d0000000000000000e001",
                "visitType": "\u{1b}]0;owned\u{7}",
                "propertyId": "66e0000000000000000000a1",
                "createdAt": "2026-01-01T00:00:00.000Z",
                "\u{1b}[2Jfield": 1,
            }],
        })))
        .mount(&server)
        .await;
    let out = tokio::process::Command::new(BIN)
        .arg("check")
        .env("BUZZIN_BASE_URL", server.uri())
        .env("BUZZIN_API_KEY", "bz_check_escape")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("\\u{1b}]0;owned\\u{7}"), "{stdout}");
    assert!(stdout.contains("\\u{1b}[2Jfield"), "{stdout}");
}
