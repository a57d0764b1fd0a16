//! `send_blocking()` (feature `blocking`): from plain threads against a real HTTP server, and a
//! clear error, not a panic, inside an async runtime.

use std::sync::mpsc;
use std::thread;

use buzzin::client::RetryPolicy;
use buzzin::reqwest::Method;
use buzzin::{Client, Error};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PERMIT: &str = "66f0a1b2c3d4e5f600000abc";

/// A wiremock server on its own runtime thread; returns its URL. It serves until the process
/// ends (the thread parks forever).
fn server_in_background() -> String {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path(format!("/permits/{PERMIT}")))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"_id": PERMIT, "status": 1})),
                )
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/events"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0})))
                .mount(&server)
                .await;
            tx.send(server.uri()).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

fn client(base: &str) -> Client {
    Client::builder()
        .api_key("bz_test_key")
        .base_url(base)
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap()
}

#[test]
fn send_blocking_works_from_plain_threads() {
    let base = server_in_background();
    let client = client(&base);
    let permit = client.permits().get(PERMIT).send_blocking().unwrap();
    assert_eq!(permit.id.unwrap().as_str(), PERMIT);

    // Several threads at once share the one client and its pool.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || {
                let page = client.logs().events().send_blocking().unwrap();
                let raw: Value = client
                    .request(Method::GET, "/events")
                    .send_blocking()
                    .unwrap();
                (page.total, raw["total"].clone())
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), (Some(0), json!(0)));
    }
}

#[tokio::test]
async fn send_blocking_inside_a_runtime_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    let client = client(&server.uri());
    let e = client.permits().get(PERMIT).send_blocking().unwrap_err();
    assert!(matches!(e, Error::BlockingInsideRuntime), "{e:?}");
    assert!(e.to_string().contains(".send().await"), "{e}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
