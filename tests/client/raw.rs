//! The client core against a real HTTP server (wiremock), through the raw request: auth, user
//! agent, configuration, error classes, retries, timeouts, concurrency and tracing.

use buzzin_test_support::assert_invalid;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use buzzin::client::{Auth, RetryPolicy, TimeoutKind};
use buzzin::reqwest::Method;
use buzzin::{Client, Error};
use serde_json::{json, Value};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use buzzin_test_support::mocks::{hits, KEY};

fn fast_retries() -> RetryPolicy {
    buzzin_test_support::mocks::fast_retries(3)
}

fn client(server: &MockServer) -> Client {
    buzzin_test_support::mocks::client_for(&server.uri())
}

#[tokio::test]
async fn sends_x_api_key_and_user_agent_and_decodes_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/permits/66f0a1b2c3d4e5f600000abc"))
        .and(header("x-api-key", KEY))
        .and(header(
            "user-agent",
            concat!("buzzin-rust/", env!("CARGO_PKG_VERSION"), " gatehouse/2.1"),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"_id": "66f0a1b2c3d4e5f600000abc", "status": 10})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .app_name("gatehouse/2.1")
        .build()
        .unwrap();
    let permit: Value = client
        .request(Method::GET, "/permits/66f0a1b2c3d4e5f600000abc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        permit,
        json!({"_id": "66f0a1b2c3d4e5f600000abc", "status": 10})
    );
    let req = &server.received_requests().await.unwrap()[0];
    assert!(req.headers.get("authorization").is_none());
}

#[tokio::test]
async fn bearer_and_custom_header_auth() {
    let server = MockServer::start().await;
    Mock::given(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(path("/bearer"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"via": "bearer"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(header("x-buzzin-key", KEY))
        .and(path("/custom"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"via": "custom"})))
        .expect(1)
        .mount(&server)
        .await;
    let bearer = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .auth(Auth::Bearer)
        .build()
        .unwrap();
    let v: Value = bearer.request(Method::GET, "/bearer").send().await.unwrap();
    assert_eq!(v["via"], "bearer");
    let custom = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .auth(Auth::Header("X-Buzzin-Key".into()))
        .build()
        .unwrap();
    let v: Value = custom.request(Method::GET, "/custom").send().await.unwrap();
    assert_eq!(v["via"], "custom");
    for req in server.received_requests().await.unwrap() {
        let auth_headers = ["x-api-key", "authorization", "x-buzzin-key"]
            .iter()
            .filter(|h| req.headers.contains_key(**h))
            .count();
        assert_eq!(auth_headers, 1, "exactly one auth header on {}", req.url);
    }
}

#[tokio::test]
async fn base_url_path_prefix_and_query_are_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .and(query_param("$limit", "10"))
        .and(query_param("createdAt[$gte]", "2026-07-01T00:00:00.000Z"))
        .and(query_param("x", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0})))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/api/v1/", server.uri()))
        .build()
        .unwrap();
    assert_eq!(client.base_url().path(), "/api/v1");
    let v: Value = client
        .request(Method::GET, "/events?x=1")
        .query("$limit", 10)
        .query("createdAt[$gte]", "2026-07-01T00:00:00.000Z")
        .send()
        .await
        .unwrap();
    assert_eq!(v, json!({"total": 0}));
}

