//! Metrics through the `metrics` facade (feature `metrics`), read with `metrics-util`'s
//! debugging recorder: request durations, retries by reason, webhook verification failures
//! by reason, store claims by outcome.

use buzzin_test_support::mocks::fails_n_times;
use std::time::Duration;

use buzzin::webhooks::store::{handle_once, MemoryStore};
use buzzin::webhooks::Verifier;
use buzzin::Client;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

const PERMIT: &str = "66f0a1b2c3d4e5f600000abc";

/// Every metric as `name{label=value,…}` (labels sorted) with its value.
fn metrics(snapshotter: &Snapshotter) -> Vec<(String, DebugValue)> {
    let mut all: Vec<_> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            (format!("{}{{{}}}", key.name(), labels.join(",")), value)
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_retried_call_records_each_attempt_and_the_retry_by_reason() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        run(async {
            let server = MockServer::start().await;
            fails_n_times(
                &server,
                "GET",
                1,
                ResponseTemplate::new(503).insert_header("retry-after", "0"),
            )
            .await;
            Mock::given(matchers::method("GET"))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(serde_json::json!({"_id": PERMIT})),
                )
                .mount(&server)
                .await;
            let client = Client::builder()
                .api_key("key")
                .base_url(server.uri())
                .build()
                .unwrap();
            client.permits().get(PERMIT).await.unwrap();
        })
    });
    let all = metrics(&snapshotter);
    let names: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "buzzin.client.retries{buzzin.operation=getPermit,reason=503}",
            "http.client.request.duration{buzzin.operation=getPermit,error.type=503,http.request.method=GET,http.response.status_code=503}",
            "http.client.request.duration{buzzin.operation=getPermit,http.request.method=GET,http.response.status_code=200}",
        ]
    );
    assert!(matches!(all[0].1, DebugValue::Counter(1)), "{:?}", all[0].1);
    for (_, value) in &all[1..] {
        match value {
            DebugValue::Histogram(seconds) => {
                assert_eq!(seconds.len(), 1);
                assert!(seconds[0].0 > 0.0 && seconds[0].0 < 10.0, "{seconds:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn webhook_verification_failures_by_reason_and_claims_by_outcome() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let verifier = Verifier::new("whsec-example");
        let body = br#"{"event":"communityContractors.approved","createdAt":"2026-07-01T06:00:00.000Z","data":{"_id":"66f0a1b2c3d4e5f600000001","approved":true}}"#;
        assert!(verifier
            .verify(&[("X-Buzzin-Token", "wrong")], body)
            .is_err());
        assert!(verifier
            .verify(&[("X-Buzzin-Token", "wrong")], body)
            .is_err());
        assert!(verifier.verify(&[] as &[(&str, &str)], body).is_err());
        assert!(verifier
            .verify(&[("X-Buzzin-Token", "whsec-example")], body)
            .is_ok());
        run(async {
            let store = MemoryStore::new();
            for _ in 0..2 {
                handle_once(&store, "event:1", Duration::from_secs(30), |_| async {
                    Ok::<(), std::io::Error>(())
                })
                .await;
            }
        });
    });
    let all = metrics(&snapshotter);
    let shown: Vec<String> = all
        .iter()
        .map(|(k, v)| match v {
            DebugValue::Counter(n) => format!("{k} {n}"),
            other => format!("{k} {other:?}"),
        })
        .collect();
    assert_eq!(
        shown,
        [
            "buzzin.webhook.claims{outcome=done} 1",
            "buzzin.webhook.claims{outcome=new} 1",
            "buzzin.webhook.verification.failures{reason=bad_token} 2",
            "buzzin.webhook.verification.failures{reason=unsigned} 1",
        ]
    );
}
