//! Spans by the OpenTelemetry HTTP client conventions, captured with a `tracing-subscriber`
//! layer: one `buzzin.call` span per call (`buzzin.operation`), one `buzzin.request` span per
//! attempt named `{method} {url.template}` through `otel.name`, and no secret, id or personal
//! data in any attribute.

use buzzin_test_support::mocks::fails_n_times;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use buzzin::Client;
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

const PERMIT: &str = "66f0a1b2c3d4e5f600000abc";
const KEY: &str = "bz_live_span_secret";

/// A span as captured: its static name, its parent's, and every field recorded on it.
#[derive(Debug, Clone, Default)]
struct Captured {
    name: &'static str,
    parent: Option<&'static str>,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// The index of a span's entry in the capture, kept in the span's extensions.
struct Slot(usize);

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let mut captured = Captured {
            name: attrs.metadata().name(),
            parent: span.parent().map(|p| p.name()),
            ..Captured::default()
        };
        attrs.record(&mut Fields(&mut captured.fields));
        let mut all = self.0.lock().unwrap();
        all.push(captured);
        span.extensions_mut().insert(Slot(all.len() - 1));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let slot = span.extensions().get::<Slot>().unwrap().0;
        values.record(&mut Fields(&mut self.0.lock().unwrap()[slot].fields));
    }
}

/// A server whose first GET answers 503 with `Retry-After: 0`, and every later one 200 `body`.
async fn busy_once_then(body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    fails_n_times(
        &server,
        "GET",
        1,
        ResponseTemplate::new(503).insert_header("retry-after", "0"),
    )
    .await;
    Mock::given(matchers::method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_retried_get_has_one_call_span_and_one_attempt_span_per_attempt() {
    let server = busy_once_then(serde_json::json!({
        "_id": PERMIT, "status": 1,
        "contractor": {"name": "Ahmed Al Mansouri", "email": "ahmed@example.com"}
    }))
    .await;
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .default_header("x-tenant", "tenant-secret-value")
        .build()
        .unwrap();
    // A current-thread runtime: the call runs on this thread, under the scoped subscriber.
    client.permits().get(PERMIT).await.unwrap();

    let spans = capture.0.lock().unwrap().clone();
    let port = server.address().port().to_string();
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let call = &spans[0];
    assert_eq!(call.name, "buzzin.call");
    assert_eq!(call.fields["buzzin.operation"], "getPermit");
    assert_eq!(call.fields["otel.name"], "getPermit");
    assert!(!call.fields.contains_key("error.type"));
    for (i, attempt) in spans[1..].iter().enumerate() {
        assert_eq!(attempt.name, "buzzin.request");
        assert_eq!(attempt.parent, Some("buzzin.call"));
        let f = &attempt.fields;
        assert_eq!(f["otel.name"], "GET /permits/{id}");
        assert_eq!(f["otel.kind"], "client");
        assert_eq!(f["http.request.method"], "GET");
        assert_eq!(f["url.template"], "/permits/{id}");
        assert_eq!(f["server.address"], "127.0.0.1");
        assert_eq!(f["server.port"], port);
        if i == 0 {
            assert_eq!(f["http.response.status_code"], "503");
            assert_eq!(f["error.type"], "503");
            assert!(!f.contains_key("http.request.resend_count"), "{f:?}");
        } else {
            assert_eq!(f["http.response.status_code"], "200");
            assert_eq!(f["http.request.resend_count"], "1");
            assert!(!f.contains_key("error.type"), "{f:?}");
        }
    }
    let all = format!("{spans:?}");
    for secret in [
        KEY,
        PERMIT,
        "tenant-secret-value",
        "Ahmed",
        "ahmed@example.com",
    ] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

#[tokio::test]
async fn a_failed_call_records_its_error_type_on_both_spans() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "name": "NotFound", "message": format!("No record found for id '{PERMIT}'"), "code": 404
        })))
        .mount(&server)
        .await;
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .build()
        .unwrap();
    client.permits().get(PERMIT).await.unwrap_err();
    let spans = capture.0.lock().unwrap().clone();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    assert_eq!(spans[0].fields["error.type"], "404");
    assert_eq!(spans[1].fields["error.type"], "404");
    assert_eq!(spans[1].fields["http.response.status_code"], "404");
    assert!(!format!("{spans:?}").contains(PERMIT));
}

