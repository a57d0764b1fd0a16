//! The axum extractor over real HTTP on the loopback interface.

use buzzin_test_support::now_ms;

use axum::extract::FromRef;
use axum::routing::post;
use axum::Router;
use buzzin::webhooks::{sign, Delivery, Event, Verifier};

const SECRET: &str = "whsec_axum";
const DOC_EXAMPLE: &str = include_str!("../data/doc-examples/webhook.passes.permits.issued.json");

async fn receive(delivery: Delivery) -> String {
    let permit = match delivery.event() {
        Event::PermitIssued(p) => p.pass_number.clone().unwrap_or_default(),
        other => other.name().to_owned(),
    };
    format!(
        "{} {} {:?}",
        delivery.event_name(),
        permit,
        delivery.delivery_id()
    )
}

/// Serves `router` on 127.0.0.1 and returns its base URL; the server stops with the test.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/hook")
}

async fn post_signed(url: &str, secret: &str, body: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let ts = now_ms();
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("buzzin-signature", sign(secret, ts, body))
        .header("buzzin-signature-timestamp", ts.to_string());
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    let response = request.body(body.to_owned()).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_signed_delivery_reaches_the_handler_typed() {
    let url = serve(
        Router::new()
            .route("/hook", post(receive))
            .with_state(Verifier::new(SECRET)),
    )
    .await;
    let (status, text) = post_signed(
        &url,
        SECRET,
        DOC_EXAMPLE,
        &[
            ("X-Buzzin-Delivery", "d1"),
            ("X-Buzzin-Event", "passes.permits.issued"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, r#"passes.permits.issued WP-002391 Some("d1")"#);
}

#[tokio::test]
async fn refusals_answer_401_400_and_413_with_a_plain_reason() {
    let url = serve(
        Router::new()
            .route("/hook", post(receive))
            .with_state(Verifier::new(SECRET)),
    )
    .await;

    let (status, text) = post_signed(&url, "whsec_wrong", DOC_EXAMPLE, &[]).await;
    assert_eq!(status, 401);
    assert_eq!(
        text,
        "webhook rejected: the signature does not match the body, the timestamp and the secret"
    );
    assert!(!text.contains(SECRET));

    let unsigned = reqwest::Client::new()
        .post(&url)
        .body(DOC_EXAMPLE)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert!(unsigned.text().await.unwrap().contains("not signed"));

    let token = reqwest::Client::new()
        .post(&url)
        .header("x-buzzin-token", "nope")
        .body(DOC_EXAMPLE)
        .send()
        .await
        .unwrap();
    assert_eq!(token.status().as_u16(), 401);

    let (status, text) = post_signed(&url, SECRET, "{not json", &[]).await;
    assert_eq!(status, 400);
    assert!(
        text.starts_with("webhook rejected: the body is not JSON"),
        "{text}"
    );

    let (status, text) = post_signed(
        &url,
        SECRET,
        DOC_EXAMPLE,
        &[("X-Buzzin-Event", "passes.permits.expired")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("passes.permits.expired"), "{text}");

    let big = format!(r#"{{"event":"a.b","data":"{}"}}"#, "x".repeat(1024 * 1024));
    let (status, text) = post_signed(&url, SECRET, &big, &[]).await;
    assert_eq!(status, 413);
    assert_eq!(
        text,
        "webhook rejected: the body is larger than 1048576 bytes"
    );
}

#[tokio::test]
async fn the_body_limit_is_configurable_and_applies_to_streamed_bodies() {
    let verifier = Verifier::new(SECRET).max_body_size(600);
    let url = serve(
        Router::new()
            .route("/hook", post(receive))
            .with_state(verifier),
    )
    .await;
    let small = r#"{"event":"passes.permits.expired","data":{}}"#;
    assert_eq!(post_signed(&url, SECRET, small, &[]).await.0, 200);
    // The documentation example is 920 bytes.
    assert_eq!(post_signed(&url, SECRET, DOC_EXAMPLE, &[]).await.0, 413);

    // A chunked body without Content-Length is cut off at the limit too.
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/hook")
        .to_owned();
    let chunk = "y".repeat(400);
    let request = format!(
        "POST /hook HTTP/1.1\r\nhost: {addr}\r\nbuzzin-signature: {}\r\nbuzzin-signature-timestamp: {}\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        "0".repeat(64),
        now_ms(),
        chunk.len(),
        chunk.len(),
    );
    let response = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.ends_with("webhook rejected: the body is larger than 600 bytes"),
        "{response}"
    );
}

#[derive(Clone)]
struct AppState {
    verifier: Verifier,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

#[tokio::test]
async fn the_verifier_is_taken_from_a_larger_state() {
    let state = AppState {
        verifier: Verifier::with_secrets(["whsec_old", SECRET]),
    };
    let url = serve(
        Router::new()
            .route("/hook", post(receive))
            .with_state(state),
    )
    .await;
    assert_eq!(
        post_signed(&url, "whsec_old", DOC_EXAMPLE, &[]).await.0,
        200
    );
    assert_eq!(post_signed(&url, SECRET, DOC_EXAMPLE, &[]).await.0, 200);
    assert_eq!(
        post_signed(&url, "whsec_other", DOC_EXAMPLE, &[]).await.0,
        401
    );
}

/// Issue 12.5: a request with no signature or token is refused before its body is read, so a
/// slow anonymous sender holding back its body gets 401 at once instead of holding memory.
#[tokio::test]
async fn an_unauthenticated_request_is_refused_before_its_body_is_read() {
    let url = serve(
        Router::new()
            .route("/hook", post(receive))
            .with_state(Verifier::new(SECRET)),
    )
    .await;
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/hook")
        .to_owned();
    let head = |extra: &str| {
        format!(
            "POST /hook HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 1000000\r\n{extra}\r\n{}",
            "z".repeat(100)
        )
    };
    // Sends the head and 100 of the 1,000,000 body bytes, then waits (at most 3 s) for an
    // answer while holding the rest back.
    async fn first_line(addr: &str, request: String) -> Option<String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let read = tokio::time::timeout(std::time::Duration::from_secs(3), stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        let text = String::from_utf8_lossy(&buf[..read]).into_owned();
        Some(text)
    }
    let anonymous = first_line(&addr, head("")).await;
    let anonymous = anonymous.expect("no answer: the server waited for the body");
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
    assert!(anonymous.contains("not signed"), "{anonymous}");
    // A signature without its timestamp, or with one outside the tolerance: refused as early.
    let half = first_line(
        &addr,
        head(&format!("buzzin-signature: {}\r\n", "0".repeat(64))),
    )
    .await;
    assert!(half.unwrap().starts_with("HTTP/1.1 401"));
    let stale = first_line(
        &addr,
        head(&format!(
            "buzzin-signature: {}\r\nbuzzin-signature-timestamp: 1000\r\n",
            "0".repeat(64)
        )),
    )
    .await;
    assert!(stale.unwrap().starts_with("HTTP/1.1 401"));
    // A request carrying a token is read (and then verified): no early answer.
    let token = first_line(&addr, head("x-buzzin-token: guess\r\n")).await;
    assert!(token.is_none(), "{token:?}");
}
