//! The `buzzin` binary: `webhooks sign` / `webhooks verify` and their exit codes, and
//! `simulate` driven over HTTP through its control API.

use std::io::{BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_buzzin");

/// The environment variables the CLI reads secrets from.
const SECRET_VARS: [&str; 4] = [
    "BUZZIN_SIMULATOR_API_KEY",
    "BUZZIN_WEBHOOK_SECRET",
    "BUZZIN_WEBHOOK_TOKEN",
    "BUZZIN_SIMULATOR_WEBHOOKS",
];

fn as_refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut command = Command::new(BIN);
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A usage error exits before reading its input: a broken pipe is expected then.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn sign_then_verify_and_the_exit_codes() {
    let body = br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.issued","communityId":"6840270a99ca91002185fcd6","createdAt":"2026-06-29T10:15:00.000Z","data":{"status":1}}"#;
    let (code, out, _) = run(&["webhooks", "sign", "--secret", "whsec-cli"], body);
    assert_eq!(code, 0);
    let headers: Vec<&str> = out.lines().collect();
    assert_eq!(headers.len(), 2);
    assert!(headers[0].starts_with("buzzin-signature: "));
    let expected = buzzin::webhooks::sign(
        "whsec-cli",
        headers[1]
            .strip_prefix("buzzin-signature-timestamp: ")
            .unwrap()
            .parse()
            .unwrap(),
        body,
    );
    assert_eq!(headers[0], format!("buzzin-signature: {expected}"));

    let verify = |secret: &str, body: &[u8]| {
        run(
            &[
                "webhooks", "verify", "--secret", secret, "--header", headers[0], "--header",
                headers[1],
            ],
            body,
        )
    };
    let (code, out, _) = verify("whsec-cli", body);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("valid: passes.permits.issued"), "{out}");
    let (code, _, err) = verify("wrong", body);
    assert_eq!(code, 1);
    assert!(err.starts_with("invalid: "), "{err}");
    let (code, _, _) = verify("whsec-cli", &body[1..]);
    assert_eq!(code, 1, "a changed body is refused");

    // An old signature verifies only with --any-timestamp.
    let (_, old, _) = run(
        &[
            "webhooks",
            "sign",
            "--secret",
            "s",
            "--timestamp",
            "1700000000000",
        ],
        body,
    );
    let old: Vec<&str> = old.lines().collect();
    let args = |extra: &[&'static str]| {
        let mut args = vec![
            "webhooks", "verify", "--secret", "s", "--header", old[0], "--header", old[1],
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(run(&as_refs(&args(&[])), body).0, 1);
    assert_eq!(run(&as_refs(&args(&["--any-timestamp"])), body).0, 0);

    // No secret, a bad header, a bad webhook argument.
    let (code, _, err) = run(&["webhooks", "sign"], body);
    assert_eq!(code, 1);
    assert!(err.contains("no secret"), "{err}");
    assert_eq!(
        run(
            &["webhooks", "verify", "--secret", "s", "--header", "nocolon"],
            body
        )
        .0,
        2
    );
    assert_eq!(
        run(&["simulate", "--webhook", "nope=http://x.example"], b"").0,
        2
    );
}

/// `buzzin simulate` with `args`, its base URL (read from the banner) and the rest of its
/// output, a line at a time.
fn simulate(args: &[&str]) -> (Child, String, Lines<BufReader<ChildStdout>>) {
    simulate_with(args, &[])
}

/// [`simulate`] with these environment variables (and none of the simulator's others).
fn simulate_with(
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, String, Lines<BufReader<ChildStdout>>) {
    let mut command = Command::new(BIN);
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    let mut child = command
        .arg("simulate")
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("the banner").unwrap();
        if let Some(url) = line.strip_prefix("  BUZZIN_BASE_URL=") {
            break url.to_owned();
        }
    };
    (child, base, lines)
}

#[tokio::test]
async fn simulate_serves_the_api_and_the_control_api() {
    let (mut child, base, mut lines) = simulate(&["--port", "0", "--api-key", "bz_cli"]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let call = |method: reqwest::Method, path: &str, body: Value| {
        http.request(method, format!("{base}{path}"))
            .header("x-api-key", "bz_cli")
            .json(&body)
            .send()
    };
    let contractor: Value = call(
        reqwest::Method::POST,
        "/communityContractors",
        json!({"name": "R", "email": "r@example.com", "phone": "+971500000000",
               "company": {"companyName": "C", "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                           "tradeLicenseExpiryDate": "2030-01-01"},
               "integrations": {"damac": {"salesforceId": "a0SF1"}}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = contractor["_id"].as_str().unwrap();
    let approved = call(
        reqwest::Method::POST,
        &format!("/_simulator/contractors/{id}/approve"),
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(approved.status(), 200);
    let permit: Value = call(
        reqwest::Method::POST,
        "/permits",
        json!({"salesforcePermitId": "a1SF1", "communityContractorId": id,
               "propertyExternalId": "DAMAC-TWR-07", "flatExternalId": "UNIT-0712",
               "validFrom": "2020-01-01T00:00:00.000Z", "validTill": "2099-01-01T00:00:00.000Z"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let pid = permit["_id"].as_str().unwrap();
    let details = call(
        reqwest::Method::POST,
        &format!("/_simulator/permits/{pid}/details"),
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(details.status(), 200);
    let submitted = call(
        reqwest::Method::PATCH,
        &format!("/passes/{pid}"),
        json!({"action": "submit"}),
    )
    .await
    .unwrap();
    assert_eq!(submitted.status(), 200);
    let accepted: Value = call(
        reqwest::Method::POST,
        &format!("/_simulator/permits/{pid}/approve"),
        json!({}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(accepted["status"], 1);
    let code = accepted["accessCode"].as_str().unwrap();
    let scan: Value = call(
        reqwest::Method::POST,
        "/_simulator/scan",
        json!({"accessCode": code}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(scan["first"], true);
    let wrong_place = call(
        reqwest::Method::POST,
        "/_simulator/scan",
        json!({"accessCode": code, "propertyId": "66e0000000000000000000a2"}),
    )
    .await
    .unwrap();
    assert_eq!(wrong_place.status(), 403);
    let refusal: Value = wrong_place.json().await.unwrap();
    assert_eq!(refusal["errors"]["reason"], "WrongLocation");
    let events: Value = call(reqwest::Method::GET, "/_simulator/events", Value::Null)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "communityContractors.approved",
            "passes.permits.issued",
            "passes.permits.scanned",
            "passes.permits.firstScanned"
        ]
    );
    // The control API needs the key too.
    let anonymous = http
        .get(format!("{base}/_simulator/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    // The API requests are printed, with their status.
    let printed = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let last = line.starts_with("PATCH /passes/");
            seen.push(line);
            if last {
                break;
            }
        }
        seen
    });
    let printed = tokio::time::timeout(Duration::from_secs(10), printed)
        .await
        .expect("the request log")
        .unwrap();
    assert!(
        printed
            .iter()
            .any(|l| l == "POST /communityContractors -> 201"),
        "{printed:?}"
    );
    assert!(
        printed.iter().any(|l| l == "POST /permits -> 201"),
        "{printed:?}"
    );
    assert!(printed.last().unwrap().ends_with("-> 200"), "{printed:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn simulate_help_lists_every_control_hook_with_the_default_key() {
    let (code, out, _) = run(&["simulate", "--help"], b"");
    assert_eq!(code, 0);
    for hook in [
        "/_simulator/contractors/ID/approve",
        "/_simulator/permits/ID/details",
        "/_simulator/permits/ID/approve",
        "/_simulator/scan",
        "/_simulator/clock/advance",
        "/_simulator/events",
        "/_simulator/deliveries",
    ] {
        assert!(out.contains(hook), "{hook} missing from:\n{out}");
    }
    assert!(out.contains(buzzin_sim::DEFAULT_API_KEY), "{out}");
    assert!(out.contains("--host"), "{out}");
    // Every secret has an environment form, listed before the hooks, and the flags say that
    // they are visible.
    let start = out
        .find("Secrets, from the environment")
        .expect("the secrets section");
    let end = out.find("The hooks").expect("the hooks section");
    let section = &out[start..end];
    for var in SECRET_VARS {
        assert!(section.contains(var), "{var} missing from:\n{section}");
    }
    assert!(out.contains("visible to every local user"), "{out}");
    assert!(out.contains("--request-log-bytes"), "{out}");
    // Where the request bodies are described.
    assert!(out.contains("openapi/buzzin.yaml"), "{out}");
}

#[test]
fn simulate_refuses_a_non_loopback_host_with_the_default_key() {
    let (code, _, err) = run(&["simulate", "--host", "0.0.0.0", "--port", "0"], b"");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("BUZZIN_SIMULATOR_API_KEY"), "{err}");
    assert!(err.contains("--api-key"), "{err}");
}

#[tokio::test]
async fn simulate_listens_on_all_addresses_with_its_own_key() {
    // Its output stays open to the end (`_output`): the simulator writes its log there.
    let (mut child, base, _output) =
        simulate(&["--host", "0.0.0.0", "--port", "0", "--api-key", "bz_own"]);
    // Reachable over loopback (the base URL names 127.0.0.1), and keyed.
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let http = reqwest::Client::new();
    let status = |key: &'static str| {
        http.get(format!("{base}/_simulator/events"))
            .header("x-api-key", key)
            .send()
    };
    assert_eq!(status("bz_own").await.unwrap().status().as_u16(), 200);
    assert_eq!(
        status("bz_test_simulator").await.unwrap().status().as_u16(),
        401
    );
    child.kill().unwrap();
    let _ = child.wait();
}

/// A webhook receiver on loopback that records each request's query and headers.
async fn recording_receiver() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<(String, axum::http::HeaderMap)>>>,
) {
    let got: std::sync::Arc<std::sync::Mutex<Vec<(String, axum::http::HeaderMap)>>> =
        Default::default();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let got = got.clone();
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                let got = got.clone();
                async move {
                    let query = uri.query().unwrap_or("").to_owned();
                    got.lock().unwrap().push((query, headers));
                    "ok"
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, got)
}

#[tokio::test]
async fn simulate_takes_its_secrets_from_the_environment_and_shows_none() {
    let (addr, got) = recording_receiver().await;
    let hook = format!("*=http://hookuser:hookpass@{addr}/hook?auth=QUERYSECRET");
    let (mut child, base, lines) = simulate_with(
        &["--port", "0"],
        &[
            ("BUZZIN_SIMULATOR_API_KEY", "bz_from_env"),
            ("BUZZIN_WEBHOOK_TOKEN", "tok_from_env"),
            ("BUZZIN_SIMULATOR_WEBHOOKS", &hook),
        ],
    );
    // No secret is in the process's arguments.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline);
    for secret in ["bz_from_env", "tok_from_env", "hookpass", "QUERYSECRET"] {
        assert!(!cmdline.contains(secret), "{cmdline}");
    }
    let http = reqwest::Client::new();
    let events = |key: &'static str| {
        http.get(format!("{base}/_simulator/events"))
            .header("x-api-key", key)
            .send()
    };
    assert_eq!(events("bz_from_env").await.unwrap().status(), 200);
    assert_eq!(
        events(buzzin_sim::DEFAULT_API_KEY).await.unwrap().status(),
        401
    );
    // An approval sends a delivery, with the token, to the real URL.
    let contractor: Value = http
        .post(format!("{base}/communityContractors"))
        .header("x-api-key", "bz_from_env")
        .json(&json!({"name": "R", "email": "r@example.com", "phone": "+971500000000",
               "company": {"companyName": "C", "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                           "tradeLicenseExpiryDate": "2030-01-01"},
               "integrations": {"damac": {"salesforceId": "a0SFENV"}}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = contractor["_id"].as_str().unwrap();
    let approved = http
        .post(format!("{base}/_simulator/contractors/{id}/approve"))
        .header("x-api-key", "bz_from_env")
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    // Everything printed up to the delivery's log line: the rest of the banner, the requests.
    let printed = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in lines {
            let line = line.unwrap();
            let last = line.starts_with("  webhook ");
            seen.push(line);
            if last {
                break;
            }
        }
        seen
    });
    let printed = tokio::time::timeout(Duration::from_secs(10), printed)
        .await
        .expect("the delivery's log line")
        .unwrap()
        .join("\n");
    // The banner names where the request bodies are described.
    assert!(
        printed.contains("Request bodies: as described in openapi/buzzin.yaml"),
        "{printed}"
    );
    let shown = format!("http://REDACTED@{addr}/hook?auth=REDACTED");
    assert!(
        printed.contains(&format!("  Webhook * -> {shown} (X-Buzzin-Token)")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("-> {shown} (attempt 1): 200")),
        "{printed}"
    );
    for secret in [
        "bz_from_env",
        "tok_from_env",
        "hookpass",
        "hookuser",
        "QUERYSECRET",
    ] {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
    let (query, headers) = got.lock().unwrap()[0].clone();
    assert_eq!(query, "auth=QUERYSECRET");
    assert_eq!(headers["x-buzzin-token"], "tok_from_env");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn simulate_refuses_two_delivery_secrets_from_the_environment() {
    let out = Command::new(BIN)
        .args(["simulate", "--port", "0"])
        .env("BUZZIN_WEBHOOK_TOKEN", "tok")
        .env("BUZZIN_WEBHOOK_SECRET", "whsec")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("both BUZZIN_WEBHOOK_TOKEN and BUZZIN_WEBHOOK_SECRET are set"),
        "{err}"
    );
    assert!(!err.contains("whsec") && !err.contains("tok\n"), "{err}");
    // A malformed URL is refused without being echoed.
    let out = Command::new(BIN)
        .args(["simulate", "--port", "0"])
        .env("BUZZIN_SIMULATOR_WEBHOOKS", "*=http//user:pw@nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BUZZIN_SIMULATOR_WEBHOOKS"), "{err}");
    assert!(!err.contains("pw@"), "{err}");
}
