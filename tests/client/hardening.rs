//! The client under attack from a server (or a proxy, or a man in the middle of a redirect):
//! no credential or body crosses a redirect, no id escapes its path segment, no body exhausts
//! memory, no header panics the client, and errors say what happened.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use buzzin::client::RetryPolicy;
use buzzin::reqwest::Method;
use buzzin::{Client, Error};
use serde_json::{json, Value};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use buzzin_test_support::mocks::{client_for, hits, paths, KEY};

const SECRET: &str = "nfc-device-secret-0001";

/// A resident's NFC tap at the gate behind `base`, expected to fail.
async fn open_gate_fails(base: &str) -> Error {
    client_for(base)
        .visits()
        .external_nfc(
            buzzin::client::DeviceSecret::new(SECRET),
            "784-1234-5678901-2",
        )
        .phone("+971500000001")
        .send()
        .await
        .unwrap_err()
}

/// A 3xx to another origin is an error naming the status and `Location`; the other origin
/// receives nothing (no key, no body), and the API host is asked once.
#[tokio::test]
async fn no_redirect_is_followed_for_any_status() {
    for status in [301u16, 302, 303, 307, 308] {
        let api = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"stolen": true})))
            .mount(&elsewhere)
            .await;
        let location = format!("{}/visits", elsewhere.uri());
        Mock::given(method("POST"))
            .and(path("/visits"))
            .respond_with(ResponseTemplate::new(status).insert_header("location", &location))
            .mount(&api)
            .await;

        let e = open_gate_fails(&api.uri()).await;

        match &e {
            Error::Redirected {
                status: got,
                location: Some(loc),
                ..
            } => {
                assert_eq!(got.as_u16(), status);
                assert_eq!(loc, &location);
            }
            other => panic!("{status}: expected Redirected, got {other:?}"),
        }
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
        assert!(!e.is_retryable());
        let text = e.to_string();
        assert!(
            text.contains(&status.to_string()) && text.contains(&location),
            "{text}"
        );
        assert!(!text.contains(KEY) && !text.contains(SECRET), "{text}");
        assert_eq!(
            hits(&elsewhere).await,
            0,
            "{status}: the other origin was contacted"
        );
        assert_eq!(hits(&api).await, 1, "{status}: sent more than once");
    }
}

/// A same-origin 307 does not send the gate opening a second time.
#[tokio::test]
async fn a_same_origin_307_does_not_open_the_gate_twice() {
    let api = MockServer::start().await;
    Mock::given(path("/visits"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/visits2"))
        .mount(&api)
        .await;
    Mock::given(path("/visits2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"responseCode": "entryEventCreated"})),
        )
        .mount(&api)
        .await;
    let e = open_gate_fails(&api.uri()).await;
    assert!(matches!(e, Error::Redirected { .. }), "{e:?}");
    let paths = paths(&api).await;
    assert_eq!(paths, ["/visits"]);
}

/// A caller who configures the HTTP client to follow redirects still gets none followed.
#[tokio::test]
async fn configuring_a_redirect_policy_cannot_turn_following_back_on() {
    let api = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&elsewhere)
        .await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(308).insert_header("location", elsewhere.uri() + "/passes/x"),
        )
        .mount(&api)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(api.uri())
        .configure_http(|http| http.redirect(reqwest::redirect::Policy::limited(10)))
        .build()
        .unwrap();
    let e = client
        .passes()
        .revoke("66f0a1b2c3d4e5f600000abc")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Redirected { .. }), "{e:?}");
    assert_eq!(hits(&elsewhere).await, 0);
}

/// `.` and `..` would vanish from the URL (`PATCH /passes/..` is `PATCH /`); they are refused
/// before anything is sent, and other odd ids stay one percent-encoded segment.
#[tokio::test]
async fn ids_cannot_escape_their_path_segment() {
    let api = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&api)
        .await;
    let client = client_for(&api.uri());
    for id in [".", ".."] {
        let e = client.passes().revoke(id).send().await.unwrap_err();
        assert!(
            matches!(e, Error::InvalidRequest { field: "id", .. }),
            "{id}: {e:?}"
        );
        let e = client.permits().get(id).send().await.unwrap_err();
        assert!(
            matches!(e, Error::InvalidRequest { field: "id", .. }),
            "{id}: {e:?}"
        );
        let e = client
            .community_contractors()
            .revoke(id)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidRequest { field: "id", .. }),
            "{id}: {e:?}"
        );
    }
    assert_eq!(hits(&api).await, 0);

    for id in ["../permits", "a/b", "%2e%2e", "..%2f", "...", "a?b#c"] {
        client.passes().revoke(id).send().await.unwrap();
    }
    let paths = paths(&api).await;
    assert_eq!(
        paths,
        [
            "/passes/..%2Fpermits",
            "/passes/a%2Fb",
            "/passes/%252e%252e",
            "/passes/..%252f",
            "/passes/...",
            "/passes/a%3Fb%23c",
        ]
    );
}

/// Asserts that the client stopped reading an [`endless_server`]'s answer early: socket buffers
/// let the server write a few MB more before it notices, not gigabytes.
async fn assert_client_hung_up_early(written: &AtomicUsize) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = written.load(Ordering::SeqCst);
    assert!(sent < 64 * 1024 * 1024, "the server wrote {sent} bytes");
}

/// A raw server that answers every connection with `head` and then `body_chunk` repeated
/// forever (until the client goes away), counting the bytes it managed to write.
fn endless_server(head: &'static str, body_chunk: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let written = Arc::new(AtomicUsize::new(0));
    let count = written.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let count = count.clone();
            let chunk = body_chunk.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let framed = [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk,
                    b"\r\n".to_vec(),
                ]
                .concat();
                // Bounded: at most 4 GiB, and it stops as soon as the client hangs up.
                for _ in 0..(4usize << 30) / framed.len() {
                    if stream.write_all(&framed).is_err() {
                        return;
                    }
                    count.fetch_add(framed.len(), Ordering::SeqCst);
                }
            });
        }
    });
    (format!("http://{addr}"), written)
}

