//! The webhook verifier: known-answer vectors from an independent implementation, both schemes,
//! and every way a request can be wrong.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use buzzin::webhooks::{header, sign, Authentication, Verifier, WebhookError};
use buzzin_test_support::webhooks::Authenticate;

const SECRET: &str = "whsec_test_123";
const TS: u64 = 1_751_364_000_000;
const BODY: &[u8] =
    br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.expired","data":{}}"#;

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn signed(signature: &str, timestamp: &str) -> Vec<(String, String)> {
    vec![
        (header::SIGNATURE.to_owned(), signature.to_owned()),
        (header::SIGNATURE_TIMESTAMP.to_owned(), timestamp.to_owned()),
    ]
}

fn verify(
    verifier: &Verifier,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Authentication, WebhookError> {
    verifier.authenticate_at(headers, body, at(TS))
}

#[track_caller]
fn assert_malformed(
    result: Result<Authentication, WebhookError>,
    header_name: &str,
) -> &'static str {
    match result {
        Err(WebhookError::MalformedHeader { name, reason }) if name == header_name => reason,
        other => panic!("expected a malformed `{header_name}` header, got {other:?}"),
    }
}

// --- known answers -------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(serde::Deserialize)]
struct Vector {
    name: String,
    secret_hex: String,
    timestamp_ms: String,
    body_hex: String,
    signature_hex: String,
    signature_base64: String,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("../data/webhook_vectors.json");
    let vectors: Vectors = serde_json::from_str(text).expect("tests/data/webhook_vectors.json");
    assert!(vectors.vectors.len() >= 10, "the vector file lost cases");
    vectors.vectors
}

#[test]
fn sign_matches_python_hmac_vectors() {
    for v in vectors() {
        let secret = hex::decode(&v.secret_hex).unwrap();
        let body = hex::decode(&v.body_hex).unwrap();
        let ts: u64 = v.timestamp_ms.parse().unwrap();
        assert_eq!(
            sign(&secret, ts, &body),
            v.signature_hex,
            "vector `{}`",
            v.name
        );
    }
}

#[test]
fn verify_accepts_python_hmac_vectors_in_every_encoding() {
    for v in vectors() {
        let secret = hex::decode(&v.secret_hex).unwrap();
        let body = hex::decode(&v.body_hex).unwrap();
        let verifier = Verifier::new(&secret).accept_any_timestamp();
        let unpadded = v.signature_base64.trim_end_matches('=');
        for signature in [
            v.signature_hex.clone(),
            v.signature_hex.to_uppercase(),
            v.signature_base64.clone(),
            unpadded.to_owned(),
        ] {
            let headers = signed(&signature, &v.timestamp_ms);
            assert_eq!(
                verifier
                    .authenticate(&headers, &body)
                    .map_err(|e| e.to_string()),
                Ok(Authentication::Signature),
                "vector `{}` with signature {signature}",
                v.name
            );
        }
        // The same vector under another secret fails.
        let other = Verifier::new([&secret[..], b"x"].concat()).accept_any_timestamp();
        let headers = signed(&v.signature_hex, &v.timestamp_ms);
        assert!(
            matches!(
                other.authenticate(&headers, &body),
                Err(WebhookError::BadSignature)
            ),
            "{}",
            v.name
        );
    }
}

// --- tampering -----------------------------------------------------------------------------

#[test]
fn a_correct_signature_verifies_and_reports_the_scheme() {
    let headers = signed(&sign(SECRET, TS, BODY), &TS.to_string());
    assert_eq!(
        verify(&Verifier::new(SECRET), &headers, BODY).unwrap(),
        Authentication::Signature
    );
}

#[test]
fn tampered_body_fails() {
    let headers = signed(&sign(SECRET, TS, BODY), &TS.to_string());
    let mut body = BODY.to_vec();
    body[10] ^= 1;
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, &body),
        Err(WebhookError::BadSignature)
    ));
    // Appending, even only whitespace, also fails.
    let longer = [BODY, b" "].concat();
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, &longer),
        Err(WebhookError::BadSignature)
    ));
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, b""),
        Err(WebhookError::BadSignature)
    ));
}

