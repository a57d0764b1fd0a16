//! Webhook benchmarks: what verification and typed parsing cost against their baselines.
//!
//! `cargo bench --bench webhooks`. Prints nanoseconds per operation (median of interleaved
//! rounds) and the ratios the webhooks issue sets targets for:
//! - verify-only on a 2 KiB signed delivery vs a bare `Hmac<Sha256>` over the same bytes
//!   (target: at most 1.10×);
//! - the typed parse of the documentation's example vs a parse into `serde_json::Value` with
//!   `serde_json::from_slice`, as bytes from a request would be parsed (target: typed at least
//!   1.5× faster). The typed parse checks UTF-8 once for the whole body, then parses text; the
//!   same trick applied to `Value` is printed as a reference, and so is serde's own derive over
//!   the same models;
//! - the typed parse of the documentation's example vs sonic-rs's `Value` over the same bytes
//!   (target: at most 1.3×), with a validate-only pass (`IgnoredAny`) as a floor;
//! - full `verify` (signature + typed parse) of the 2 KiB delivery vs the signature check alone
//!   (target: at most 1.35×), with the same ratio for a `serde_json::Value`, a validate-only
//!   pass and a sonic-rs `Value` of the same body printed as references.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use buzzin::webhooks::{header, sign, Event, Verifier, WebhookError};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET: &str = "whsec_bench_0123456789abcdef";
const DOC_EXAMPLE: &[u8] =
    include_bytes!("../tests/data/doc-examples/webhook.passes.permits.issued.json");