#[tokio::test]
async fn raw_json_body_and_extra_headers() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/passes/66f0a1b2c3d4e5f600000abc"))
        .and(header("content-type", "application/json"))
        .and(header("x-request-id", "abc-1"))
        .and(body_json(
            json!({"action": "revoke", "reason": "Permit cancelled by DAMAC."}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let v: Value = client(&server)
        .request(Method::PATCH, "/passes/66f0a1b2c3d4e5f600000abc")
        .header("x-request-id", "abc-1")
        .header("x-api-key", "attempt-to-override")
        .json(&json!({"action": "revoke", "reason": "Permit cancelled by DAMAC."}))
        .send()
        .await
        .unwrap();
    assert_eq!(v, json!({}));
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        req.headers.get("x-api-key").unwrap(),
        KEY,
        "the client's key wins"
    );
}

#[tokio::test]
async fn bad_raw_requests_fail_before_the_network() {
    let server = MockServer::start().await;
    let client = client(&server);
    let e = client
        .request(Method::GET, "events")
        .send::<Value>()
        .await
        .unwrap_err();
    assert_invalid(&e, "path");
    let e = client
        .request(Method::GET, "/x")
        .header("x-secret", "line\nbreak-secret")
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidRequest {
                field: "header",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains("break-secret"));
    assert_eq!(hits(&server).await, 0);
}

#[tokio::test]
async fn caller_configuration_of_the_http_client_is_used() {
    let server = MockServer::start().await;
    Mock::given(header("x-from-my-pool", "yes"))
        .and(header("x-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(1)))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .configure_http(|http| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert("x-from-my-pool", "yes".parse().unwrap());
            http.default_headers(headers)
        })
        .build()
        .unwrap();
    let v: u32 = client
        .request(Method::GET, "/anything")
        .send()
        .await
        .unwrap();
    assert_eq!(v, 1);
}

#[test]
fn configuration_errors_are_typed_and_never_echo_the_key() {
    // No key builds (for an NFC visit); an empty one does not.
    assert!(Client::builder().build().is_ok());
    let e = Client::builder().api_key("  ").build().unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    let e = Client::builder()
        .api_key(KEY)
        .base_url("ftp://x")
        .build()
        .unwrap_err();
    // The input is never echoed (it may be a key pasted in the wrong place).
    assert!(
        matches!(&e, Error::Config(m) if m.contains("http(s)") && !m.contains("ftp://x")),
        "{e}"
    );
    let e = Client::builder()
        .api_key(KEY)
        .base_url("not a url")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    // A bad header name is refused, with or without a key.
    let e = Client::builder()
        .auth(Auth::Header("bad header".into()))
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(m) if m.contains("bad header")),
        "{e}"
    );
    let e = Client::builder()
        .api_key("sekrit\nvalue")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    assert!(!format!("{e} {e:?}").contains("sekrit"));
}

#[tokio::test]
async fn the_key_is_in_no_debug_output_and_no_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"name": "NotAuthenticated", "message": "Invalid API key", "code": 401}),
        ))
        .mount(&server)
        .await;
    let builder = Client::builder().api_key(KEY).base_url(server.uri());
    let client = builder.clone().build().unwrap();
    let e = client
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    for text in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{e}"),
        format!("{e:?}"),
    ] {
        assert!(!text.contains(KEY), "{text}");
    }
    assert!(format!("{client:?}").contains("<redacted>"));
}

/// Sends one GET answered with `status` and `body`, with retries off.
async fn answer(status: u16, body: impl AsRef<[u8]>, content_type: &str) -> Result<Value, Error> {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_raw(body.as_ref(), content_type))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    client
        .request(Method::GET, "/permits/abc")
        .send::<Value>()
        .await
}

