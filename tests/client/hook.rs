//! Your own headers: default headers and the per-attempt hook add headers and observe the
//! status, but cannot see or change the API key, follow a redirect, or change whether an
//! operation is re-sent.

use buzzin_test_support::mocks::fails_n_times;
use std::sync::{Arc, Mutex};

use buzzin::client::{AttemptHook, AttemptRequest, AttemptResponse, RetryPolicy};
use buzzin::reqwest::header::HeaderValue;
use buzzin::{Client, Error};
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

const PERMIT: &str = "66f0a1b2c3d4e5f600000abc";
const KEY: &str = "bz_test_secret_key";

/// Records what it saw, adds a correlation id, and tries what it must not be able to do.
#[derive(Default, Clone)]
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
}

impl AttemptHook for Recorder {
    fn before_attempt(&self, attempt: &mut AttemptRequest<'_>) {
        let mut seen = self.seen.lock().unwrap();
        let headers: Vec<String> = attempt
            .headers()
            .iter()
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap()))
            .collect();
        seen.push(format!(
            "before {} {} #{} [{}]",
            attempt.operation(),
            attempt.method(),
            attempt.attempt(),
            headers.join(",")
        ));
        let id = HeaderValue::from_str(&format!("corr-{}", attempt.attempt())).unwrap();
        attempt.insert_header("x-correlation-id", id).unwrap();
        for own in ["x-api-key", "authorization", "user-agent", "host"] {
            let refused = attempt.insert_header(own, HeaderValue::from_static("evil"));
            assert!(
                matches!(refused, Err(Error::InvalidHeader { .. })),
                "{own}: {refused:?}"
            );
        }
    }

    fn after_attempt(&self, answer: &AttemptResponse<'_>) {
        let request_id = answer
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned());
        self.seen.lock().unwrap().push(format!(
            "after {} #{} {} {:?}",
            answer.operation(),
            answer.attempt(),
            answer.status().as_u16(),
            request_id
        ));
    }
}

fn client(server: &MockServer, hook: &Recorder) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .default_header("x-tenant", "damac")
        .attempt_hook(hook.clone())
        .retry_policy(RetryPolicy::default().base_delay(std::time::Duration::ZERO))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_hook_adds_headers_and_observes_each_attempt_but_never_sees_the_key() {
    let server = MockServer::start().await;
    fails_n_times(
        &server,
        "GET",
        1,
        ResponseTemplate::new(503).insert_header("x-request-id", "r-1"),
    )
    .await;
    Mock::given(matchers::method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "r-2")
                .set_body_json(serde_json::json!({"_id": PERMIT})),
        )
        .mount(&server)
        .await;
    let hook = Recorder::default();
    client(&server, &hook).permits().get(PERMIT).await.unwrap();

    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "before getPermit GET #1 [x-tenant=damac]",
            "after getPermit #1 503 Some(\"r-1\")",
            "before getPermit GET #2 [x-tenant=damac]",
            "after getPermit #2 200 Some(\"r-2\")",
        ]
    );
    assert!(!seen.concat().contains(KEY));
    // On the wire: the key unchanged, the hook's and the default headers, the client's own
    // user agent.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for (i, request) in requests.iter().enumerate() {
        let h = &request.headers;
        assert_eq!(h.get("x-api-key").unwrap(), KEY);
        assert_eq!(h.get_all("x-api-key").iter().count(), 1);
        assert!(h.get("authorization").is_none());
        assert_eq!(h.get("x-tenant").unwrap(), "damac");
        assert_eq!(
            h.get("x-correlation-id").unwrap(),
            format!("corr-{}", i + 1).as_str()
        );
        assert_eq!(h.get("user-agent").unwrap(), buzzin::client::USER_AGENT);
    }
}

#[tokio::test]
async fn a_redirect_seen_by_the_hook_is_still_not_followed() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(format!("/permits/{PERMIT}")))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(matchers::path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .expect(0)
        .mount(&server)
        .await;
    let hook = Recorder::default();
    let e = client(&server, &hook)
        .permits()
        .get(PERMIT)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Redirected { .. }), "{e:?}");
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1], "after getPermit #1 302 None");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_hook_does_not_change_whether_an_operation_is_re_sent() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let hook = Recorder::default();
    // Opening a gate is never re-sent once it may have reached Buzz-In, hook or not, however
    // many attempts the policy allows.
    let e = client(&server, &hook)
        .visits()
        .external_nfc(
            buzzin::client::DeviceSecret::new("device-secret"),
            "784-1990-1234567-1",
        )
        .email("resident@example.com")
        .retry_policy(RetryPolicy::default().max_attempts(5))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Server(_)), "{e:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "before createExternalNfcVisit POST #1 [x-tenant=damac]",
            "after createExternalNfcVisit #1 503 None",
        ]
    );
    for personal in ["device-secret", "resident@example.com", "784-1990"] {
        assert!(!seen.concat().contains(personal), "{personal}");
    }
}

#[test]
fn invalid_or_reserved_default_headers_fail_the_build_with_a_typed_error() {
    let build = |name: &str, value: &str| {
        Client::builder()
            .api_key(KEY)
            .default_header(name, value)
            .build()
            .map(|_| ())
    };
    assert!(build("x-tenant", "damac").is_ok());
    match build("bad header", "v") {
        Err(Error::InvalidHeader { name: None, .. }) => {}
        other => panic!("{other:?}"),
    }
    match build("x-tenant", "line\nbreak") {
        Err(Error::InvalidHeader { name: Some(n), .. }) => assert_eq!(n, "x-tenant"),
        other => panic!("{other:?}"),
    }
    for own in [
        "x-api-key",
        "Authorization",
        "user-agent",
        "content-type",
        "host",
    ] {
        let e = build(own, "value").unwrap_err();
        assert!(matches!(e, Error::InvalidHeader { .. }), "{own}: {e:?}");
        assert!(!e.to_string().contains("value"), "{e}");
    }
    // A custom key header is the key's too.
    let e = Client::builder()
        .api_key(KEY)
        .auth(buzzin::client::Auth::Header("x-buzz-key".into()))
        .default_header("x-buzz-key", "other")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::InvalidHeader { .. }), "{e:?}");
}