#[test]
fn tampered_timestamp_fails() {
    let headers = signed(&sign(SECRET, TS, BODY), &(TS + 1).to_string());
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, BODY),
        Err(WebhookError::BadSignature)
    ));
    // Leading zeros write the same number but are different signed bytes.
    let headers = signed(&sign(SECRET, TS, BODY), &format!("0{TS}"));
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, BODY),
        Err(WebhookError::BadSignature)
    ));
}

#[test]
fn another_secret_fails() {
    let headers = signed(&sign("whsec_test_124", TS, BODY), &TS.to_string());
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, BODY),
        Err(WebhookError::BadSignature)
    ));
    // A prefix of the secret is another secret.
    let headers = signed(&sign("whsec_test_12", TS, BODY), &TS.to_string());
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, BODY),
        Err(WebhookError::BadSignature)
    ));
}

// --- malformed signatures ------------------------------------------------------------------

#[test]
fn truncated_empty_odd_length_and_non_hex_signatures_are_malformed_not_compared() {
    let good = sign(SECRET, TS, BODY);
    let verifier = Verifier::new(SECRET);
    let ts = TS.to_string();
    let cases = [
        ("truncated by one digit", good[..63].to_owned()),
        ("truncated to half", good[..32].to_owned()),
        ("a single digit", good[..1].to_owned()),
        ("empty", String::new()),
        ("only spaces", "   ".to_owned()),
        ("odd length", format!("{good}a")),
        ("two signatures joined", format!("{good}{good}")),
        ("non-hex of the right length", "z".repeat(64)),
        ("hex with one non-hex digit", format!("{}g", &good[..63])),
        ("v1 prefix", format!("v1,{good}")),
        (
            "v1 prefix and base64",
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode([7u8; 32])
            ),
        ),
        ("sha256= prefix", format!("sha256={good}")),
        ("space separated list", format!("{good} {good}")),
        ("31 bytes of hex", hex::encode([1u8; 31])),
        (
            "33 bytes of base64",
            base64::engine::general_purpose::STANDARD.encode([1u8; 33]),
        ),
        ("url-safe base64", "-_".repeat(21) + "-A"),
    ];
    for (what, signature) in cases {
        let headers = signed(&signature, &ts);
        let result = verify(&verifier, &headers, BODY);
        assert!(
            matches!(
                result,
                Err(WebhookError::MalformedHeader {
                    name: header::SIGNATURE,
                    ..
                })
            ),
            "{what}: {result:?}"
        );
    }
}

#[test]
fn an_all_zero_signature_of_the_right_length_is_a_mismatch() {
    let headers = signed(&"0".repeat(64), &TS.to_string());
    assert!(matches!(
        verify(&Verifier::new(SECRET), &headers, BODY),
        Err(WebhookError::BadSignature)
    ));
}

#[test]
fn surrounding_whitespace_in_header_values_is_ignored() {
    let headers = signed(
        &format!(" {}\t", sign(SECRET, TS, BODY)),
        &format!(" {TS} "),
    );
    assert_eq!(
        verify(&Verifier::new(SECRET), &headers, BODY).unwrap(),
        Authentication::Signature
    );
}

#[test]
fn a_repeated_signature_header_is_rejected_even_if_one_copy_is_right() {
    let good = sign(SECRET, TS, BODY);
    let ts = TS.to_string();
    for pair in [
        [good.as_str(), "0000"],
        ["0000", good.as_str()],
        [good.as_str(), good.as_str()],
    ] {
        let headers = [
            (header::SIGNATURE, pair[0]),
            (header::SIGNATURE, pair[1]),
            (header::SIGNATURE_TIMESTAMP, ts.as_str()),
        ];
        let reason = assert_malformed(
            Verifier::new(SECRET).authenticate_at(&headers, BODY, at(TS)),
            header::SIGNATURE,
        );
        assert!(reason.contains("more than once"), "{reason}");
    }
}

// --- headers -------------------------------------------------------------------------------