#[tokio::test]
async fn feathers_errors_map_to_their_class_with_the_fields() {
    let doc_400 = include_str!("../data/doc-examples/external-nfc-visit.error-400-2.json");
    type IsClass = fn(&Error) -> bool;
    let cases: [(u16, &str, IsClass); 6] = [
        (400, doc_400, |e| matches!(e, Error::BadRequest(_))),
        (
            401,
            r#"{"name":"NotAuthenticated","message":"Invalid API key","code":401,"className":"not-authenticated"}"#,
            |e| matches!(e, Error::Unauthorized(_)),
        ),
        (
            403,
            r#"{"name":"Forbidden","message":"No","code":403}"#,
            |e| matches!(e, Error::Unauthorized(_)),
        ),
        (
            404,
            r#"{"name":"NotFound","message":"Record Not Found","code":404}"#,
            |e| matches!(e, Error::NotFound(_)),
        ),
        (
            409,
            r#"{"name":"Conflict","message":"salesforcePermitId already exists","code":409,"data":{"field":"salesforcePermitId"}}"#,
            |e| matches!(e, Error::Conflict(_)),
        ),
        (
            422,
            r#"{"name":"Unprocessable","message":"bad","code":422,"errors":{"validTill":"before validFrom"}}"#,
            |e| matches!(e, Error::BadRequest(_)),
        ),
    ];
    for (status, body, is_class) in cases {
        let body: &'static str = Box::leak(body.to_owned().into_boxed_str());
        let e = answer(status, body, "application/json").await.unwrap_err();
        assert!(is_class(&e), "{status}: {e:?}");
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
        let api = e.api_error().unwrap();
        let parsed: Value = serde_json::from_str(body).unwrap();
        assert_eq!(api.name().map(|n| n.as_str()), parsed["name"].as_str());
        assert_eq!(api.message(), parsed["message"].as_str());
        assert_eq!(api.code(), parsed["code"].as_i64());
        assert_eq!(api.body_snippet(), None);
        assert_eq!(api.request(), "GET /permits/abc");
        assert_eq!(api.call(), "request(GET, \"/permits/abc\")");
        assert!(!e.is_retryable());
        let line = e.to_string();
        assert!(!line.contains('\n'));
        assert!(
            line.starts_with(&format!(
                "request(GET, \"/permits/abc\"): GET /permits/abc returned {status}"
            )),
            "{line}"
        );
        assert!(line.contains(parsed["message"].as_str().unwrap()), "{line}");
    }
    let e = answer(
        409,
        r#"{"name":"Conflict","code":409,"data":{"field":"x"}}"#,
        "application/json",
    )
    .await
    .unwrap_err();
    assert_eq!(e.api_error().unwrap().data(), Some(&json!({"field": "x"})));
    assert!(!e
        .api_error()
        .unwrap()
        .may_have_been_created_by_earlier_attempt());
    let e = answer(
        422,
        r#"{"name":"Unprocessable","errors":{"a":"b"},"className":"unprocessable"}"#,
        "application/json",
    )
    .await
    .unwrap_err();
    assert_eq!(e.api_error().unwrap().errors(), Some(&json!({"a": "b"})));
    assert_eq!(e.api_error().unwrap().class_name(), Some("unprocessable"));
}

#[tokio::test]
async fn html_empty_and_truncated_bodies() {
    let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body></html>";
    let e = answer(502, html, "text/html").await.unwrap_err();
    assert!(matches!(e, Error::Server(_)), "{e:?}");
    assert!(e.is_retryable());
    let api = e.api_error().unwrap();
    assert_eq!(api.name(), None);
    assert_eq!(api.body_snippet(), Some("<html> <head><title>502 Bad Gateway</title></head> <body><center><h1>502 Bad Gateway</h1></center></body></html>"));
    assert!(
        e.to_string().contains("502 Bad Gateway, body: <html>"),
        "{e}"
    );

    let e = answer(500, "", "application/json").await.unwrap_err();
    assert!(matches!(e, Error::Server(_)));
    assert_eq!(e.api_error().unwrap().body_snippet(), Some(""));
    assert!(e.to_string().ends_with("with an empty body"), "{e}");

    let e = answer(
        200,
        r#"{"_id": "66f0a1b2c3d4e5f600000abc", "stat"#,
        "application/json",
    )
    .await
    .unwrap_err();
    let Error::Decode(d) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(d.status().as_u16(), 200);
    assert!(d.message().contains("EOF"), "{}", d.message());
    assert_eq!(
        d.body_snippet(),
        r#"{"_id": "66f0a1b2c3d4e5f600000abc", "stat"#
    );
    assert!(!e.is_retryable());

    assert_eq!(
        answer(200, "", "application/json").await.unwrap(),
        Value::Null
    );
    assert_eq!(
        answer(204, "", "application/json").await.unwrap(),
        Value::Null
    );

    let e = answer(418, "I'm a teapot", "text/plain").await.unwrap_err();
    assert!(matches!(e, Error::UnexpectedStatus(_)), "{e:?}");
    assert_eq!(e.api_error().unwrap().body_snippet(), Some("I'm a teapot"));
    let e = answer(501, "", "text/plain").await.unwrap_err();
    assert!(matches!(e, Error::Server(_)) && !e.is_retryable());
}

