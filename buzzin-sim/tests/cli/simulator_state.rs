//! Persistence (`--state FILE`, `SimulatorBuilder::state_file`) and the snapshot routes
//! (`GET`/`PUT /_simulator/snapshot`, `Simulator::export_state`/`import_state`).

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::simulator_support::*;
use buzzin_sim::{Simulator, WebhookDestination};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_buzzin");

/// `buzzin simulate --port 0 --state FILE`, its base URL read from the banner.
fn simulate(state: &Path) -> (Child, String) {
    spawn_simulator(
        Command::new(BIN)
            .args([
                "simulate",
                "--port",
                "0",
                "--state-interval-ms",
                "100",
                "--state",
            ])
            .arg(state)
            .env_remove("BUZZIN_SIMULATOR_API_KEY")
            .env_remove("BUZZIN_SIMULATOR_WEBHOOKS"),
    )
}

/// `kill -9 PID`.
fn kill_9(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(!exit.success(), "killed, not exited: {exit:?}");
}

fn contractor_body(n: u32) -> Value {
    json!({"name": "R", "email": format!("r{n}@example.com"), "phone": format!("+97150000{n:04}"),
           "company": {"companyName": "C", "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                       "tradeLicenseExpiryDate": "2030-01-01"},
           "integrations": {"damac": {"salesforceId": format!("a0SF{n:04}")}}})
}

fn permit_body(contractor: &str, n: u32) -> Value {
    json!({"salesforcePermitId": format!("a1SFSTATE{n:04}"), "communityContractorId": contractor,
           "propertyExternalId": "DAMAC-TWR-07", "flatExternalId": "UNIT-0712",
           "validFrom": "2020-01-01T00:00:00.000Z", "validTill": "2099-01-01T00:00:00.000Z"})
}

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", &self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    /// A contractor `n`, approved, and a permit of it, ACCEPTED; the contractor's and the
    /// permit's ids.
    async fn records(&self, n: u32) -> (String, Value) {
        let post = reqwest::Method::POST;
        let (status, contractor) = self
            .call(
                post.clone(),
                "/communityContractors",
                Some(contractor_body(n)),
            )
            .await;
        assert_eq!(status, 201, "{contractor}");
        let id = contractor["_id"].as_str().unwrap().to_owned();
        let approve = format!("/_simulator/contractors/{id}/approve");
        assert_eq!(self.call(post.clone(), &approve, None).await.0, 200);
        let (status, permit) = self
            .call(post.clone(), "/permits", Some(permit_body(&id, n)))
            .await;
        assert_eq!(status, 201, "{permit}");
        let permit_id = permit["_id"].as_str().unwrap().to_owned();
        let details = format!("/_simulator/permits/{permit_id}/details");
        assert_eq!(self.call(post.clone(), &details, None).await.0, 200);
        let submit = json!({"action": "submit"});
        let pass = format!("/passes/{permit_id}");
        assert_eq!(
            self.call(reqwest::Method::PATCH, &pass, Some(submit))
                .await
                .0,
            200
        );
        let approve = format!("/_simulator/permits/{permit_id}/approve");
        let (status, accepted) = self.call(post, &approve, None).await;
        assert_eq!(status, 200);
        (id, accepted)
    }
}