#[test]
fn header_names_match_in_any_case() {
    let sig = sign(SECRET, TS, BODY);
    let ts = TS.to_string();
    for (s, t) in [
        ("Buzzin-Signature", "Buzzin-Signature-Timestamp"),
        ("BUZZIN-SIGNATURE", "BUZZIN-SIGNATURE-TIMESTAMP"),
        ("bUzZiN-sIgNaTuRe", "buzzin-signature-TIMESTAMP"),
    ] {
        let headers = [(s, sig.as_str()), (t, ts.as_str())];
        assert_eq!(
            Verifier::new(SECRET)
                .authenticate_at(&headers, BODY, at(TS))
                .unwrap(),
            Authentication::Signature,
            "{s} / {t}"
        );
    }
    let headers = [("X-BUZZIN-TOKEN", SECRET)];
    assert_eq!(
        Verifier::new(SECRET).authenticate(&headers, BODY).unwrap(),
        Authentication::Token
    );
}

#[test]
fn http1_header_map_is_read() {
    let mut map = http::HeaderMap::new();
    map.insert("Buzzin-Signature", sign(SECRET, TS, BODY).parse().unwrap());
    map.insert(
        "BUZZIN-SIGNATURE-TIMESTAMP",
        TS.to_string().parse().unwrap(),
    );
    assert_eq!(
        Verifier::new(SECRET)
            .authenticate_at(&map, BODY, at(TS))
            .unwrap(),
        Authentication::Signature
    );

    map.append("buzzin-signature", "00".parse().unwrap());
    assert_malformed(
        Verifier::new(SECRET).authenticate_at(&map, BODY, at(TS)),
        header::SIGNATURE,
    );
}

#[cfg(feature = "http02")]
#[test]
fn http02_header_map_is_read() {
    let mut map = http02::HeaderMap::new();
    map.insert("Buzzin-Signature", sign(SECRET, TS, BODY).parse().unwrap());
    map.insert(
        "BUZZIN-SIGNATURE-TIMESTAMP",
        TS.to_string().parse().unwrap(),
    );
    assert_eq!(
        Verifier::new(SECRET)
            .authenticate_at(&map, BODY, at(TS))
            .unwrap(),
        Authentication::Signature
    );
    let mut map = http02::HeaderMap::new();
    map.insert("x-buzzin-token", "nope".parse().unwrap());
    assert!(matches!(
        Verifier::new(SECRET).authenticate(&map, BODY),
        Err(WebhookError::BadToken)
    ));
}

#[test]
fn header_slices_arrays_vecs_and_references_all_work() {
    let sig = sign(SECRET, TS, BODY);
    let ts = TS.to_string();
    let array = [
        (header::SIGNATURE, sig.as_str()),
        (header::SIGNATURE_TIMESTAMP, ts.as_str()),
    ];
    let slice: &[(&str, &str)] = &array;
    let owned: Vec<(String, String)> = signed(&sig, &ts);
    let bytes: Vec<(&str, &[u8])> = vec![
        (header::SIGNATURE, sig.as_bytes()),
        (header::SIGNATURE_TIMESTAMP, ts.as_bytes()),
    ];
    let v = Verifier::new(SECRET);
    assert!(v.authenticate_at(&array, BODY, at(TS)).is_ok());
    assert!(v.authenticate_at(slice, BODY, at(TS)).is_ok());
    assert!(v.authenticate_at(&slice, BODY, at(TS)).is_ok());
    assert!(v.authenticate_at(&owned, BODY, at(TS)).is_ok());
    assert!(v.authenticate_at(&bytes, BODY, at(TS)).is_ok());
}

#[test]
fn signature_without_timestamp_and_timestamp_without_signature_are_missing_headers() {
    let v = Verifier::new(SECRET);
    let sig = sign(SECRET, TS, BODY);
    let ts = TS.to_string();
    let only_sig = [(header::SIGNATURE, sig.as_str())];
    assert!(matches!(
        v.authenticate_at(&only_sig, BODY, at(TS)),
        Err(WebhookError::MissingHeader {
            name: header::SIGNATURE_TIMESTAMP
        })
    ));
    // A token does not stand in for the missing half of a signature.
    let only_ts = [
        (header::SIGNATURE_TIMESTAMP, ts.as_str()),
        (header::TOKEN, SECRET),
    ];
    assert!(matches!(
        v.authenticate_at(&only_ts, BODY, at(TS)),
        Err(WebhookError::MissingHeader {
            name: header::SIGNATURE
        })
    ));
}