#[tokio::test]
async fn empty_body_decodes_into_a_record_type() {
    #[derive(serde::Deserialize, Debug, PartialEq, Default)]
    struct Ack {
        message: Option<String>,
    }
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let ack: Ack = client(&server)
        .request(Method::PATCH, "/passes/x")
        .send()
        .await
        .unwrap();
    assert_eq!(ack, Ack::default());
}

#[tokio::test]
async fn a_safe_call_is_retried_after_500() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"name": "GeneralError", "code": 500})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 3})))
        .expect(1)
        .mount(&server)
        .await;
    let v: Value = client(&server)
        .request(Method::GET, "/events")
        .send()
        .await
        .unwrap();
    assert_eq!(v["total"], 3);
}

#[tokio::test]
async fn retries_stop_at_max_attempts_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let e = client(&server)
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Server(_)) && e.status().unwrap().as_u16() == 503,
        "{e:?}"
    );
}

#[tokio::test]
async fn a_non_idempotent_call_is_not_resent_after_500_unless_marked() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let client = client(&server);
    let e = client
        .request(Method::POST, "/visits")
        .json(&json!({}))
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Server(_)));
    assert_eq!(hits(&server).await, 1);
    let _ = client
        .request(Method::PATCH, "/users/1")
        .json(&json!({}))
        .idempotent()
        .send::<Value>()
        .await
        .unwrap_err();
    assert_eq!(hits(&server).await, 1 + 3);
}

#[tokio::test]
async fn a_400_is_never_retried() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    let _ = client(&server)
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn retry_after_seconds_on_429_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"name": "TooManyRequests", "code": 429})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("ok")))
        .mount(&server)
        .await;
    let started = Instant::now();
    // Backoff is at most 5 ms: only Retry-After explains a 1 s wait.
    let v: String = client(&server)
        .request(Method::GET, "/events")
        .send()
        .await
        .unwrap();
    assert_eq!(v, "ok");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_fails_at_once_with_the_wait() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let e = client(&server)
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    let Error::RateLimited { retry_after, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(3600)));
    assert!(e.is_retryable());
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn retry_after_http_date_on_503() {
    let server = MockServer::start().await;
    // A date in the past: retry at once.
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(7)))
        .mount(&server)
        .await;
    let v: u8 = client(&server)
        .request(Method::GET, "/events")
        .send()
        .await
        .unwrap();
    assert_eq!(v, 7);
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn a_non_idempotent_call_is_not_resent_after_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/visits"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(Duration::from_millis(150))
        .retry_policy(fast_retries().max_attempts(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client
        .request(Method::POST, "/visits")
        .json(&json!({"visitType": "externalNfc"}))
        .send::<Value>()
        .await
        .unwrap_err();
    let Error::Timeout { kind, attempts, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!((*kind, *attempts), (TimeoutKind::Attempt, 1));
    assert!(started.elapsed() < Duration::from_millis(700));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        hits(&server).await,
        1,
        "the gate-opening request was sent once"
    );
}

#[tokio::test]
async fn a_safe_call_is_retried_after_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!("slow"))
                .set_delay(Duration::from_secs(2)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("fast")))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(Duration::from_millis(200))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let v: String = client.request(Method::GET, "/events").send().await.unwrap();
    assert_eq!(v, "fast");
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn the_overall_deadline_bounds_all_attempts() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(Duration::from_secs(10))
        .deadline(Duration::from_millis(300))
        .retry_policy(fast_retries().max_attempts(10))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    let Error::Timeout { kind, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*kind, TimeoutKind::Deadline);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(e.is_retryable());
}

/// A port nothing listens on (bound, then released).
fn free_port() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap()
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_non_idempotent_call() {
    let probe = free_port();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(10)
                .base_delay(Duration::from_millis(100))
                .max_delay(Duration::from_millis(400)),
        )
        .build()
        .unwrap();
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = std::net::TcpListener::bind(addr).unwrap();
        let server = MockServer::builder().listener(listener).start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"responseCode": "entryEventCreated"})),
            )
            .mount(&server)
            .await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(server);
    });
    let v: Value = client
        .request(Method::POST, "/visits")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(v["responseCode"], "entryEventCreated");
    server.abort();
}