/// Runs each case in `rounds` interleaved rounds of `iters` calls; returns the median ns per call.
fn measure(cases: &mut [(&str, &mut dyn FnMut())], rounds: usize, iters: u32) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(rounds); cases.len()];
    for (_, f) in cases.iter_mut() {
        for _ in 0..iters {
            f(); // warm up
        }
    }
    for _ in 0..rounds {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            samples[i].push(start.elapsed().as_nanos() as f64 / f64::from(iters));
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

fn report(title: &str, names: &[&str], ns: &[f64]) {
    println!("{title}");
    for (name, ns) in names.iter().zip(ns) {
        println!("  {name:<58} {ns:>10.0} ns/op");
    }
}

fn main() {
    // --- verify-only on a 2 KiB delivery -------------------------------------------------
    let pad = 2048 - r#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.scanned","data":{"note":""}}"#.len();
    let body = format!(
        r#"{{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.scanned","data":{{"note":"{}"}}}}"#,
        "x".repeat(pad)
    );
    let body = body.as_bytes();
    assert_eq!(body.len(), 2048);
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let ts_text = ts.to_string();
    let signature = sign(SECRET, ts, body);
    let raw_signature = hex::decode(&signature).unwrap();
    let headers = [
        ("content-type", "application/json"),
        ("buzzin-signature", signature.as_str()),
        ("buzzin-signature-timestamp", ts_text.as_str()),
        ("x-buzzin-event", "passes.permits.scanned"),
        ("x-buzzin-delivery", "dlv_01"),
    ];
    let verifier = Verifier::new(SECRET).tolerance(Duration::from_secs(3600));
    // The signature check alone, as `verify` makes it: the same request with a delivery id that
    // is not UTF-8 is authenticated, then refused for that header before the body is parsed.
    let stop_before_the_body: [(&str, &[u8]); 5] = [
        ("content-type", b"application/json"),
        ("buzzin-signature", signature.as_bytes()),
        ("buzzin-signature-timestamp", ts_text.as_bytes()),
        ("x-buzzin-event", b"passes.permits.scanned"),
        ("x-buzzin-delivery", b"dlv_\xff"),
    ];
    assert!(matches!(
        verifier.verify(&stop_before_the_body, body),
        Err(WebhookError::MalformedHeader { name, .. }) if name == header::DELIVERY
    ));
    let keyed = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();

    let mut verify = || {
        black_box(
            verifier
                .verify(black_box(&stop_before_the_body), black_box(body))
                .unwrap_err(),
        );
    };
    // The baseline: what a hand-written check costs, keying the HMAC per request.
    let mut bare = || {
        let mut mac = Hmac::<Sha256>::new_from_slice(black_box(SECRET.as_bytes())).unwrap();
        mac.update(ts_text.as_bytes());
        mac.update(b"-");
        mac.update(black_box(body));
        black_box(mac.verify_slice(black_box(&raw_signature)).is_ok());
    };
    // A stricter baseline: the HMAC state keyed once, cloned per request (as the verifier does).
    let mut bare_prekeyed = || {
        let mut mac = keyed.clone();
        mac.update(ts_text.as_bytes());
        mac.update(b"-");
        mac.update(black_box(body));
        black_box(mac.verify_slice(black_box(&raw_signature)).is_ok());
    };
    // The whole of `verify`: the signature, then the typed parse of the delivery.
    assert!(matches!(
        verifier.verify(&headers, body).unwrap().event(),
        Event::PermitScanned(_)
    ));
    let mut verify_and_parse = || {
        black_box(
            verifier
                .verify(black_box(&headers), black_box(body))
                .unwrap(),
        );
    };
    // For reference, parses of the same 2 KiB body: a serde_json `Value` from text checked as
    // UTF-8 once (what a hand-written handler would build), serde_json's validate-only pass
    // that builds nothing (the floor of any parse through serde_json), and a sonic-rs `Value`.
    let mut value_2k = || {
        let text = std::str::from_utf8(black_box(body)).unwrap();
        black_box(serde_json::from_str::<serde_json::Value>(text).unwrap());
    };
    let mut validate_2k = || {
        black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body)).unwrap());
    };
    let mut sonic_2k = || {
        black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(body)).unwrap());
    };
    let names = [
        "Verifier::verify up to the body (2 KiB, HMAC headers)",
        "bare Hmac<Sha256>, keyed per call",
        "bare Hmac<Sha256>, keyed once and cloned",
        "Verifier::verify (signature + typed parse, 2 KiB)",
        "serde_json::Value after one from_utf8, 2 KiB (reference)",
        "serde_json validate-only, IgnoredAny, 2 KiB (floor)",
        "sonic_rs::Value, 2 KiB (reference)",
    ];
    let ns = measure(
        &mut [
            (names[0], &mut verify),
            (names[1], &mut bare),
            (names[2], &mut bare_prekeyed),
            (names[3], &mut verify_and_parse),
            (names[4], &mut value_2k),
            (names[5], &mut validate_2k),
            (names[6], &mut sonic_2k),
        ],
        41,
        2_000,
    );
    report("verify-only, 2048-byte body", &names, &ns);
    let ratio = ns[0] / ns[1];
    let strict = ns[0] / ns[2];
    println!(
        "  ratio verify / bare HMAC: {ratio:.3}x (target <= 1.10x: {})",
        if ratio <= 1.10 { "met" } else { "NOT met" }
    );
    println!("  ratio verify / pre-keyed bare HMAC: {strict:.3}x (for reference)");
    let full = ns[3] / ns[0];
    println!(
        "  ratio verify + typed parse / signature check alone: {full:.3}x (target <= 1.35x: {})",
        if full <= 1.35 { "met" } else { "NOT met" }
    );
    println!(
        "  for reference, (signature check + X) / signature check alone, X = serde_json::Value: \
         {:.3}x, X = validate-only: {:.3}x, X = sonic_rs::Value: {:.3}x",
        (ns[0] + ns[4]) / ns[0],
        (ns[0] + ns[5]) / ns[0],
        (ns[0] + ns[6]) / ns[0],
    );

    // --- typed parse vs serde_json::Value ------------------------------------------------
    let unsigned = Verifier::insecure_unsigned();
    let no_headers: [(&str, &str); 0] = [];
    assert!(matches!(
        unsigned.verify(&no_headers, DOC_EXAMPLE).unwrap().event(),
        Event::PermitIssued(_)
    ));
    let mut typed = || {
        black_box(
            unsigned
                .verify(black_box(&no_headers), black_box(DOC_EXAMPLE))
                .unwrap(),
        );
    };
    let mut value = || {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(DOC_EXAMPLE)).unwrap());
    };
    // For reference: serde's derive over the same models, as a floor for any typed parse.
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct DerivedEnvelope {
        id: Option<buzzin::models::WebhookEventId>,
        event: String,
        community_id: Option<buzzin::models::CommunityId>,
        created_at: Option<buzzin::models::Timestamp>,
        data: buzzin::models::PermitEventData,
    }
    let mut derived = || {
        black_box(serde_json::from_slice::<DerivedEnvelope>(black_box(DOC_EXAMPLE)).unwrap());
    };
    // For reference: `Value` from text already checked as UTF-8 once, as the typed parse does.
    let mut value_from_str = || {
        let text = std::str::from_utf8(black_box(DOC_EXAMPLE)).unwrap();
        black_box(serde_json::from_str::<serde_json::Value>(text).unwrap());
    };
    let mut sonic = || {
        black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(DOC_EXAMPLE)).unwrap());
    };
    // The floor of any parse through serde_json: check the JSON, build nothing.
    let mut validate_only = || {
        black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(DOC_EXAMPLE)).unwrap());
    };
    let names = [
        "typed Delivery (documentation example, 920 bytes)",
        "serde_json::Value (same bytes)",
        "serde-derived envelope of the same models (reference)",
        "serde_json::Value after one from_utf8 (reference)",
        "sonic_rs::Value (same bytes)",
        "serde_json validate-only, IgnoredAny (floor)",
    ];
    let ns = measure(
        &mut [
            (names[0], &mut typed),
            (names[1], &mut value),
            (names[2], &mut derived),
            (names[3], &mut value_from_str),
            (names[4], &mut sonic),
            (names[5], &mut validate_only),
        ],
        41,
        2_000,
    );
    report("parse", &names, &ns);
    let speedup = ns[1] / ns[0];
    println!(
        "  typed is {speedup:.2}x faster than Value (target >= 1.5x: {})",
        if speedup >= 1.5 { "met" } else { "NOT met" }
    );
    println!(
        "  typed Delivery / serde-derived envelope: {:.3}x (for reference)",
        ns[0] / ns[2]
    );
    println!(
        "  typed is {:.2}x faster than Value after one from_utf8 (for reference)",
        ns[3] / ns[0]
    );
    let vs_sonic = ns[0] / ns[4];
    println!(
        "  typed Delivery / sonic_rs::Value: {vs_sonic:.3}x (target <= 1.3x: {})",
        if vs_sonic <= 1.3 { "met" } else { "NOT met" }
    );
    println!(
        "  typed Delivery / validate-only: {:.3}x (for reference)",
        ns[0] / ns[5]
    );
}
