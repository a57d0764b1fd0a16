//! The simulator's dashboard (`/_simulator/`): its routes and key rule over HTTP, and the page
//! itself driven in a real headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`; `.ci/browser.sh` installs them). `BUZZIN_CHROMEDRIVER` and `BUZZIN_CHROMIUM`
//! name other binaries.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::simulator_support::{contractor, draft_permit, ts};
use axum::http::{HeaderMap, StatusCode};
use buzzin::models::WebhookEventName;
use buzzin_sim::{Simulator, SimulatorError, WebhookDestination};
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use serde_json::{json, Value};

const SECRET: &str = "whsec-dashboard-test";

// ---- a webhook receiver ---------------------------------------------------------------------

/// One delivery the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A local webhook endpoint that records every request; it answers `503` to the first one and
/// `200` to the rest (so the page shows a failed attempt and its retry).
async fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post({
            let got = got.clone();
            move |headers: HeaderMap, body: axum::body::Bytes| {
                let got = got.clone();
                async move {
                    let mut got = got.lock().unwrap();
                    got.push(Received {
                        headers: headers
                            .iter()
                            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                            .collect(),
                        body: body.to_vec(),
                    });
                    if got.len() == 1 {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hooks"), got)
}

async fn dashboard_simulator(destination: Option<&str>) -> Simulator {
    let mut builder = Simulator::builder()
        .control_api()
        .clock_start(ts("2026-07-02T08:00:00.000Z"))
        .freeze_clock()
        .webhook_retry_delay(Duration::from_millis(50));
    if let Some(url) = destination {
        builder = builder.webhook(WebhookDestination::new(url).signing_secret(SECRET));
    }
    builder.start().await.expect("the simulator starts")
}

// ---- the routes, over HTTP ------------------------------------------------------------------

#[tokio::test]
async fn the_page_is_served_without_a_key_and_forbids_inline_script_and_framing() {
    let sim = dashboard_simulator(None).await;
    let http = reqwest::Client::new();
    let mut weight = 0;
    for (path, content_type) in [
        ("/_simulator/", "text/html; charset=utf-8"),
        ("/_simulator/app.js", "text/javascript; charset=utf-8"),
        ("/_simulator/style.css", "text/css; charset=utf-8"),
    ] {
        let answer = http
            .get(format!("{}{path}", sim.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        assert_eq!(answer.headers()["content-type"], content_type, "{path}");
        let csp = answer.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
        let body = answer.bytes().await.unwrap();
        assert!(!body.is_empty());
        weight += body.len();
    }
    // The page has no inline script and loads nothing from elsewhere.
    let page = http
        .get(format!("{}/_simulator/", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>"), "inline script in the page");
    assert!(!page.contains("http://") && !page.contains("https://"));
    println!("dashboard page weight: {weight} bytes (HTML + JS + CSS)");
}

#[tokio::test]
async fn data_needs_the_key_or_the_pages_header_on_a_loopback_host() {
    let sim = dashboard_simulator(None).await;
    let http = reqwest::Client::new();
    let state = format!("{}/_simulator/state", sim.base_url());
    let status = |request: reqwest::RequestBuilder| async move {
        request.send().await.unwrap().status().as_u16()
    };
    // Neither the key nor the page's header: a Feathers 401, as any other route.
    let denied = http.get(&state).send().await.unwrap();
    assert_eq!(denied.status(), 401);
    let body: Value = denied.json().await.unwrap();
    assert_eq!(body["name"], "NotAuthenticated");
    // The page's header from a loopback Host: no key needed.
    assert_eq!(
        status(http.get(&state).header("x-buzzin-dashboard", "1")).await,
        200
    );
    // The same from a name that is not loopback (a DNS rebinding page): refused.
    assert_eq!(
        status(
            http.get(&state)
                .header("x-buzzin-dashboard", "1")
                .header("host", "evil.example")
        )
        .await,
        401
    );
    // The key works from anywhere, as on every route.
    assert_eq!(
        status(
            http.get(&state)
                .header("x-api-key", sim.api_key())
                .header("host", "evil.example")
        )
        .await,
        200
    );
    // The older hooks follow the same rule (the page calls them too).
    let advance = format!("{}/_simulator/clock/advance", sim.base_url());
    assert_eq!(
        status(http.post(&advance).json(&json!({"ms": 60_000}))).await,
        401
    );
    assert_eq!(
        status(
            http.post(&advance)
                .header("x-buzzin-dashboard", "1")
                .json(&json!({"ms": 60_000}))
        )
        .await,
        200
    );
    assert_eq!(sim.now(), ts("2026-07-02T08:01:00.000Z"));
    // Only the page's files are open without the header.
    assert_eq!(
        status(http.post(format!("{}/_simulator/", sim.base_url()))).await,
        401
    );
}

#[tokio::test]
async fn without_the_control_api_there_is_no_dashboard() {
    let sim = Simulator::start().await.unwrap();
    let answer = reqwest::get(format!("{}/_simulator/", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn the_snapshot_shows_the_records_and_hides_secrets() {
    let (url, _got) = receiver().await;
    let sim = Simulator::builder()
        .control_api()
        .webhook(WebhookDestination::new(&url).token("tok-secret-value"))
        .start()
        .await
        .unwrap();
    let client = sim.client().unwrap();
    let pending = contractor(&client, 1).await.id.unwrap();
    let approved = contractor(&client, 2).await.id.unwrap();
    sim.approve_contractor(&approved).unwrap();
    sim.wait_for_deliveries().await;
    let state: Value = reqwest::Client::new()
        .get(format!("{}/_simulator/state", sim.base_url()))
        .header("x-buzzin-dashboard", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let states: Vec<(&str, &str)> = state["contractors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["_id"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            (pending.as_str(), "pending"),
            (approved.as_str(), "approved")
        ]
    );
    assert_eq!(state["properties"][0]["externalId"], "DAMAC-TWR-07");
    assert_eq!(
        state["properties"][0]["units"][0]["id"],
        "66e0000000000000000000b2"
    );
    assert_eq!(state["nfcTags"].as_array().unwrap().len(), 4);
    assert_eq!(state["events"][0]["event"], "communityContractors.approved");
    // The delivery (a 503, then its retry) with its headers and body; the token is hidden.
    let delivery = &state["deliveries"][0];
    assert_eq!(delivery["event"], "communityContractors.approved");
    assert_eq!(delivery["url"], url.as_str());
    let attempts = delivery["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["status"], 503);
    assert_eq!(attempts[1]["status"], 200);
    assert_eq!(attempts[1]["succeeded"], true);
    let text = state.to_string();
    assert!(!text.contains("tok-secret-value"), "the token leaked");
    assert!(text.contains("<redacted>"));
    assert!(!text.contains("abc123xyz789"), "an NFC tag's secret leaked");
    let body: Value = serde_json::from_str(attempts[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["event"], "communityContractors.approved");
}

#[tokio::test]
async fn a_redelivery_keeps_the_delivery_id_and_numbers_its_attempts_after() {
    let (url, got) = receiver().await;
    let sim = dashboard_simulator(Some(&url)).await;
    let client = sim.client().unwrap();
    let id = contractor(&client, 3).await.id.unwrap();
    sim.approve_contractor(&id).unwrap();
    sim.wait_for_deliveries().await;
    let delivery_id = sim.deliveries()[0].delivery_id.clone();
    assert_eq!(sim.deliveries().len(), 2, "a 503, then the retry");

    sim.redeliver(&delivery_id).unwrap();
    sim.wait_for_deliveries().await;
    let attempts = sim.deliveries();
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[2].delivery_id, delivery_id);
    assert_eq!(attempts[2].attempt, 3);
    assert!(attempts[2].succeeded());
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].header("x-buzzin-delivery"), delivery_id);
    assert_eq!(got[2].body, got[1].body);
    // Freshly signed, and the signature verifies.
    let verified = buzzin::webhooks::Verifier::new(SECRET).verify(&got[2].headers, &got[2].body);
    assert!(verified.is_ok(), "{verified:?}");

    // Over HTTP too; an unknown delivery is a Feathers 404.
    let http = reqwest::Client::new();
    let redeliver = |id: &str| {
        http.post(format!(
            "{}/_simulator/deliveries/{id}/redeliver",
            sim.base_url()
        ))
        .header("x-buzzin-dashboard", "1")
        .send()
    };
    assert_eq!(redeliver(&delivery_id).await.unwrap().status(), 202);
    let missing = redeliver("de11unknown").await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["name"], "NotFound");
    assert!(matches!(
        sim.redeliver("de11unknown"),
        Err(SimulatorError::NotFound {
            kind: "delivery",
            ..
        })
    ));
    sim.wait_for_deliveries().await;
    assert_eq!(sim.deliveries().last().unwrap().attempt, 4);
}

#[tokio::test]
async fn an_nfc_tap_answers_what_the_gate_was_told() {
    let sim = dashboard_simulator(None).await;
    let http = reqwest::Client::new();
    let tap = |body: Value| {
        let sent = http
            .post(format!("{}/_simulator/nfc/tap", sim.base_url()))
            .header("x-buzzin-dashboard", "1")
            .json(&body)
            .send();
        async move {
            let answer = sent.await.unwrap();
            (answer.status(), answer.json::<Value>().await.unwrap())
        }
    };
    // The documentation's resident at the entry tag of their own tower.
    let (status, entry) = tap(json!({"tag": 0, "resident": 0})).await;
    assert_eq!(status, 200, "a gate's refusal is not the call's: {entry}");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["answer"]["responseCode"], "entryEventCreated");
    // The Tower 8 resident at a Tower 7 tag: the gate is refused, in Buzz-In's words.
    let (status, refused) = tap(json!({"tag": 0, "resident": 1})).await;
    assert_eq!(status, 200, "a gate's refusal is not the call's: {refused}");
    assert_eq!(refused["status"], 400);
    assert_eq!(
        refused["answer"]["message"],
        "User doesn't have unit in the building"
    );
    // A tag that does not exist is this call's own 400.
    let (status, body) = tap(json!({"tag": 9, "resident": 0})).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("0 to 3"),
        "{body}"
    );
}

// ---- the page, in a browser -----------------------------------------------------------------

/// chromedriver on a free loopback port; stopped (killed) on drop.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program named by the environment variable `var`, else the first of `candidates` that
/// exists.
fn installed(var: &str, candidates: &[&str]) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => candidates.iter().map(PathBuf::from).find(|p| p.is_file()),
    }
}

async fn chromedriver(driver: &PathBuf) -> Chromedriver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Chromedriver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = reqwest::get(format!("{}/status", driver.url))
            .await
            .ok()
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if ready {
            return driver;
        }
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn testid(id: &str) -> String {
    format!("[data-testid='{id}']")
}

/// Polls `check` (every 100 ms, 15 s at most) until it answers `Some`.
async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the element with this test id, once it exists.
async fn text_of(browser: &Browser, id: &str) -> Option<String> {
    browser
        .find(Locator::Css(&testid(id)))
        .await
        .ok()?
        .text()
        .await
        .ok()
}

/// Waits until the element's text satisfies `wanted`; answers it.
async fn wait_text(browser: &Browser, id: &str, wanted: impl Fn(&str) -> bool) -> String {
    until(&format!("the text of {id}"), || async {
        text_of(browser, id).await.filter(|t| wanted(t))
    })
    .await
}

/// Clicks the element with this test id once it exists and is enabled (found afresh each
/// try: the page redraws a section when its data changes).
async fn click(browser: &Browser, id: &str) {
    until(&format!("{id} to be clickable"), || async {
        let element = browser.find(Locator::Css(&testid(id))).await.ok()?;
        if !element.is_enabled().await.ok()? {
            return None;
        }
        element.click().await.ok()
    })
    .await
}

async fn type_into(browser: &Browser, id: &str, text: &str) {
    let element = browser.find(Locator::Css(&testid(id))).await.unwrap();
    element.clear().await.unwrap();
    element.send_keys(text).await.unwrap();
}

/// The browser's console entries since the last call (chromedriver's `goog:loggingPrefs` log).
async fn console(driver: &Chromedriver, browser: &Browser) -> Vec<Value> {
    let session = browser.session_id().await.unwrap().unwrap();
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/session/{session}/se/log", driver.url))
        .json(&json!({"type": "browser"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["value"].as_array().cloned().unwrap_or_default()
}

/// A headless Chromium session through chromedriver, with a fresh profile (removed with the
/// session by [`BrowserSession::close`]).
struct BrowserSession {
    driver: Chromedriver,
    browser: Browser,
    profile: PathBuf,
}

impl BrowserSession {
    async fn start() -> BrowserSession {
        let (Some(driver_path), Some(chromium)) = (
            installed(
                "BUZZIN_CHROMEDRIVER",
                &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
            ),
            installed(
                "BUZZIN_CHROMIUM",
                &["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
            ),
        ) else {
            panic!(
                "the dashboard's browser tests need Chromium and chromedriver: install the \
                 Debian packages `chromium` and `chromium-driver` (apt-get install -y chromium \
                 chromium-driver; .ci/browser.sh does it)"
            );
        };
        let driver = chromedriver(&driver_path).await;
        static SESSIONS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "buzzin-dashboard-{}-{}",
            std::process::id(),
            SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1400,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .expect("a Chromium session through chromedriver");
        BrowserSession {
            driver,
            browser,
            profile,
        }
    }

    async fn close(self) {
        self.browser.close().await.unwrap();
        drop(self.driver);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

#[tokio::test]
async fn the_dashboard_plays_the_admin_and_the_gate_in_a_real_browser() {
    let started = Instant::now();
    let (hooks, got) = receiver().await;
    let sim = dashboard_simulator(Some(&hooks)).await;
    let client = sim.client().unwrap();
    let session = BrowserSession::start().await;
    let (driver, browser) = (&session.driver, &session.browser);

    browser
        .goto(&format!("{}/_simulator/", sim.base_url()))
        .await
        .unwrap();
    wait_text(browser, "connection", |t| t == "live").await;
    let tower = wait_text(browser, "property-66e0000000000000000000a1", |t| {
        !t.is_empty()
    })
    .await;
    assert!(
        tower.contains("DAMAC-TWR-07") && tower.contains("UNIT-0712"),
        "{tower}"
    );
    assert_eq!(
        text_of(browser, "clock-now").await.unwrap(),
        "2026-07-02T08:00:00.000Z"
    );

    // A contractor created through the API appears, pending; Approve approves it.
    let contractor_id = contractor(&client, 7).await.id.unwrap();
    let state_id = format!("contractor-state-{contractor_id}");
    wait_text(browser, &state_id, |t| t == "pending").await;
    click(browser, &format!("approve-contractor-{contractor_id}")).await;
    wait_text(browser, &state_id, |t| t == "approved").await;
    assert_eq!(sim.contractor(&contractor_id).unwrap().approved, Some(true));

    // A permit created through the API appears as a DRAFT; its details are filled in the
    // dialog; the API submits it; Approve issues its pass.
    let permit = draft_permit(&client, &contractor_id, "a0B5g000000DASH01")
        .await
        .id
        .unwrap();
    let status_id = format!("permit-status-{permit}");
    wait_text(browser, &status_id, |t| t == "DRAFT").await;
    click(browser, &format!("details-permit-{permit}")).await;
    type_into(browser, "details-rep-name", "Omar Site Lead").await;
    type_into(browser, "details-employees", "Omar, Yusuf, Ali").await;
    click(browser, "details-save").await;
    let filled = until("the details to be saved", || async {
        sim.permit(&permit)
            .filter(|p| p.representative_name.is_some())
    })
    .await;
    assert_eq!(
        filled.representative_name.as_deref(),
        Some("Omar Site Lead")
    );
    assert_eq!(filled.time_in.as_deref(), Some("08:00"));
    let employees: Vec<_> = filled
        .employees
        .unwrap()
        .into_iter()
        .filter_map(|e| e.name)
        .collect();
    assert_eq!(employees, ["Omar", "Yusuf", "Ali"]);
    client.passes().submit(permit.clone()).send().await.unwrap();
    wait_text(browser, &status_id, |t| t == "PENDING").await;
    click(browser, &format!("approve-permit-{permit}")).await;
    wait_text(browser, &status_id, |t| t == "ACCEPTED").await;
    let code = sim.permit(&permit).unwrap().access_code.unwrap();
    wait_text(browser, &format!("permit-code-{permit}"), |t| t == code).await;
    let qr = browser
        .find(Locator::Css(&testid(&format!("permit-qr-{permit}"))))
        .await
        .unwrap();
    assert!(qr
        .attr("src")
        .await
        .unwrap()
        .unwrap()
        .starts_with("data:image/png;base64,"));

    // A code no pass has: refused, with the reason; nothing fired.
    type_into(browser, "scan-input", "NOT-A-CODE").await;
    click(browser, "scan-submit").await;
    let refused = wait_text(browser, "scan-result", |t| t.contains("refused")).await;
    assert!(refused.contains("UnknownCode"), "{refused}");
    assert_eq!(text_of(browser, "scan-events").await.unwrap(), "");

    // The gate: the code typed in and scanned opens it, and the page lists what it fired.
    type_into(browser, "scan-input", &code).await;
    click(browser, "scan-submit").await;
    let result = wait_text(browser, "scan-result", |t| t.contains("opened")).await;
    assert!(
        result.contains(permit.as_str()) && result.contains("first scan"),
        "{result}"
    );
    let fired = wait_text(browser, "scan-events", |t| !t.is_empty()).await;
    assert_eq!(
        fired.lines().collect::<Vec<_>>(),
        ["passes.permits.scanned", "passes.permits.firstScanned"]
    );

    // An NFC tag tapped by the documentation's resident.
    click(browser, "nfc-tap").await;
    wait_text(browser, "nfc-result", |t| t.contains("entryEventCreated")).await;

    // Every delivery shows, with its event and its attempts' status codes.
    sim.wait_for_deliveries().await;
    let mut deliveries: Vec<(String, WebhookEventName)> = Vec::new();
    for attempt in sim.deliveries() {
        if !deliveries.iter().any(|(id, _)| *id == attempt.delivery_id) {
            deliveries.push((attempt.delivery_id.clone(), attempt.event.clone()));
        }
    }
    let events: Vec<&str> = deliveries.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(
        events,
        [
            "communityContractors.approved",
            "passes.permits.issued",
            "passes.permits.scanned",
            "passes.permits.firstScanned"
        ]
    );
    for (id, event) in &deliveries {
        wait_text(browser, &format!("delivery-event-{id}"), |t| {
            t == event.as_str()
        })
        .await;
    }
    let (first, _) = &deliveries[0];
    wait_text(browser, &format!("delivery-attempts-{first}"), |t| {
        t.contains("#1 503") && t.contains("#2 200")
    })
    .await;

    // Redeliver the permit's issue: the receiver gets it again, same delivery id.
    let (issued, _) = &deliveries[1];
    let before = got.lock().unwrap().len();
    click(browser, &format!("redeliver-{issued}")).await;
    wait_text(browser, &format!("delivery-attempts-{issued}"), |t| {
        t.contains("#2 200")
    })
    .await;
    // Its headers and body, opened on the page.
    browser
        .find(Locator::Css(&format!(
            "{} summary",
            testid(&format!("delivery-{issued}"))
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let shown = wait_text(browser, &format!("delivery-body-{issued}"), |t| {
        t.contains("passes.permits.issued")
    })
    .await;
    assert!(shown.contains(&code), "{shown}");
    let panel = text_of(browser, &format!("delivery-{issued}"))
        .await
        .unwrap();
    assert!(
        panel.contains("buzzin-signature") && panel.contains(issued.as_str()),
        "{panel}"
    );
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), before + 1);
    let again = got.last().unwrap();
    assert_eq!(again.header("x-buzzin-delivery"), issued);
    let envelope: Value = serde_json::from_slice(&again.body).unwrap();
    assert_eq!(envelope["event"], "passes.permits.issued");
    assert_eq!(envelope["data"]["accessCode"], code.as_str());

    // The clock: 2 hours later.
    type_into(browser, "clock-amount", "2").await;
    click(browser, "clock-advance").await;
    wait_text(browser, "clock-now", |t| t == "2026-07-02T10:00:00.000Z").await;
    assert_eq!(sim.now(), ts("2026-07-02T10:00:00.000Z"));

    // Every event the page was given shows in its list.
    let listed = text_of(browser, "events").await.unwrap();
    for (_, event) in &deliveries {
        assert!(listed.contains(event.as_str()), "{listed}");
    }

    // The whole page in one picture.
    browser.set_window_size(1280, 1900).await.unwrap();
    browser
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    let screenshot = browser.screenshot().await.unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("simulator-dashboard.png");
    std::fs::write(&path, &screenshot).unwrap();
    assert!(screenshot.starts_with(b"\x89PNG"));

    // No console errors all along but the browser's own note of the refused scan's 403; and
    // the console is really read (a probe shows up).
    let (refusals, errors): (Vec<Value>, Vec<Value>) = console(driver, browser)
        .await
        .into_iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .partition(|entry| {
            let message = entry["message"].as_str().unwrap_or("");
            message.contains("/_simulator/scan") && message.contains("status of 403")
        });
    assert_eq!(refusals.len(), 1, "{refusals:#?}");
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");
    browser
        .execute("console.error('probe-from-the-test')", vec![])
        .await
        .unwrap();
    let probe = console(driver, browser).await;
    assert!(
        probe.iter().any(|e| e["level"] == "SEVERE"
            && e["message"]
                .as_str()
                .unwrap_or("")
                .contains("probe-from-the-test")),
        "{probe:#?}"
    );

    session.close().await;
    println!(
        "screenshot: {}; browser test took {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
}

/// What a stored file's script tries from the simulator's origin: move the clock 24 h with the
/// dashboard's header, and, if it can read the whole state, move it 1 h more.
const ATTACK: &str = "\
    const h = {'x-buzzin-dashboard': '1', 'content-type': 'application/json'};\
    fetch('/_simulator/clock/advance', {method: 'POST', headers: h, body: '{\"ms\": 86400000}'});\
    fetch('/_simulator/state', {headers: h})\
      .then(r => r.ok ? r.text() : Promise.reject(r.status))\
      .then(() => fetch('/_simulator/clock/advance',\
        {method: 'POST', headers: h, body: '{\"ms\": 3600000}'}));";

#[tokio::test]
async fn a_stored_html_or_svg_file_cannot_act_as_the_dashboard_in_a_real_browser() {
    use base64::Engine as _;
    let sim = dashboard_simulator(None).await;
    let start = sim.now();
    let http = reqwest::Client::new();
    let html = format!("<!doctype html><title>licence</title><script>{ATTACK}</script>");
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg'><script><![CDATA[{ATTACK}]]></script></svg>"
    );
    let mut urls = Vec::new();
    for (n, (mime, name, bytes)) in [
        ("text/html", "licence.html", html),
        ("image/svg+xml", "licence.svg", svg),
    ]
    .into_iter()
    .enumerate()
    {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        let created: Value = http
            .post(format!("{}/communityContractors", sim.base_url()))
            .header("x-api-key", sim.api_key())
            .json(&json!({
                "name": "Rep", "email": format!("x{n}@evil.example"), "phone": format!("+97150000990{n}"),
                "company": {"companyName": "Evil LLC", "tradeLicense":
                    {"type": "base64", "mimeType": mime, "fileName": name, "data": data},
                    "tradeLicenseExpiryDate": "2030-01-01"},
                "integrations": {"damac": {"salesforceId": format!("a0SFEVIL{n}")}},
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = created["company"]["tradeLicense"]["publicUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(url.starts_with(sim.base_url()), "{url}");
        urls.push(url);
    }

    let session = BrowserSession::start().await;
    let browser = &session.browser;
    for url in &urls {
        // An attachment is not a page: the navigation may end as an aborted download.
        let _ = browser.goto(url).await;
        // Give any script time to run (it would take milliseconds).
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(sim.now(), start, "{url} moved the clock");
    }

    // The control: the same script, run as a page of the simulator's origin (the dashboard,
    // through the driver), does reach the hooks and read the state: 24 h + 1 h.
    browser
        .goto(&format!("{}/_simulator/", sim.base_url()))
        .await
        .unwrap();
    browser.execute(ATTACK, vec![]).await.unwrap();
    let moved = start + Duration::from_secs(25 * 3600);
    until("the control script to move the clock 25 h", || async {
        (sim.now() == moved).then_some(())
    })
    .await;
    session.close().await;
}

#[tokio::test]
async fn the_dashboard_adds_and_removes_fault_rules_and_exports_and_imports_the_state_in_a_real_browser(
) {
    let sim = dashboard_simulator(None).await;
    let client = sim.client().unwrap();
    let first = contractor(&client, 1).await.id.unwrap();
    let session = BrowserSession::start().await;
    let (driver, browser) = (&session.driver, &session.browser);
    browser
        .goto(&format!("{}/_simulator/", sim.base_url()))
        .await
        .unwrap();
    wait_text(browser, "connection", |t| t == "live").await;

    // A fault rule: added by the form, listed, used by the API, removed by its button.
    type_into(browser, "fault-target", "getPermit").await;
    type_into(browser, "fault-value", "503").await;
    type_into(browser, "fault-times", "2").await;
    click(browser, "fault-add").await;
    let listed = wait_text(browser, "faults", |t| t.contains("getPermit")).await;
    assert!(listed.contains("answer 503, 2 more"), "{listed}");
    let rules = sim.fault_rules();
    assert_eq!(rules.len(), 1);
    let id = rules[0].id;
    let answer = reqwest::Client::new()
        .get(format!("{}/permits/none", sim.base_url()))
        .header("x-api-key", sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    wait_text(browser, "faults", |t| t.contains("1 more (fired 1)")).await;
    click(browser, &format!("fault-remove-{id}")).await;
    until("the rule to go", || async {
        sim.fault_rules().is_empty().then_some(())
    })
    .await;
    wait_text(browser, "faults", str::is_empty).await;

    // Export shows what it exported; a later contractor is undone by importing it back.
    click(browser, "state-export").await;
    wait_text(browser, "state-result", |t| {
        t.starts_with("Exported 1 contractors, 0 permits")
    })
    .await;
    let file = std::env::temp_dir().join(format!(
        "buzzin-dashboard-import-{}.json",
        std::process::id()
    ));
    std::fs::write(&file, sim.export_state()).unwrap();
    let second = contractor(&client, 2).await.id.unwrap();
    assert!(sim.contractor(second.clone()).is_some());
    browser
        .find(Locator::Css(&testid("state-file")))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    click(browser, "state-import").await;
    wait_text(browser, "state-result", |t| {
        t == "Imported 1 contractors, 0 permits"
    })
    .await;
    assert!(sim.contractor(second).is_none());
    assert!(sim.contractor(first).is_some());
    // A file that is not a state is refused, and says so.
    std::fs::write(&file, b"{\"format\": \"buzzin-sim-state\", \"version\": 7}").unwrap();
    browser
        .find(Locator::Css(&testid("state-file")))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    click(browser, "state-import").await;
    let refused = wait_text(browser, "state-result", |t| t.starts_with("Import refused")).await;
    assert!(refused.contains("version 7"), "{refused}");
    let _ = std::fs::remove_file(&file);

    // No console errors but the browser's note of the refused import's 400.
    let errors: Vec<Value> = console(driver, browser)
        .await
        .into_iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .filter(|entry| {
            let message = entry["message"].as_str().unwrap_or("");
            !(message.contains("/_simulator/snapshot") && message.contains("status of 400"))
        })
        .collect();
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");
    session.close().await;
}