// --- timestamps ----------------------------------------------------------------------------

#[test]
fn tolerance_edges_in_both_directions() {
    let tolerance = Duration::from_secs(300);
    let v = Verifier::new(SECRET).tolerance(tolerance);
    let headers = signed(&sign(SECRET, TS, BODY), &TS.to_string());
    let tol_ms = 300_000;
    // Exactly at the edge: accepted, either way.
    assert!(v.authenticate_at(&headers, BODY, at(TS + tol_ms)).is_ok());
    assert!(v.authenticate_at(&headers, BODY, at(TS - tol_ms)).is_ok());
    // One millisecond past it: rejected, with the skew.
    match v.authenticate_at(&headers, BODY, at(TS + tol_ms + 1)) {
        Err(WebhookError::TimestampTooOld { skew, tolerance: t }) => {
            assert_eq!(skew, Duration::from_millis(tol_ms + 1));
            assert_eq!(t, tolerance);
        }
        other => panic!("{other:?}"),
    }
    match v.authenticate_at(&headers, BODY, at(TS - tol_ms - 1)) {
        Err(WebhookError::TimestampInFuture { skew, .. }) => {
            assert_eq!(skew, Duration::from_millis(tol_ms + 1))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn default_tolerance_is_five_minutes() {
    let v = Verifier::new(SECRET);
    let headers = signed(&sign(SECRET, TS, BODY), &TS.to_string());
    assert!(v.authenticate_at(&headers, BODY, at(TS + 300_000)).is_ok());
    assert!(matches!(
        v.authenticate_at(&headers, BODY, at(TS + 300_001)),
        Err(WebhookError::TimestampTooOld { .. })
    ));
    assert!(format!("{v:?}").contains("300s"), "{v:?}");
}

#[test]
fn the_system_clock_is_used_by_default() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let v = Verifier::new(SECRET);
    let fresh = signed(&sign(SECRET, now, BODY), &now.to_string());
    assert!(v.authenticate(&fresh, BODY).is_ok());
    let stale_ts = now - 3_600_000;
    let stale = signed(&sign(SECRET, stale_ts, BODY), &stale_ts.to_string());
    match v.authenticate(&stale, BODY) {
        Err(WebhookError::TimestampTooOld { skew, .. }) => {
            assert!(skew >= Duration::from_secs(3600))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_tolerance_check_can_be_turned_off_and_on_again() {
    let old = 1_000_000_000_000; // 2001
    let headers = signed(&sign(SECRET, old, BODY), &old.to_string());
    let v = Verifier::new(SECRET).accept_any_timestamp();
    assert!(v.authenticate_at(&headers, BODY, at(TS)).is_ok());
    assert!(format!("{v:?}").contains("tolerance: None"));
    let v = v.tolerance(Duration::from_secs(1));
    assert!(matches!(
        v.authenticate_at(&headers, BODY, at(TS)),
        Err(WebhookError::TimestampTooOld { .. })
    ));
    // The signature still covers the timestamp with the check off.
    let v = Verifier::new(SECRET).accept_any_timestamp();
    let moved = signed(&sign(SECRET, old, BODY), &(old + 1).to_string());
    assert!(matches!(
        v.authenticate_at(&moved, BODY, at(TS)),
        Err(WebhookError::BadSignature)
    ));
}

#[test]
fn a_timestamp_in_seconds_is_called_out() {
    let secs = TS / 1000;
    let headers = signed(&sign(SECRET, secs, BODY), &secs.to_string());
    let reason = assert_malformed(
        verify(&Verifier::new(SECRET), &headers, BODY),
        header::SIGNATURE_TIMESTAMP,
    );
    assert!(reason.contains("seconds"), "{reason}");
}

#[test]
fn non_numeric_timestamps_are_malformed() {
    let v = Verifier::new(SECRET).accept_any_timestamp();
    for ts in [
        "",
        "+1751364000000",
        "-1751364000000",
        "1751364000000.0",
        "1.751364e12",
        "0x1a",
        "2026-07-01T06:00:00Z",
        "١٢٣",
        "99999999999999999999",
    ] {
        let headers = signed(&sign(SECRET, TS, BODY), ts);
        assert_malformed(verify(&v, &headers, BODY), header::SIGNATURE_TIMESTAMP);
    }
}

// --- rotation ------------------------------------------------------------------------------

#[test]
fn rotation_accepts_either_secret_and_nothing_else() {
    let v = Verifier::with_secrets(["whsec_old", "whsec_new"]);
    for secret in ["whsec_old", "whsec_new"] {
        let headers = signed(&sign(secret, TS, BODY), &TS.to_string());
        assert_eq!(
            verify(&v, &headers, BODY).unwrap(),
            Authentication::Signature,
            "{secret}"
        );
        assert_eq!(
            v.authenticate(&[(header::TOKEN, secret)], BODY).unwrap(),
            Authentication::Token
        );
    }
    let headers = signed(&sign("whsec_other", TS, BODY), &TS.to_string());
    assert!(matches!(
        verify(&v, &headers, BODY),
        Err(WebhookError::BadSignature)
    ));
    assert!(matches!(
        v.authenticate(&[(header::TOKEN, "whsec_other")], BODY),
        Err(WebhookError::BadToken)
    ));
    // Secrets of any owned or borrowed byte type.
    let owned = Verifier::with_secrets(vec![b"whsec_old".to_vec(), b"whsec_new".to_vec()]);
    let headers = signed(&sign("whsec_new", TS, BODY), &TS.to_string());
    assert!(verify(&owned, &headers, BODY).is_ok());
}

// --- token ---------------------------------------------------------------------------------

#[test]
fn token_right_wrong_empty_prefix_and_suffix() {
    let v = Verifier::new(SECRET);
    assert_eq!(
        v.authenticate(&[(header::TOKEN, SECRET)], b"anything")
            .unwrap(),
        Authentication::Token
    );
    for wrong in [
        "whsec_test_124",
        "WHSEC_TEST_123",
        "whsec_test_12",
        "w",
        "whsec_test_1234",
        "whsec_test_123\0",
    ] {
        assert!(
            matches!(
                v.authenticate(&[(header::TOKEN, wrong)], BODY),
                Err(WebhookError::BadToken)
            ),
            "{wrong:?}"
        );
    }
    assert_malformed(v.authenticate(&[(header::TOKEN, "")], BODY), header::TOKEN);
    assert_malformed(
        v.authenticate(&[(header::TOKEN, SECRET), (header::TOKEN, SECRET)], BODY),
        header::TOKEN,
    );
}

#[test]
fn when_both_schemes_are_present_the_signature_decides() {
    let v = Verifier::new(SECRET);
    let sig = sign(SECRET, TS, BODY);
    let ts = TS.to_string();
    let right_sig_wrong_token = [
        (header::SIGNATURE, sig.as_str()),
        (header::SIGNATURE_TIMESTAMP, ts.as_str()),
        (header::TOKEN, "wrong"),
    ];
    assert_eq!(
        v.authenticate_at(&right_sig_wrong_token, BODY, at(TS))
            .unwrap(),
        Authentication::Signature
    );
    let wrong_sig_right_token = [
        (header::SIGNATURE, &"0".repeat(64)[..]),
        (header::SIGNATURE_TIMESTAMP, ts.as_str()),
        (header::TOKEN, SECRET),
    ];
    assert!(matches!(
        v.authenticate_at(&wrong_sig_right_token, BODY, at(TS)),
        Err(WebhookError::BadSignature)
    ));
}

// --- unsigned ------------------------------------------------------------------------------

#[test]
fn unsigned_requests_are_rejected_unless_allowed() {
    let none: [(&str, &str); 0] = [];
    let unrelated = [
        ("content-type", "application/json"),
        ("x-buzzin-event", "passes.permits.issued"),
    ];
    let v = Verifier::new(SECRET);
    assert!(matches!(
        v.authenticate(&none, BODY),
        Err(WebhookError::Unsigned)
    ));
    assert!(matches!(
        v.authenticate(&unrelated, BODY),
        Err(WebhookError::Unsigned)
    ));
    let open = Verifier::insecure_unsigned();
    assert_eq!(
        open.authenticate(&none, BODY).unwrap(),
        Authentication::Unsigned
    );
    assert!(matches!(
        open.authenticate(&[(header::TOKEN, "whatever")], BODY),
        Err(WebhookError::BadToken)
    ));
    assert!(format!("{open:?}").contains("insecure_unsigned"));
}

#[test]
fn empty_secrets_never_verify_anything() {
    // HMAC under an empty key is a signature anyone can make.
    let forged = signed(&sign("", TS, BODY), &TS.to_string());
    for v in [
        Verifier::new(""),
        Verifier::with_secrets(Vec::<String>::new()),
        Verifier::with_secrets(["", ""]),
    ] {
        assert!(matches!(
            verify(&v, &forged, BODY),
            Err(WebhookError::NoSecret)
        ));
        assert!(matches!(
            v.authenticate(&[(header::TOKEN, "")], BODY),
            Err(WebhookError::NoSecret)
        ));
    }
    // An empty secret beside a real one is dropped; the real one still works.
    let v = Verifier::with_secrets(["", SECRET]);
    assert!(matches!(
        verify(&v, &forged, BODY),
        Err(WebhookError::BadSignature)
    ));
    assert!(verify(&v, &signed(&sign(SECRET, TS, BODY), &TS.to_string()), BODY).is_ok());
}

// --- secrets stay secret -------------------------------------------------------------------

#[test]
fn no_secret_token_or_signature_in_debug_or_error_messages() {
    let secret = "s3cr3t-VALUE-that-must-not-leak";
    let v = Verifier::with_secrets([secret, "second-SECRET-value"]);
    let debug = format!("{v:?}");
    assert!(
        !debug.contains("s3cr3t") && !debug.contains("second-SECRET"),
        "{debug}"
    );
    assert!(debug.contains("2 (redacted)"), "{debug}");

    let sig = sign("other", TS, BODY);
    let sig_b64 = base64::engine::general_purpose::STANDARD.encode(hex::decode(&sig).unwrap());
    let cases: Vec<Vec<(String, String)>> = vec![
        signed(&sig, &TS.to_string()),
        signed(&sig_b64, &TS.to_string()),
        signed(&sig[..40], &TS.to_string()),
        signed(&sig, &(TS - 10_000_000).to_string()),
        vec![(header::TOKEN.to_owned(), format!("{secret}x"))],
        vec![(header::TOKEN.to_owned(), secret[..5].to_owned())],
    ];
    for headers in cases {
        let err = verify(&v, &headers, BODY).unwrap_err();
        assert!(err.is_authentication_failure(), "{err:?}");
        for text in [err.to_string(), format!("{err:?}")] {
            for needle in ["s3cr3t", "SECRET", &sig[..16], &sig_b64[..16], &sig[..40]] {
                assert!(!text.contains(needle), "`{needle}` leaked into `{text}`");
            }
        }
    }
}

#[test]
fn errors_read_well() {
    let err = WebhookError::TimestampTooOld {
        skew: Duration::from_secs(400),
        tolerance: Duration::from_secs(300),
    };
    assert_eq!(
        err.to_string(),
        "the signature timestamp is 400s old, more than the tolerance of 300s"
    );
    assert_eq!(
        WebhookError::MissingHeader {
            name: header::SIGNATURE_TIMESTAMP
        }
        .to_string(),
        "the `buzzin-signature-timestamp` header is missing"
    );
    assert!(!WebhookError::NoSecret.is_authentication_failure());
    assert!(!WebhookError::MalformedHeader {
        name: header::DELIVERY,
        reason: "x"
    }
    .is_authentication_failure());
}

// --- body size -----------------------------------------------------------------------------

#[test]
fn bodies_over_the_limit_are_rejected_before_anything_else() {
    let v = Verifier::new(SECRET).max_body_size(BODY.len());
    let headers = signed(&sign(SECRET, TS, BODY), &TS.to_string());
    assert!(
        verify(&v, &headers, BODY).is_ok(),
        "a body exactly at the limit is accepted"
    );
    let longer = [BODY, b" "].concat();
    let headers = signed(&sign(SECRET, TS, &longer), &TS.to_string());
    assert!(
        matches!(verify(&v, &headers, &longer), Err(WebhookError::BodyTooLarge { limit }) if limit == BODY.len())
    );
    // Even for an unsigned verifier, and before the headers are looked at.
    let open = Verifier::insecure_unsigned().max_body_size(4);
    assert!(matches!(
        open.authenticate(&[] as &[(&str, &str)], b"12345"),
        Err(WebhookError::BodyTooLarge { limit: 4 })
    ));
    // The default limit: 1 MiB.
    let default = Verifier::insecure_unsigned();
    let over = vec![b' '; 1024 * 1024 + 1];
    assert!(matches!(
        default.authenticate(&[] as &[(&str, &str)], &over),
        Err(WebhookError::BodyTooLarge { limit }) if limit == 1024 * 1024
    ));
    let err = WebhookError::BodyTooLarge { limit: 4 };
    assert_eq!(err.to_string(), "the body is larger than 4 bytes");
    assert!(!err.is_authentication_failure());
}

#[test]
fn the_public_types_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Verifier>();
    assert_send_sync::<WebhookError>();
    assert_send_sync::<buzzin::webhooks::Delivery>();
    assert_send_sync::<buzzin::webhooks::Event>();
    assert_send_sync::<buzzin::webhooks::store::MemoryStore>();
    assert_send_sync::<buzzin::webhooks::store::StoreError>();
    assert_send_sync::<std::sync::Arc<dyn buzzin::webhooks::store::DeliveryStore>>();
    // A verifier is shared by reference or cheaply cloned; clones verify alike.
    let v = Verifier::with_secrets(["a", SECRET]);
    let clone = v.clone();
    let headers = signed(&sign(SECRET, TS, BODY), &TS.to_string());
    let from_thread = std::thread::spawn(move || verify(&clone, &headers, BODY).is_ok())
        .join()
        .unwrap();
    assert!(from_thread);
}

/// Issue 12.7: a verifier without a secret accepts an uncredentialed request, never a request
/// carrying a credential it cannot check.
#[test]
fn insecure_unsigned_rejects_a_present_credential() {
    let open = Verifier::insecure_unsigned().accept_any_timestamp();
    let none: [(&str, &str); 0] = [];
    assert_eq!(
        open.authenticate(&none, BODY).unwrap(),
        Authentication::Unsigned
    );
    assert!(matches!(
        verify(
            &open,
            &signed(&sign(SECRET, TS, BODY), &TS.to_string()),
            BODY
        ),
        Err(WebhookError::BadSignature)
    ));
    assert!(matches!(
        verify(&open, &signed(&"00".repeat(32), &TS.to_string()), BODY),
        Err(WebhookError::BadSignature)
    ));
    let err = open.verify(&[(header::TOKEN, SECRET)], BODY).unwrap_err();
    assert!(matches!(err, WebhookError::BadToken));
    assert!(err.is_authentication_failure());
    assert!(matches!(
        open.authenticate(&[(header::SIGNATURE_TIMESTAMP, "1")], BODY),
        Err(WebhookError::MissingHeader { .. })
    ));
}

/// Issue 12.7: a token secret configured with surrounding whitespace (a trailing newline from a
/// file) matches the token header, which HTTP always trims.
#[test]
fn a_token_secret_with_surrounding_spaces_still_matches() {
    for secret in [" whsec_tok", "whsec_tok\n", "\twhsec_tok \r\n"] {
        let v = Verifier::new(secret);
        assert_eq!(
            v.authenticate(&[(header::TOKEN, "whsec_tok")], BODY)
                .unwrap(),
            Authentication::Token,
            "{secret:?}"
        );
        assert!(matches!(
            v.authenticate(&[(header::TOKEN, "whsec_to")], BODY),
            Err(WebhookError::BadToken)
        ));
    }
    // A secret of spaces only is no token secret.
    assert!(matches!(
        Verifier::new("   ").authenticate(&[(header::TOKEN, "x")], BODY),
        Err(WebhookError::BadToken)
    ));
}
