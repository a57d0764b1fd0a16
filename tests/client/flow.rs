//! Flow control: a retry that waits zero is sent at once, the rate limit holds every clone of a
//! client to one rate, and a 429's `Retry-After` pauses every call of the client.

use buzzin_test_support::mocks::fails_n_times;
use std::time::{Duration, Instant};

use buzzin::client::{RetryPolicy, ThrottleCause};
use buzzin::{Client, Error};
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

const PERMIT: &str = "66f0a1b2c3d4e5f600000abc";

fn permit() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"_id": PERMIT, "status": 1}))
}

fn too_many(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("retry-after", retry_after)
        .set_body_json(
            serde_json::json!({"name": "TooManyRequests", "message": "slow down", "code": 429}),
        )
}

/// A server whose first GET of a permit answers 429 with `Retry-After: retry_after`, and every
/// later GET the permit.
async fn throttled_once(retry_after: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(format!("/permits/{PERMIT}")))
        .respond_with(too_many(retry_after))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(matchers::method("GET"))
        .respond_with(permit())
        .mount(&server)
        .await;
    server
}

/// The permit requests the server received (a pause probe's are not counted).
async fn requests(server: &MockServer) -> usize {
    let received = server.received_requests().await.unwrap_or_default();
    received.iter().filter(|r| r.url.path() != PROBE).count()
}

/// The path of [`wait_for_the_pause`]'s probes.
const PROBE: &str = "/pause-probe";

/// Returns once `client` is paused by a 429's Retry-After: a probe call whose deadline ends
/// inside the pause fails at once, sending nothing. A probe sent before the pause began reaches
/// the server on its own path, which [`requests`] leaves out.
async fn wait_for_the_pause(client: &Client) {
    for _ in 0..400 {
        let probe = client
            .request(buzzin::reqwest::Method::GET, PROBE)
            .deadline(Duration::from_millis(500))
            .send::<serde_json::Value>()
            .await;
        if let Err(Error::Throttled {
            cause: ThrottleCause::RetryAfter,
            ..
        }) = probe
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the client was not paused after its 429");
}

#[tokio::test]
async fn a_503_with_retry_after_zero_is_retried_and_answers() {
    let server = MockServer::start().await;
    fails_n_times(
        &server,
        "GET",
        1,
        ResponseTemplate::new(503).insert_header("retry-after", "0"),
    )
    .await;
    Mock::given(matchers::method("GET"))
        .respond_with(permit())
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .build()
        .unwrap();
    let permit = client.permits().get(PERMIT).await.unwrap();
    assert_eq!(permit.id.as_ref().map(|id| id.as_str()), Some(PERMIT));
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_all_clones_to_one_rate() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .respond_with(permit())
        .mount(&server)
        .await;
    // 50 requests a second, a burst of 10: 60 requests over 8 clones need at least 1 s.
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .rate_limit(10, Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..60 / 8 + 1 {
                    client.permits().get(PERMIT).await.unwrap();
                }
            })
        })
        .collect();
    // After 0.5 s at most the burst and 0.5 s of tokens (10 + 25) can have been sent.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let early = requests(&server).await;
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let sent = requests(&server).await;
    assert_eq!(sent, 64);
    assert!(early <= 10 + 25 + 3, "{early} requests in the first 0.5 s");
    // (64 - 10) / 50 per second = 1.08 s at the least; generous above.
    let rate = (sent - 10) as f64 / elapsed.as_secs_f64();
    assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
    assert!(rate <= 55.0, "{rate:.1} requests/s past the burst");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_retry_after_pauses_every_call_of_the_client() {
    let server = throttled_once("3").await;
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .build()
        .unwrap();
    let started = Instant::now();
    let first = tokio::spawn(client.permits().get(PERMIT).send());
    // Once the client has read the 429 (one request), 64 tasks on clones send nothing until its
    // 3 s pass; checked 1 s in, so a busy machine has 2 s to spare.
    wait_for_the_pause(&client).await;
    let tasks: Vec<_> = (0..64)
        .map(|_| tokio::spawn(client.clone().permits().get(PERMIT).send()))
        .collect();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        requests(&server).await,
        1,
        "requests sent during the Retry-After pause"
    );
    first.await.unwrap().unwrap();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The first call's retry and the 64 calls, each once: no task collected its own 429.
    assert_eq!(requests(&server).await, 1 + 1 + 64);
}

#[tokio::test]
async fn a_call_whose_deadline_ends_inside_the_pause_fails_at_once_sending_nothing() {
    let server = throttled_once("30").await;
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .deadline(Duration::from_secs(5))
        .build()
        .unwrap();
    // The call that got the 429 cannot wait 30 s within its 5 s deadline.
    let e = client.permits().get(PERMIT).await.unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(30)),
        "{e:?}"
    );
    let started = Instant::now();
    let e = client.clone().permits().get(PERMIT).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    match &e {
        Error::Throttled { wait, cause, .. } => {
            assert_eq!(*cause, ThrottleCause::RetryAfter);
            assert!(*wait > Duration::from_secs(25), "{wait:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_retryable());
    assert!(
        e.to_string()
            .starts_with("permits().get(\"66f0a1b2c3d4e5f600000abc\"): GET /permits/"),
        "{e}"
    );
    // Without a deadline, a wait over the policy's longest Retry-After fails at once too.
    let e = client
        .permits()
        .get(PERMIT)
        .retry_policy(RetryPolicy::default().max_retry_after(Duration::from_secs(10)))
        .deadline(Duration::from_secs(3600))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Throttled { .. }), "{e:?}");
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_retry_after_of_a_day_pauses_the_client_no_longer_than_its_longest_wait() {
    let server = throttled_once("86400").await;
    let client = Client::builder()
        .api_key("key")
        .base_url(server.uri())
        .retry_policy(RetryPolicy::default().max_retry_after(Duration::from_millis(500)))
        .build()
        .unwrap();
    // The call that got the 429 is told how long Buzz-In asked for, to schedule it itself.
    let e = client.permits().get(PERMIT).await.unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(86_400)),
        "{e:?}"
    );
    // The other calls are paused for the client's longest wait (500 ms), not for a day: the
    // next one waits that out, then is sent and answered.
    let started = Instant::now();
    client.clone().permits().get(PERMIT).await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(requests(&server).await, 2);
}
