//! What an adversary tries against a simulator on a developer's machine: stored files that
//! would run as pages of the simulator's origin, `Host` values and absolute-form request
//! targets that are not loopback, file URLs that run script, and webhook URLs whose
//! credentials would be shown. (The browser half, a stored page opened in Chromium, is in
//! `simulator_dashboard.rs`.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::simulator_support::ts;
use axum::http::HeaderMap;
use base64::Engine as _;
use buzzin_sim::{Simulator, WebhookDestination};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn control_simulator() -> Simulator {
    Simulator::builder()
        .control_api()
        .clock_start(ts("2026-07-02T08:00:00.000Z"))
        .freeze_clock()
        .webhook_retry_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("the simulator starts")
}

/// A new contractor's body (each call a different contractor) with this trade licence.
fn contractor_body(trade_license: Value) -> Value {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    json!({
        "name": "Rep", "email": format!("rep{n}@contracting.example"),
        "phone": format!("+97150000{n:04}"),
        "company": {"companyName": "C LLC", "tradeLicense": trade_license,
                    "tradeLicenseExpiryDate": "2030-01-01"},
        "integrations": {"damac": {"salesforceId": format!("a0SFSEC{n:04}")}},
    })
}

async fn create_contractor(sim: &Simulator, trade_license: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/communityContractors", sim.base_url()))
        .header("x-api-key", sim.api_key())
        .json(&contractor_body(trade_license))
        .send()
        .await
        .unwrap()
}

/// Stores `bytes` as a base64 trade licence of this media type; answers its public URL.
async fn stored_file(sim: &Simulator, mime_type: &str, file_name: &str, bytes: &[u8]) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let answer = create_contractor(
        sim,
        json!({"type": "base64", "mimeType": mime_type, "fileName": file_name, "data": data}),
    )
    .await;
    assert_eq!(answer.status(), 201);
    let body: Value = answer.json().await.unwrap();
    body["company"]["tradeLicense"]["publicUrl"]
        .as_str()
        .unwrap()
        .to_owned()
}

// ---- 1. nothing served from /public/ is active content --------------------------------------