#[tokio::test]
async fn a_kill_9_loses_at_most_the_write_window_and_a_restart_has_the_records() {
    let path = temp_path("kill9");
    let (mut child, base) = simulate(&path);
    let api = Api {
        http: reqwest::Client::new(),
        base,
        key: buzzin_sim::DEFAULT_API_KEY.to_owned(),
    };
    let (contractor, permit) = api.records(1).await;
    let permit_id = permit["_id"].as_str().unwrap().to_owned();
    let code = permit["accessCode"].as_str().unwrap().to_owned();
    // The change reaches the file within the bound (100 ms here, plus the writes): wait for
    // it, at most 10 s, then kill -9.
    let written = Instant::now();
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains(&code) {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(10),
            "the state file never showed the permit's pass"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "the permit reached the state file {} ms after its approval",
        written.elapsed().as_millis()
    );
    kill_9(&mut child);
    // No temporary file left beside it that a reader could take for the state.
    let parsed: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(parsed["format"], "buzzin-sim-state");
    assert_eq!(parsed["version"], 1);

    let (mut child, base) = simulate(&path);
    let api = Api { base, ..api };
    let (status, again) = api
        .call(reqwest::Method::GET, &format!("/permits/{permit_id}"), None)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["accessCode"], permit["accessCode"]);
    assert_eq!(again["passNumber"], permit["passNumber"]);
    assert_eq!(again["status"], 1);
    // The QR image follows the simulator to its new port.
    let qr = again["qrImageUrl"].as_str().unwrap();
    assert!(qr.starts_with(&api.base), "{qr}");
    // The contractor is there (its email is taken), and ids are not reused.
    let (status, _) = api
        .call(
            reqwest::Method::POST,
            "/communityContractors",
            Some(contractor_body(1)),
        )
        .await;
    assert_eq!(status, 409);
    let (other, permit2) = api.records(2).await;
    assert_ne!(other, contractor);
    assert_ne!(permit2["_id"], permit["_id"]);
    assert_ne!(permit2["passNumber"], permit["passNumber"]);
    // Ctrl-C is not sent here: a second kill -9, after the window, keeps the second records.
    let id2 = permit2["_id"].as_str().unwrap().to_owned();
    let code2 = permit2["accessCode"].as_str().unwrap().to_owned();
    let written = Instant::now();
    while !std::fs::read_to_string(&path)
        .unwrap_or_default()
        .contains(&code2)
    {
        assert!(written.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    kill_9(&mut child);
    let (mut child, base) = simulate(&path);
    let api = Api { base, ..api };
    for id in [&permit_id, &id2] {
        let (status, _) = api
            .call(reqwest::Method::GET, &format!("/permits/{id}"), None)
            .await;
        assert_eq!(status, 200, "{id}");
    }
    // A SIGTERM (docker stop) writes the state as it stops: no need to wait for the window.
    let (_, permit3) = api.records(3).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success(), "a clean stop");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(permit3["accessCode"].as_str().unwrap()));
    // Only its owner may read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_state_file_of_another_version_is_refused_naming_both_and_left_alone() {
    let path = temp_path("version");
    let newer = br#"{"format": "buzzin-sim-state", "version": 2, "contractors": []}"#;
    std::fs::write(&path, newer).unwrap();
    let out = Command::new(BIN)
        .args(["simulate", "--port", "0", "--state"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("format version 2") && err.contains("reads version 1"),
        "{err}"
    );
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), newer, "the file is kept");
    // The library refuses it the same way, and a file that is not a state at all.
    let error = Simulator::builder()
        .state_file(&path)
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    assert!(error.to_string().contains("version 2"), "{error}");
    std::fs::write(&path, b"{\"some\": \"thing\"}").unwrap();
    let error = Simulator::builder()
        .state_file(&path)
        .start()
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("not a simulator state"),
        "{error}"
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn the_library_writes_its_state_at_shutdown_and_reads_it_back() {
    let path = temp_path("lib");
    let sim = Simulator::builder()
        .clock_start(ts("2026-06-29T10:15:00.000Z"))
        .freeze_clock()
        .state_file(&path)
        // Longer than the test: only the shutdown writes.
        .state_write_interval(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let client = sim.client().unwrap();
    let contractor = approved_contractor(&sim, &client, 3).await;
    let permit = accepted_permit(&sim, &client, &contractor, "a1SFLIB0001").await;
    sim.advance(DAY);
    let now = sim.now();
    let events: Vec<_> = sim.events().into_iter().map(|e| e.id).collect();
    assert!(events.len() >= 2, "{events:?}");
    sim.shutdown().await;
    let again = Simulator::builder()
        .freeze_clock()
        .state_file(&path)
        .start()
        .await
        .unwrap();
    assert_eq!(again.now(), now, "a frozen clock resumes where it stopped");
    let id = permit.id.clone().unwrap();
    let kept = again.permit(id.clone()).unwrap();
    assert_eq!(kept.access_code, permit.access_code);
    assert_eq!(again.contractor(contractor).unwrap().approved, Some(true));
    let kept_events: Vec<_> = again.events().into_iter().map(|e| e.id).collect();
    assert_eq!(kept_events, events, "every event, once, in order");
    // A gate still knows the pass, once its validity starts.
    let code = permit.access_code.as_deref().unwrap();
    assert_eq!(again.scan(code), Err(buzzin_sim::ScanRefusal::Inactive));
    again.advance(2 * DAY);
    assert!(again.scan(code).is_ok());
    drop(again);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_snapshot_exports_and_imports_the_whole_state_and_no_secret() {
    let source = Simulator::builder()
        .api_key("bz_snapshot_key_1234")
        .control_api()
        .webhook(
            WebhookDestination::new("http://hookuser:hookpass@127.0.0.1:9/hook?auth=QUERYSECRET")
                .signing_secret("whsec_snapshot_secret"),
        )
        .start()
        .await
        .unwrap();
    let api = Api {
        http: reqwest::Client::new(),
        base: source.base_url().to_owned(),
        key: "bz_snapshot_key_1234".to_owned(),
    };
    let (_, permit) = api.records(4).await;
    let answer = api
        .http
        .get(format!("{}/_simulator/snapshot", api.base))
        .header("x-api-key", &api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let document = answer.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&document);
    for secret in [
        "bz_snapshot_key_1234",
        "whsec_snapshot_secret",
        "hookpass",
        "QUERYSECRET",
    ] {
        assert!(!text.contains(secret), "{secret} in the snapshot");
    }
    // The route and the library export the same records.
    let over_http: Value = serde_json::from_slice(&document).unwrap();
    let from_rust: Value = serde_json::from_slice(&source.export_state()).unwrap();
    assert_eq!(over_http["permits"], from_rust["permits"]);
    assert_eq!(over_http["contractors"].as_array().unwrap().len(), 1);

    let target = Simulator::builder().control_api().start().await.unwrap();
    let put = |body: Vec<u8>| {
        reqwest::Client::new()
            .put(format!("{}/_simulator/snapshot", target.base_url()))
            .header("x-api-key", target.api_key())
            .body(body)
            .send()
    };
    let imported = put(document.to_vec()).await.unwrap();
    assert_eq!(imported.status(), 200);
    let counts: Value = imported.json().await.unwrap();
    assert_eq!(counts, json!({"contractors": 1, "permits": 1}));
    let id = permit["_id"].as_str().unwrap();
    let copy: Value = reqwest::Client::new()
        .get(format!("{}/permits/{id}", target.base_url()))
        .header("x-api-key", target.api_key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for field in [
        "accessCode",
        "passNumber",
        "status",
        "validTill",
        "employees",
    ] {
        assert_eq!(copy[field], permit[field], "{field}");
    }
    assert_eq!(target.events().len(), source.events().len());
    // A snapshot larger than the API's 1 MiB body limit is read too.
    let mut large = over_http.clone();
    large["padding"] = json!("x".repeat(3 * 1024 * 1024));
    let imported = put(serde_json::to_vec(&large).unwrap()).await.unwrap();
    assert_eq!(imported.status(), 200);

    // Refusals are typed 400s, and change nothing.
    for (bad, says) in [
        (b"{not json".to_vec(), "not JSON"),
        (br#"{"format": "other"}"#.to_vec(), "not a simulator state"),
        (
            br#"{"format": "buzzin-sim-state", "version": 99}"#.to_vec(),
            "format version 99; this simulator reads version 1",
        ),
        (
            br#"{"format": "buzzin-sim-state", "version": 1, "permits": 3}"#.to_vec(),
            "malformed",
        ),
        (
            {
                let mut huge = over_http.clone();
                huge["nextId"] = json!(u64::MAX);
                serde_json::to_vec(&huge).unwrap()
            },
            "`nextId` is 18446744073709551615",
        ),
    ] {
        let answer = put(bad).await.unwrap();
        assert_eq!(answer.status(), 400);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["name"], "BadRequest");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    }
    assert!(
        target.permit(id).is_some(),
        "a refused import changes nothing"
    );
    // The same protection as every control route: no key, no page header, a 401.
    let anonymous = reqwest::Client::new()
        .get(format!("{}/_simulator/snapshot", target.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
