//! Webhook benchmarks: what verification and typed parsing cost against their baselines.
//!
//! `cargo bench --bench webhooks`. Prints nanoseconds per operation (median of interleaved
//! rounds) and the ratios the webhooks issue sets targets for:
//! - verify-only on a 2 KiB signed delivery vs a bare `Hmac<Sha256>` over the same bytes
//!   (target: at most 1.10×);
//! - the typed parse of the documentation's example vs a parse into `serde_json::Value`
//!   (target: typed at least 1.5× faster).

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use buzzin::webhooks::{sign, Authentication, Event, Verifier};
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
    assert_eq!(
        verifier.verify_signature(&headers, body).unwrap(),
        Authentication::Signature
    );
    let keyed = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();

    let mut verify = || {
        black_box(
            verifier
                .verify_signature(black_box(&headers), black_box(body))
                .unwrap(),
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
    let names = [
        "Verifier::verify_signature (2 KiB, HMAC headers)",
        "bare Hmac<Sha256>, keyed per call",
        "bare Hmac<Sha256>, keyed once and cloned",
    ];
    let ns = measure(
        &mut [
            (names[0], &mut verify),
            (names[1], &mut bare),
            (names[2], &mut bare_prekeyed),
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
    let names = [
        "typed Delivery (documentation example, 920 bytes)",
        "serde_json::Value (same bytes)",
    ];
    let ns = measure(
        &mut [(names[0], &mut typed), (names[1], &mut value)],
        41,
        2_000,
    );
    report("parse", &names, &ns);
    let speedup = ns[1] / ns[0];
    println!(
        "  typed is {speedup:.2}x faster than Value (target >= 1.5x: {})",
        if speedup >= 1.5 { "met" } else { "NOT met" }
    );
}
