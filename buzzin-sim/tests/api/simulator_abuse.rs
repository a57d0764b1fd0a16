//! No input kills the simulator or any later request (each abusive input gets a Feathers error,
//! and then a normal call still succeeds), and its URLs agree with its webhooks and the spec.

use crate::simulator_support::{accepted_permit, approved_contractor, draft_permit, ts};
use buzzin_sim::Simulator;
use serde_json::{json, Value};

struct Target {
    sim: Simulator,
    http: reqwest::Client,
}

impl Target {
    async fn start() -> Self {
        let sim = Simulator::builder()
            .clock_start(ts("2026-06-29T10:15:00.000Z"))
            .freeze_clock()
            .control_api()
            .start()
            .await
            .unwrap();
        Target {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .http
            .request(
                method.parse().unwrap(),
                format!("{}{path}", self.sim.base_url()),
            )
            .header("x-api-key", self.sim.api_key())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the simulator answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!({"not json": String::from_utf8_lossy(&bytes)}));
        (status, body)
    }

    /// A normal documented call, which must still work.
    async fn still_serves(&self) {
        let (status, body) = self.send("GET", "/events?$limit=1", Vec::<u8>::new()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["data"].is_array(), "{body}");
        let now = self.sim.now();
        assert!(
            now.as_str().starts_with(|c: char| c.is_ascii_digit()),
            "{now:?}"
        );
    }
}

#[tokio::test]
async fn a_clock_advanced_past_year_9999_stops_there_and_the_server_lives() {
    let t = Target::start().await;
    for _ in 0..3 {
        let (status, body) = t
            .send(
                "POST",
                "/_simulator/clock/advance",
                r#"{"ms":18446744073709551615}"#,
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["name"], "BadRequest");
        assert!(body["message"].as_str().unwrap().contains("`ms`"), "{body}");
        t.still_serves().await;
    }
    assert_eq!(t.sim.now().as_str(), "9999-12-31T23:59:59.999Z");
    // The library call saturates the same way.
    t.sim.advance(std::time::Duration::MAX);
    assert_eq!(t.sim.now().as_str(), "9999-12-31T23:59:59.999Z");
    t.still_serves().await;
}

#[tokio::test]
async fn an_oversized_body_is_a_feathers_413() {
    let t = Target::start().await;
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    for path in ["/communityContractors", "/_simulator/scan"] {
        let (status, body) = t.send("POST", path, huge.clone()).await;
        assert_eq!(status, 413, "{path}: {body}");
        assert_eq!(body["name"], "PayloadTooLarge", "{body}");
        assert_eq!(body["code"], 413);
        t.still_serves().await;
    }
}

#[tokio::test]
async fn deep_nesting_and_non_json_are_400s() {
    let t = Target::start().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested_object = format!(
        r#"{{"name":{}1{}}}"#,
        r#"{"a":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    for body in [
        deep,
        nested_object,
        "not json".to_owned(),
        "{\"a\":".to_owned(),
    ] {
        for path in [
            "/communityContractors",
            "/permits",
            "/_simulator/clock/advance",
        ] {
            let (status, answer) = t.send("POST", path, body.clone()).await;
            assert_eq!(status, 400, "{path}: {answer}");
            assert_eq!(answer["name"], "BadRequest", "{answer}");
        }
        t.still_serves().await;
    }
}

#[tokio::test]
async fn the_details_hook_accepts_an_empty_body() {
    let t = Target::start().await;
    let client = t.sim.client().unwrap();
    let contractor = approved_contractor(&t.sim, &client, 1).await;
    let id = draft_permit(&client, &contractor, "a1B5g000000EMPTY1")
        .await
        .id
        .unwrap();
    let (status, body) = t
        .send("POST", &format!("/_simulator/permits/{id}/details"), "")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["representativeName"].is_string(), "{body}");
}

/// `GET /permits/{id}` gives the same absolute QR image URL as the webhooks, and the permit
/// document it names is served.
#[tokio::test]
async fn permit_urls_are_absolute_and_served() {
    let t = Target::start().await;
    let client = t.sim.client().unwrap();
    let contractor = approved_contractor(&t.sim, &client, 2).await;
    let accepted = accepted_permit(&t.sim, &client, &contractor, "a1B5g000000URLS01").await;
    let id = accepted.id.unwrap();
    let permit = client.permits().get(id).send().await.unwrap();
    let base = t.sim.base_url();
    let qr = permit.qr_image_url.expect("an issued pass has a QR image");
    let doc = permit
        .permit_documentation_url
        .expect("an issued pass has documents");
    for (url, mime) in [(&qr, "image/png"), (&doc, "application/pdf")] {
        assert!(url.starts_with(base), "{url} is not absolute under {base}");
        let response = reqwest::get(url.as_str()).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{url}");
        assert_eq!(response.headers()["content-type"], mime);
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(if mime == "image/png" {
            b"\x89PNG"
        } else {
            b"%PDF"
        }));
    }
    // The webhook carried the same QR URL.
    let issued = t
        .sim
        .events()
        .into_iter()
        .find(|e| e.event == Some(buzzin::models::WebhookEventName::PermitIssued))
        .expect("an issued event");
    assert_eq!(issued.data.unwrap()["qrImageUrl"], qr.as_str());
}
