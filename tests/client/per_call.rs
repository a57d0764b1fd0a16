//! Per-call settings (timeout, deadline, retry policy) on operation builders and the raw
//! request; extras that would change the operation; an event stream that neither repeats nor
//! misses while events keep arriving.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use buzzin::client::{RetryPolicy, TimeoutKind};
use buzzin::models::Timestamp;
use buzzin::reqwest::Method;
use buzzin::{Client, Error};
use serde_json::{json, Value};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use buzzin_test_support::mocks::{fast_retries as fast, hits, KEY};

const PERMIT: &str = "66f0a1b2c3d4e5f600000abc";

/// A client whose own settings are generous: 10 s per attempt, 3 attempts.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(Duration::from_secs(10))
        .retry_policy(fast(3))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_per_call_timeout_and_retry_policy_override_the_client() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"_id": PERMIT}))
                .set_delay(Duration::from_millis(400)),
        )
        .mount(&server)
        .await;
    let e = client(&server)
        .permits()
        .get(PERMIT)
        .timeout(Duration::from_millis(50))
        .retry_policy(RetryPolicy::never())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Attempt,
                attempts: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(hits(&server).await, 1);

    // The client's own settings are untouched for the next call.
    let permit = client(&server).permits().get(PERMIT).send().await.unwrap();
    assert_eq!(permit.id.unwrap().as_str(), PERMIT);
}

#[tokio::test]
async fn a_per_call_retry_policy_sets_the_attempts() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = client(&server);
    let e = client
        .permits()
        .get(PERMIT)
        .retry_policy(fast(5))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Server(_)), "{e:?}");
    assert_eq!(hits(&server).await, 5);

    server.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let _ = client
        .request(Method::GET, "/events")
        .retry_policy(fast(4))
        .send::<Value>()
        .await
        .unwrap_err();
    assert_eq!(hits(&server).await, 4);
}

/// The operation's retry class still wins: a gate opening is not re-sent after a 503 however
/// many attempts the call allows.
#[tokio::test]
async fn more_attempts_never_resend_a_gate_opening() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/visits"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let e = client(&server)
        .visits()
        .external_nfc(
            buzzin::client::DeviceSecret::new("device-secret"),
            "784-1234-5678901-2",
        )
        .phone("+971500000001")
        .retry_policy(fast(10))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Server(_)), "{e:?}");
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn a_per_call_deadline_bounds_all_attempts() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let e = client(&server)
        .request(Method::GET, "/events")
        .deadline(Duration::from_millis(120))
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Deadline,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(450));
}

/// `update_validity(id).extra("action", "replaceNoc")` was retried on a 502 as if it were a
/// safe validity change; an `action` extra is now refused before anything is sent.
#[tokio::test]
async fn an_action_extra_is_refused() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let client = client(&server);
    let till = Timestamp::parse("2099-01-01T00:00:00.000Z").unwrap();
    let e = client
        .permits()
        .update_validity(PERMIT)
        .valid_till(till)
        .extra("action", "replaceNoc")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidRequest {
                field: "action",
                ..
            }
        ),
        "{e:?}"
    );
    let e = client
        .passes()
        .revoke(PERMIT)
        .extra("action", "reissuePass")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidRequest {
                field: "action",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(hits(&server).await, 0);
}

/// A Feathers-like `GET /events`: newest first, `$skip`/`$limit`, `createdAt[$lte]`; after every
/// page it answers, `inserts_per_page` newer events are recorded.
struct FeathersEvents {
    records: Mutex<Vec<Value>>,
    next: Mutex<u64>,
    inserts_per_page: u64,
}

impl FeathersEvents {
    fn record(&self) {
        let mut next = self.next.lock().unwrap();
        *next += 1;
        let n = *next;
        let created = format!(
            "2026-07-01T{:02}:{:02}:{:02}.000Z",
            n / 3600,
            (n / 60) % 60,
            n % 60
        );
        // Newest first: insert at the front.
        self.records.lock().unwrap().insert(
            0,
            json!({"_id": format!("{n:024x}"), "visitType": "communityPass", "createdAt": created}),
        );
    }
}

impl Respond for FeathersEvents {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let param = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let limit: usize = param("$limit").map_or(10, |v| v.parse().unwrap());
        let skip: usize = param("$skip").map_or(0, |v| v.parse().unwrap());
        let until = param("createdAt[$lte]");
        let matching: Vec<Value> = self
            .records
            .lock()
            .unwrap()
            .iter()
            .filter(|r| {
                until
                    .as_deref()
                    .is_none_or(|u| r["createdAt"].as_str().unwrap() <= u)
            })
            .cloned()
            .collect();
        let page: Vec<Value> = matching.iter().skip(skip).take(limit).cloned().collect();
        let body = json!({"total": matching.len(), "limit": limit, "skip": skip, "data": page});
        for _ in 0..self.inserts_per_page {
            self.record();
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

#[tokio::test]
async fn the_stream_neither_repeats_nor_misses_while_events_arrive() {
    let server = MockServer::start().await;
    let feathers = FeathersEvents {
        records: Mutex::new(Vec::new()),
        next: Mutex::new(0),
        inserts_per_page: 5,
    };
    for _ in 0..25 {
        feathers.record();
    }
    let existing: Vec<String> = feathers
        .records
        .lock()
        .unwrap()
        .iter()
        .map(|r| r["_id"].as_str().unwrap().to_owned())
        .collect();
    let feathers = Arc::new(feathers);
    Mock::given(method("GET"))
        .and(path("/events"))
        .respond_with(SharedRespond(feathers.clone()))
        .mount(&server)
        .await;

    let records = client(&server)
        .logs()
        .events()
        .limit(5)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = records
        .iter()
        .map(|r| r.id.as_ref().unwrap().as_str().to_owned())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "a record was yielded twice: {ids:?}"
    );
    assert_eq!(
        ids, existing,
        "every record that existed, newest first, once"
    );
    // Every page after the first was pinned to the first page's newest record.
    let requests = server.received_requests().await.unwrap();
    assert!(requests.len() >= 5);
    for r in &requests[1..] {
        assert!(
            r.url
                .query_pairs()
                .any(|(k, v)| k == "createdAt[$lte]" && v == "2026-07-01T00:00:25.000Z"),
            "{}",
            r.url
        );
    }
}

#[tokio::test]
async fn try_next_reads_one_record_at_a_time() {
    let server = MockServer::start().await;
    let feathers = Arc::new(FeathersEvents {
        records: Mutex::new(Vec::new()),
        next: Mutex::new(0),
        inserts_per_page: 0,
    });
    for _ in 0..3 {
        feathers.record();
    }
    Mock::given(any())
        .respond_with(SharedRespond(feathers))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut stream = client.logs().events().limit(2).stream();
    let mut seen = Vec::new();
    while let Some(record) = stream.try_next().await.unwrap() {
        seen.push(record.id.unwrap().as_str().to_owned());
    }
    assert_eq!(
        seen,
        [
            format!("{:024x}", 3),
            format!("{:024x}", 2),
            format!("{:024x}", 1)
        ]
    );
}

struct SharedRespond(Arc<FeathersEvents>);

impl Respond for SharedRespond {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}
