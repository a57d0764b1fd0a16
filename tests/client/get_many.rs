//! `permits().get_many(ids)`: one item per id, each naming its id, a failure only its own, at
//! most `concurrency` gets in flight, within the client's rate limit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use buzzin::client::{AttemptHook, AttemptRequest, AttemptResponse, RetryPolicy};
use buzzin::models::PermitId;
use buzzin::{Client, Error};
use futures_util::StreamExt;
use wiremock::{matchers, Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers a permit whose `_id` is the path's id, after 20 ms; `...missing` ids are a 404.
struct Permits;

impl Respond for Permits {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().rsplit('/').next().unwrap().to_owned();
        if id.ends_with("missing") {
            return ResponseTemplate::new(404)
                .set_body_json(
                    serde_json::json!({"name": "NotFound", "message": "no", "code": 404}),
                )
                .set_delay(Duration::from_millis(20));
        }
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"_id": id, "status": 1}))
            .set_delay(Duration::from_millis(20))
    }
}

/// Counts the attempts in flight at once, and the most there were.
#[derive(Clone, Default)]
struct InFlight {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl AttemptHook for InFlight {
    fn before_attempt(&self, _: &mut AttemptRequest<'_>) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }

    fn after_attempt(&self, _: &AttemptResponse<'_>) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .respond_with(Permits)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_id_once_with_its_own_result_and_at_most_concurrency_in_flight() {
    let server = server().await;
    let counter = InFlight::default();
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .attempt_hook(counter.clone())
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let ids: Vec<String> = (0..100)
        .map(|i| {
            if i % 10 == 3 {
                format!("p{i:03}missing")
            } else {
                format!("p{i:03}")
            }
        })
        .collect();
    let results: BTreeMap<PermitId, Result<_, Error>> = client
        .permits()
        .get_many(ids.iter().map(String::as_str))
        .concurrency(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect();
    assert_eq!(results.len(), 100);
    for id in &ids {
        match &results[&PermitId::from(id.as_str())] {
            Ok(permit) => assert_eq!(permit.id.as_ref().unwrap().as_str(), id),
            Err(Error::NotFound(_)) => assert!(id.ends_with("missing"), "{id}"),
            Err(e) => panic!("{id}: {e}"),
        }
    }
    assert_eq!(results.values().filter(|r| r.is_err()).count(), 10);
    let most = counter.most.load(Ordering::SeqCst);
    assert!((2..=8).contains(&most), "{most} gets in flight at once");
    assert_eq!(server.received_requests().await.unwrap().len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_concurrency_is_16_and_the_rate_limit_holds() {
    let server = server().await;
    let counter = InFlight::default();
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .attempt_hook(counter.clone())
        .rate_limit(10, Duration::from_millis(100))
        .build()
        .unwrap();
    let ids: Vec<PermitId> = (0..60).map(|i| PermitId::from(format!("p{i}"))).collect();
    let started = Instant::now();
    let n = client.permits().get_many(ids).count().await;
    assert_eq!(n, 60);
    // A burst of 10, then 100 a second: 50 more need at least 0.5 s.
    assert!(
        started.elapsed() >= Duration::from_millis(480),
        "{:?}",
        started.elapsed()
    );
    assert!(counter.most.load(Ordering::SeqCst) <= 16);
    assert_eq!(buzzin::client::DEFAULT_GET_MANY_CONCURRENCY, 16);
}

#[tokio::test]
async fn no_ids_is_an_empty_stream() {
    let client = Client::builder().api_key("key").build().unwrap();
    let none: Vec<PermitId> = Vec::new();
    assert_eq!(client.permits().get_many(none).count().await, 0);
}