#[tokio::test]
async fn a_connection_that_never_opens_is_a_connect_error() {
    let probe = free_port();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let e = client
        .request(Method::GET, "/events")
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
    assert!(e.is_retryable() && e.status().is_none());
    assert!(std::error::Error::source(&e).is_some());
    assert!(
        e.to_string()
            .starts_with("request(GET, \"/events\"): GET /events: could not connect"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_calls_on_one_client() {
    let server = MockServer::start().await;
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    Mock::given(method("GET"))
        .and(path("/echo"))
        .respond_with(move |req: &Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            let n = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "n")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            ResponseTemplate::new(200).set_body_json(json!({"n": n}))
        })
        .mount(&server)
        .await;
    let client = client(&server);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let v: Value = client
                    .request(Method::GET, "/echo")
                    .query("n", i)
                    .send()
                    .await
                    .unwrap();
                (i, v)
            })
        })
        .collect();
    for task in tasks {
        let (i, v) = task.await.unwrap();
        assert_eq!(v["n"], i.to_string());
    }
    assert_eq!(served.load(Ordering::SeqCst), 200);
}

#[test]
fn client_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Client>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
    assert!(
        std::mem::size_of::<Error>() <= 64,
        "{}",
        std::mem::size_of::<Error>()
    );
}

/// A tracing subscriber that writes every span and event, with its fields, as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Fields(&mut line));
        let mut all = self.0.lock().unwrap();
        all.push(line);
        tracing::span::Id::from_u64(all.len() as u64)
    }
    fn record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut all = self.0.lock().unwrap();
        let line = &mut all[id.into_u64() as usize - 1];
        values.record(&mut Fields(line));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("event {}", event.metadata().target());
        event.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn each_attempt_of_a_raw_request_has_a_span_named_by_its_method_and_no_secret_or_id() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    // Installed for the whole test binary: a scoped subscriber misses callsites that other
    // tests, running in parallel, registered first. Lines are filtered by this test's path.
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    let capture = CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            tracing::subscriber::set_global_default(capture.clone()).unwrap();
            capture
        })
        .clone();
    let client = client(&server);
    let _: Value = client
        .request(Method::PATCH, "/users/66f0a1b2c3d4e5f600000001?token=zzz")
        .json(&json!({"deviceSecret": "abc123xyz789"}))
        .idempotent()
        .send()
        .await
        .unwrap();
    let all_lines = capture.0.lock().unwrap().clone();
    // A raw request's path may hold ids: its spans are named by the method alone, with no
    // path; this test's are the ones on this server's port.
    let port = format!("server.port={}", server.address().port());
    let lines: Vec<&String> = all_lines.iter().filter(|l| l.contains(&port)).collect();
    let spans: Vec<&&String> = lines
        .iter()
        .filter(|l| l.starts_with("span buzzin.request"))
        .collect();
    assert_eq!(spans.len(), 2, "{lines:#?}");
    let first = format!("span buzzin.request otel.name=PATCH otel.kind=client http.request.method=PATCH server.address=127.0.0.1 {port} http.response.status_code=502 error.type=502");
    let second = format!("span buzzin.request otel.name=PATCH otel.kind=client http.request.method=PATCH server.address=127.0.0.1 {port} http.request.resend_count=1 http.response.status_code=200");
    assert_eq!(spans[0].as_str(), first);
    assert_eq!(spans[1].as_str(), second);
    assert!(
        all_lines.iter().any(|l| l.contains("buzzin: retrying")),
        "{lines:#?}"
    );
    let all = all_lines.join("\n");
    for secret in [KEY, "abc123xyz789", "zzz", "66f0a1b2c3d4e5f600000001"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

#[tokio::test]
async fn a_2xx_body_that_is_not_utf8_is_a_decode_error_saying_where() {
    let e = answer(200, b"{\"name\": \"a\xffb\"}", "application/json")
        .await
        .unwrap_err();
    let Error::Decode(d) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(d.status().as_u16(), 200);
    // serde_json's own error for the bytes, with the position of the bad byte.
    assert!(
        d.message()
            .contains("invalid unicode code point at line 1 column 12"),
        "{}",
        d.message()
    );
}
