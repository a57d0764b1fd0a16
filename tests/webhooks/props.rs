//! Properties of the webhook verifier over random secrets, bodies and timestamps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use buzzin::webhooks::{header, sign, Authentication, Verifier, WebhookError};
use buzzin_test_support::webhooks::Authenticate;
use proptest::prelude::*;

const TOLERANCE_MS: u64 = 300_000;

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn check(
    secret: &[u8],
    headers: &[(&str, String)],
    body: &[u8],
    now: u64,
) -> Result<Authentication, WebhookError> {
    Verifier::new(secret)
        .tolerance(Duration::from_millis(TOLERANCE_MS))
        .authenticate_at(headers, body, at(now))
}

fn headers(signature: String, timestamp: String) -> Vec<(&'static str, String)> {
    vec![
        (header::SIGNATURE, signature),
        (header::SIGNATURE_TIMESTAMP, timestamp),
    ]
}

/// Timestamps from 2001 to 2286, as Buzz-In would send them.
fn timestamp() -> impl Strategy<Value = u64> {
    1_000_000_000_000u64..10_000_000_000_000
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn what_sign_makes_verify_accepts(
        secret in prop::collection::vec(any::<u8>(), 1..100),
        body in prop::collection::vec(any::<u8>(), 0..3000),
        ts in timestamp(),
        clock_offset in -(TOLERANCE_MS as i64)..=(TOLERANCE_MS as i64),
    ) {
        let now = ts.checked_add_signed(clock_offset).unwrap();
        let h = headers(sign(&secret, ts, &body), ts.to_string());
        prop_assert_eq!(check(&secret, &h, &body, now).map_err(|e| e.to_string()), Ok(Authentication::Signature));
        // The base64 form of the same signature verifies too.
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, hex::decode(sign(&secret, ts, &body)).unwrap());
        let h = headers(b64, ts.to_string());
        prop_assert!(check(&secret, &h, &body, now).is_ok());
    }

    #[test]
    fn any_one_byte_change_to_the_body_fails(
        secret in prop::collection::vec(any::<u8>(), 1..64),
        body in prop::collection::vec(any::<u8>(), 1..2000),
        ts in timestamp(),
        index in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let h = headers(sign(&secret, ts, &body), ts.to_string());
        let mut changed = body.clone();
        let i = index.index(changed.len());
        changed[i] = changed[i].wrapping_add(delta);
        prop_assert!(matches!(check(&secret, &h, &changed, ts), Err(WebhookError::BadSignature)));
    }

    #[test]
    fn any_one_byte_change_to_the_timestamp_fails(
        secret in prop::collection::vec(any::<u8>(), 1..64),
        body in prop::collection::vec(any::<u8>(), 0..500),
        ts in timestamp(),
        index in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let signature = sign(&secret, ts, &body);
        let mut text = ts.to_string().into_bytes();
        let i = index.index(text.len());
        text[i] = text[i].wrapping_add(delta);
        let changed = String::from_utf8_lossy(&text).into_owned();
        let result = Verifier::new(&secret).accept_any_timestamp()
            .authenticate(&headers(signature, changed.clone()), &body);
        // Another digit is another signed message; anything else is not a timestamp at all
        // (a digit at either end turned into a space is trimmed: a shorter, other message).
        prop_assert!(
            matches!(result, Err(WebhookError::BadSignature) | Err(WebhookError::MalformedHeader { .. })),
            "timestamp {:?} gave {:?}", changed, result
        );
    }

    #[test]
    fn any_one_byte_change_to_the_secret_fails(
        secret in prop::collection::vec(any::<u8>(), 1..100),
        body in prop::collection::vec(any::<u8>(), 0..500),
        ts in timestamp(),
        index in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let h = headers(sign(&secret, ts, &body), ts.to_string());
        let mut other = secret.clone();
        let i = index.index(other.len());
        other[i] = other[i].wrapping_add(delta);
        prop_assert!(matches!(check(&other, &h, &body, ts), Err(WebhookError::BadSignature)));
    }

    #[test]
    fn any_one_byte_change_to_the_signature_fails(
        secret in prop::collection::vec(any::<u8>(), 1..64),
        body in prop::collection::vec(any::<u8>(), 0..500),
        ts in timestamp(),
        index in 0usize..32,
        delta in 1u8..=255,
    ) {
        let mut raw = hex::decode(sign(&secret, ts, &body)).unwrap();
        raw[index] = raw[index].wrapping_add(delta);
        let h = headers(hex::encode(raw), ts.to_string());
        prop_assert!(matches!(check(&secret, &h, &body, ts), Err(WebhookError::BadSignature)));
    }

    #[test]
    fn timestamps_outside_the_tolerance_fail_with_their_skew(
        secret in prop::collection::vec(any::<u8>(), 1..32),
        ts in timestamp(),
        beyond in 1u64..10_000_000,
        future in any::<bool>(),
    ) {
        let h = headers(sign(&secret, ts, b"{}"), ts.to_string());
        let skew = TOLERANCE_MS + beyond;
        let now = if future { ts - skew } else { ts + skew };
        match check(&secret, &h, b"{}", now) {
            Err(WebhookError::TimestampTooOld { skew: s, .. }) if !future => prop_assert_eq!(s, Duration::from_millis(skew)),
            Err(WebhookError::TimestampInFuture { skew: s, .. }) if future => prop_assert_eq!(s, Duration::from_millis(skew)),
            other => prop_assert!(false, "skew {} future {}: {:?}", skew, future, other),
        }
    }
}