#[cfg(feature = "handle-once")]
#[tokio::test]
async fn a_delivery_span_records_the_event_the_verification_and_the_claim_and_no_secret() {
    use buzzin::webhooks::store::{handle_once, MemoryStore};
    use buzzin::webhooks::{delivery_span, Verifier};
    use std::time::Duration;
    use tracing::Instrument;

    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let verifier = Verifier::new("whsec-span-secret");
    let store = MemoryStore::new();
    let body = br#"{"event":"communityContractors.approved","createdAt":"2026-07-01T06:00:00.000Z","data":{"_id":"66f0a1b2c3d4e5f600000001","approved":true,"email":"ahmed@example.com"}}"#;
    for token in ["whsec-span-secret", "whsec-span-secret", "a-wrong-token"] {
        let headers = [("X-Buzzin-Token", token)];
        async {
            let Ok(delivery) = verifier.verify(&headers, body) else {
                return;
            };
            let key = delivery.dedup_key();
            handle_once(&store, &key, Duration::from_secs(30), |_| async {
                Ok::<(), std::io::Error>(())
            })
            .await;
        }
        .instrument(delivery_span())
        .await;
    }
    let spans = capture.0.lock().unwrap().clone();
    let shown: Vec<String> = spans
        .iter()
        .map(|s| {
            let f = &s.fields;
            let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("-");
            format!(
                "{} {} {} {} {}",
                s.name,
                get("buzzin.event"),
                get("buzzin.webhook.verification"),
                get("buzzin.webhook.claim"),
                get("buzzin.webhook.outcome")
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "buzzin.delivery communityContractors.approved verified new handled",
            "buzzin.delivery communityContractors.approved verified done already_done",
            "buzzin.delivery - bad_token - -",
        ]
    );
    let all = format!("{spans:?}");
    for secret in ["whsec-span-secret", "a-wrong-token", "ahmed@example.com"] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

/// An event's message, and the name of its span.
type SeenEvent = (String, Option<&'static str>);

/// What the attempt hook saw as the current span, and each event's static name with the name
/// of its span (its explicit parent, or else the current span).
#[derive(Clone, Default)]
struct Seen {
    hook_spans: Arc<Mutex<Vec<Option<&'static str>>>>,
    events: Arc<Mutex<Vec<SeenEvent>>>,
}

impl buzzin::client::AttemptHook for Seen {
    fn before_attempt(&self, _: &mut buzzin::client::AttemptRequest<'_>) {
        let current = tracing::Span::current().metadata().map(|m| m.name());
        self.hook_spans.lock().unwrap().push(current);
    }
}

impl<S> Layer<S> for Seen
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let span = ctx.event_span(event).map(|s| s.name());
        let mut message = BTreeMap::new();
        event.record(&mut Fields(&mut message));
        let text = message.get("message").cloned().unwrap_or_default();
        self.events.lock().unwrap().push((text, span));
    }
}

#[tokio::test]
async fn the_attempt_is_the_current_span_and_a_retry_is_told_in_the_call_span() {
    let server = busy_once_then(serde_json::json!({"_id": PERMIT})).await;
    let capture = Capture::default();
    let seen = Seen::default();
    let subscriber = tracing_subscriber::registry()
        .with(capture.clone())
        .with(seen.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .attempt_hook(seen.clone())
        .build()
        .unwrap();
    {
        let _handler = tracing::info_span!("my.handler").entered();
        client.permits().get(PERMIT).await.unwrap();
    }

    // The hook (where a user reads the trace context for a correlation header) runs inside
    // the attempt's span, on both attempts.
    assert_eq!(
        *seen.hook_spans.lock().unwrap(),
        vec![Some("buzzin.request"), Some("buzzin.request")]
    );
    // The retry is an event of the call, not of the attempt that failed.
    let events = seen.events.lock().unwrap().clone();
    let retrying: Vec<_> = events
        .iter()
        .filter(|(text, _)| text.contains("retrying"))
        .collect();
    assert_eq!(retrying.len(), 1, "{events:?}");
    assert_eq!(retrying[0].1, Some("buzzin.call"));
    // The call span is a child of the caller's span.
    let spans = capture.0.lock().unwrap().clone();
    let call = spans.iter().find(|s| s.name == "buzzin.call").unwrap();
    assert_eq!(call.parent, Some("my.handler"));
}