#[tokio::test]
async fn public_files_are_served_inert_and_only_allowed_types_inline() {
    let sim = control_simulator().await;
    let script = b"<html><script>fetch('/_simulator/state')</script></html>";
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    // (stored media type, what is served, served inline)
    let cases: [(&str, &[u8], &str, bool); 8] = [
        ("application/pdf", b"%PDF-1.4", "application/pdf", true),
        ("image/png", b"\x89PNG\r\n", "image/png", true),
        ("image/jpeg", b"\xff\xd8\xff", "image/jpeg", true),
        ("IMAGE/PNG; charset=x", b"\x89PNG", "image/png", true),
        ("text/html", script, "application/octet-stream", false),
        ("image/svg+xml", svg, "application/octet-stream", false),
        (
            "application/xhtml+xml",
            script,
            "application/octet-stream",
            false,
        ),
        ("text/plain", b"hello", "application/octet-stream", false),
    ];
    let http = reqwest::Client::new();
    for (stored, bytes, served, inline) in cases {
        let url = stored_file(&sim, stored, "licence.html", bytes).await;
        // No key is needed for a public file: what a browser tab would get.
        let answer = http.get(&url).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{stored}");
        let headers = answer.headers().clone();
        assert_eq!(headers["content-type"], served, "{stored}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{stored}");
        assert_eq!(
            headers["content-security-policy"], "sandbox; default-src 'none'",
            "{stored}"
        );
        match headers.get("content-disposition") {
            None => assert!(inline, "{stored} must be an attachment"),
            Some(value) => {
                assert!(!inline, "{stored} must be inline");
                assert_eq!(value, "attachment", "{stored}");
            }
        }
        // The bytes are served as stored, whatever the type.
        assert_eq!(answer.bytes().await.unwrap().as_ref(), bytes, "{stored}");
    }
    // A missing file is a 404, with the same headers.
    let missing = http
        .get(format!(
            "{}/public/communityContractors/none",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff");
}

// ---- 2. Host and the request target's authority ---------------------------------------------

/// Sends `GET {target}` with this `Host` and the dashboard's header, no key; answers the status.
async fn raw_status(sim: &Simulator, target: &str, host: &str) -> u16 {
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nx-buzzin-dashboard: 1\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split(' ').nth(1).unwrap_or("0");
    status.parse().unwrap_or(0)
}

#[tokio::test]
async fn only_a_loopback_name_with_a_numeric_port_opens_the_dashboard_without_a_key() {
    let sim = control_simulator().await;
    let port = sim.base_url().rsplit(':').next().unwrap().to_owned();
    let state = "/_simulator/state";
    for host in [
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:{port}"),
        "localhost".to_owned(),
        "LOCALHOST:8080".to_owned(),
        "localhost:".to_owned(),
        "[::1]".to_owned(),
        "[::1]:123".to_owned(),
        "127.0.0.2:80".to_owned(),
    ] {
        assert_eq!(raw_status(&sim, state, &host).await, 200, "Host: {host}");
    }
    for host in [
        "127.0.0.1:80@evil.com",
        "[::1]evil.com",
        "localhost:evil",
        "[::1]:x.evil.com",
        "localhost:80:80",
        "evil.com",
        "localhost.evil.com",
        "127.0.0.1.evil.com:80",
        "[::1",
        "",
    ] {
        assert_eq!(raw_status(&sim, state, host).await, 401, "Host: {host}");
    }
    // An absolute-form target's authority takes precedence over Host (RFC 9112 §3.2.2), so it
    // passes the same rule.
    let own = format!("http://127.0.0.1:{port}{state}");
    assert_eq!(raw_status(&sim, &own, "127.0.0.1").await, 200);
    for target in [
        format!("http://evil.com{state}"),
        format!("http://evil.com:{port}{state}"),
        format!("http://127.0.0.1:80@evil.com{state}"),
        format!("http://localhost:evil{state}"),
    ] {
        assert_eq!(
            raw_status(&sim, &target, "127.0.0.1").await,
            401,
            "{target}"
        );
    }
    // Nothing moved while all this was refused.
    assert_eq!(sim.now(), ts("2026-07-02T08:00:00.000Z"));
}

// ---- 3. file URLs are http or https ---------------------------------------------------------

#[tokio::test]
async fn a_file_url_other_than_http_or_https_is_a_bad_request_naming_the_field() {
    let sim = control_simulator().await;
    for url in [
        "javascript:fetch('/_simulator/state')",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://files.example.com/licence.pdf",
        "vbscript:msgbox(1)",
    ] {
        let answer = create_contractor(&sim, json!({"type": "url", "url": url})).await;
        assert_eq!(answer.status(), 400, "{url}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["name"], "BadRequest", "{url}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("`company.tradeLicense.url`"),
            "{url}: {message}"
        );
        assert!(
            body["errors"]
                .as_object()
                .unwrap()
                .contains_key("company.tradeLicense.url"),
            "{body}"
        );
    }
    for url in [
        "https://files.example.com/licence.pdf",
        "HTTP://files.example.com/licence.pdf",
    ] {
        let answer = create_contractor(&sim, json!({"type": "url", "url": url})).await;
        assert_eq!(answer.status(), 201, "{url}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["company"]["tradeLicense"]["publicUrl"], url);
    }
    // Nothing refused was stored.
    let state: Value = reqwest::Client::new()
        .get(format!("{}/_simulator/state", sim.base_url()))
        .header("x-api-key", sim.api_key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["contractors"].as_array().unwrap().len(), 2, "{state}");
}

// ---- 4. webhook URL credentials are never shown ---------------------------------------------

#[tokio::test]
async fn webhook_url_credentials_are_redacted_where_shown_and_used_for_delivery() {
    let got: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let got = got.clone();
            move |uri: axum::http::Uri, headers: HeaderMap| {
                let got = got.clone();
                async move {
                    got.lock()
                        .unwrap()
                        .push((headers, uri.query().unwrap_or("").to_owned()));
                    "ok"
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("http://hookuser:hookpass@{addr}/hook?auth=QUERYSECRET&team=ops#FRAGSECRET");
    let destination = WebhookDestination::new(&url).token("tok");
    let shown = destination.shown_url().to_owned();
    assert_eq!(
        shown,
        format!("http://REDACTED@{addr}/hook?auth=REDACTED&team=REDACTED")
    );
    assert!(!format!("{destination:?}").contains("hookpass"));
    let sim = Simulator::builder()
        .control_api()
        .webhook(destination)
        .start()
        .await
        .unwrap();
    let client = sim.client().unwrap();
    let contractor = crate::simulator_support::contractor(&client, 1).await;
    sim.approve_contractor(contractor.id.as_ref().unwrap())
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), sim.wait_for_deliveries())
        .await
        .expect("the delivery is attempted");
    let deliveries = sim.deliveries();
    assert!(deliveries[0].succeeded(), "{:?}", deliveries[0].outcome);
    assert_eq!(deliveries[0].url, shown);
    // The receiver got the real URL: its query and its credentials (as Basic auth).
    let (headers, query) = got.lock().unwrap()[0].clone();
    assert_eq!(query, "auth=QUERYSECRET&team=ops");
    let basic = base64::engine::general_purpose::STANDARD.encode("hookuser:hookpass");
    assert_eq!(headers["authorization"], format!("Basic {basic}"));
    // Everything the simulator shows: the state (the dashboard's data), the deliveries route
    // and the attempt's Debug.
    let http = reqwest::Client::new();
    for path in ["/_simulator/state", "/_simulator/deliveries"] {
        let text = http
            .get(format!("{}{path}", sim.base_url()))
            .header("x-api-key", sim.api_key())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains(&shown), "{path}: {text}");
        for secret in ["hookpass", "hookuser", "QUERYSECRET", "FRAGSECRET"] {
            assert!(!text.contains(secret), "{path} shows {secret}: {text}");
        }
    }
    let debug = format!("{:?}", deliveries[0]);
    assert!(
        !debug.contains("hookpass") && !debug.contains("QUERYSECRET"),
        "{debug}"
    );
}