#[tokio::test]
async fn an_endless_200_stops_at_the_body_limit() {
    let (base, written) = endless_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        vec![b' '; 64 * 1024],
    );
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&base)
        .max_response_body(1024 * 1024)
        .build()
        .unwrap();
    let e = client
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    match &e {
        Error::ResponseTooLarge { status, limit, .. } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(*limit, 1024 * 1024);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert!(!e.is_retryable());
    assert_client_hung_up_early(&written).await;
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_reading() {
    let api = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(2048)))
        .mount(&api)
        .await;
    let e = get_events_with_limit(&api.uri(), 1024).await;
    assert!(
        matches!(e, Error::ResponseTooLarge { limit: 1024, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_huge_error_body_is_read_only_as_far_as_the_snippet_needs() {
    let (base, written) = endless_server(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n",
        b"<html>".repeat(10_000),
    );
    let client = client_for(&base);
    let e = client
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    let api = e.api_error().expect("a status error");
    assert_eq!(api.status().as_u16(), 400);
    assert!(api.body_snippet().unwrap().starts_with("<html><html>"));
    assert_client_hung_up_early(&written).await;
}

/// A `Retry-After` date in the year 300000000000 panicked ("overflow when adding duration to
/// instant"), even on a 200.
#[tokio::test]
async fn absurd_retry_after_dates_do_not_panic() {
    let api = MockServer::start().await;
    Mock::given(path("/ok"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("retry-after", "Sun, 06 Nov 300000000000 08:49:37 GMT")
                .set_body_json(json!(7)),
        )
        .mount(&api)
        .await;
    Mock::given(path("/busy"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "Sun, 06 Nov 100000000000000 08:49:37 GMT"),
        )
        .mount(&api)
        .await;
    let client = client_for(&api.uri());
    let v: u32 = client.request(Method::GET, "/ok").send().await.unwrap();
    assert_eq!(v, 7);
    let e = client
        .request(Method::GET, "/busy")
        .send::<Value>()
        .await
        .unwrap_err();
    // An unusable date reads as no Retry-After: the ordinary backoff applies.
    assert!(
        matches!(
            e,
            Error::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_429_says_how_long_it_asked_to_wait() {
    let api = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .mount(&api)
        .await;
    let e = client_for(&api.uri())
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{e:?}"
    );
    assert!(e.to_string().ends_with("(retry after 120s)"), "{e}");
}

#[tokio::test]
async fn a_refused_connection_names_the_host_and_the_cause() {
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let e = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap()
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
    assert!(
        text.starts_with(&format!(
            "request(GET, \"/events\"): GET /events: could not connect to {addr}: "
        )),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert!(!text.contains('\n'));
}

#[test]
fn builder_debug_and_errors_never_show_url_credentials_or_a_misplaced_key() {
    let builder = Client::builder()
        .api_key(KEY)
        .base_url("https://user:hunter2@api.example.com/base");
    let debug = format!("{builder:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("user:"),
        "{debug}"
    );
    assert!(!debug.contains(KEY), "{debug}");

    // A key pasted where the base URL goes is never echoed.
    let e = Client::builder()
        .api_key("k")
        .base_url(KEY)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    assert!(!e.to_string().contains(KEY), "{e}");
    assert!(!format!("{e:?}").contains(KEY), "{e:?}");
    let e = Client::builder()
        .api_key("k")
        .base_url(format!("ftp://{KEY}"))
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains(KEY), "{e}");
}

/// A raw server that answers one request with a chunked 200 whose body is `parts`, each
/// written (and flushed) 20 ms after the one before, so that they reach the client apart.
fn slow_chunked_server(parts: &'static [&'static str]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        stream.set_nodelay(true).unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        for part in parts {
            std::thread::sleep(Duration::from_millis(20));
            let framed = format!("{:x}\r\n{part}\r\n", part.len());
            if stream.write_all(framed.as_bytes()).is_err() {
                return;
            }
            let _ = stream.flush();
        }
        let _ = stream.write_all(b"0\r\n\r\n");
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_body_in_several_chunks_is_read_whole() {
    const PARTS: &[&str] = &[
        r#"{"_id":"66f0a1b2"#,
        r#"c3d4e5f600000abc","#,
        r#""status":1}"#,
    ];
    let base = slow_chunked_server(PARTS);
    let client = client_for(&base);
    let value = client
        .request(Method::GET, "/permits/66f0a1b2c3d4e5f600000abc")
        .send::<Value>()
        .await
        .unwrap();
    assert_eq!(
        value,
        json!({"_id": "66f0a1b2c3d4e5f600000abc", "status": 1})
    );
}

#[tokio::test]
async fn a_body_over_the_limit_in_its_second_chunk_is_refused() {
    const PARTS: &[&str] = &[r#"{"note":""#, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", r#""}"#];
    let e = get_events_with_limit(&slow_chunked_server(PARTS), 20).await;
    assert!(
        matches!(e, Error::ResponseTooLarge { limit: 20, .. }),
        "{e:?}"
    );
}

/// `GET /events` from a client whose response body limit is `limit`, which must fail.
async fn get_events_with_limit(base: &str, limit: usize) -> Error {
    let client = Client::builder()
        .api_key(KEY)
        .base_url(base)
        .max_response_body(limit)
        .build()
        .unwrap();
    client
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err()
}
