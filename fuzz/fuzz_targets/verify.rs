//! Fuzzes `Verifier::verify_at` with arbitrary headers and bodies, some of them signed
//! correctly, and checks what it decides of their authentication, not only that it does not
//! panic (a request refused for its body, after it was authenticated, counts as authenticated
//! by the scheme its headers chose):
//! - it accepts a signature only if it is the HMAC of the timestamp and body under the secret,
//!   and a token only if it is the secret;
//! - it accepts every correctly signed request whose timestamp is within the tolerance;
//! - no error message contains the secret.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use buzzin::webhooks::{header, sign, Authentication, Delivery, Verifier, WebhookError};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz_secret";
const NOW_MS: u64 = 1_751_364_000_000;
const TOLERANCE_MS: u64 = 300_000;

#[derive(Arbitrary, Debug)]
enum Name<'a> {
    Signature,
    Timestamp,
    Token,
    Event,
    Delivery,
    Upper(u8),
    Other(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Value<'a> {
    Raw(&'a [u8]),
    /// The right signature for (timestamp, body), as hex or base64, possibly cut.
    GoodSignature {
        upper: bool,
        cut: u8,
    },
    Timestamp(u64),
    NearTimestamp(i32),
    Secret,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    headers: Vec<(Name<'a>, Value<'a>)>,
    body: &'a [u8],
    /// Also add a correctly signed pair of headers at `NOW_MS + offset`.
    sign_offset: Option<i32>,
}

fuzz_target!(|input: Input<'_>| {
    let verifier = Verifier::new(SECRET).tolerance(Duration::from_millis(TOLERANCE_MS));
    let now = UNIX_EPOCH + Duration::from_millis(NOW_MS);

    // The timestamp the request will carry, if any, to build "good" signatures against.
    let mut ts_for_signing = input
        .sign_offset
        .map(|o| NOW_MS.saturating_add_signed(o.into()));
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, value) in &input.headers {
        let name = match name {
            Name::Signature => header::SIGNATURE.to_owned(),
            Name::Timestamp => header::SIGNATURE_TIMESTAMP.to_owned(),
            Name::Token => header::TOKEN.to_owned(),
            Name::Event => header::EVENT.to_owned(),
            Name::Delivery => header::DELIVERY.to_owned(),
            Name::Upper(which) => [
                header::SIGNATURE,
                header::SIGNATURE_TIMESTAMP,
                header::TOKEN,
            ][*which as usize % 3]
                .to_uppercase(),
            Name::Other(s) => s.to_string(),
        };
        let value = match value {
            Value::Raw(v) => v.to_vec(),
            Value::GoodSignature { upper, cut } => {
                let ts = ts_for_signing.unwrap_or(NOW_MS);
                let mut s = sign(SECRET, ts, input.body);
                if *upper {
                    s = s.to_uppercase();
                }
                let keep = s.len().saturating_sub(*cut as usize % 4);
                s.truncate(keep);
                s.into_bytes()
            }
            Value::Timestamp(t) => {
                ts_for_signing.get_or_insert(*t);
                t.to_string().into_bytes()
            }
            Value::NearTimestamp(o) => {
                let t = NOW_MS.saturating_add_signed((*o).into());
                ts_for_signing.get_or_insert(t);
                t.to_string().into_bytes()
            }
            Value::Secret => SECRET.as_bytes().to_vec(),
        };
        headers.push((name, value));
    }
    let mut expect_ok = false;
    if let Some(offset) = input.sign_offset {
        let ts = NOW_MS.saturating_add_signed(offset.into());
        let clean = !headers.iter().any(|(n, _)| {
            n.eq_ignore_ascii_case(header::SIGNATURE)
                || n.eq_ignore_ascii_case(header::SIGNATURE_TIMESTAMP)
        });
        headers.push((
            header::SIGNATURE.to_owned(),
            sign(SECRET, ts, input.body).into_bytes(),
        ));
        headers.push((
            header::SIGNATURE_TIMESTAMP.to_owned(),
            ts.to_string().into_bytes(),
        ));
        expect_ok = clean && ts.abs_diff(NOW_MS) <= TOLERANCE_MS;
    }

    let full = verifier.verify_at(&headers, input.body, now);
    let result = authentication(&headers, &full);

    if expect_ok {
        assert_eq!(
            result.as_ref().ok(),
            Some(&Authentication::Signature),
            "a correct signature was refused: {result:?}"
        );
    }
    match &result {
        Ok(Authentication::Signature) => {
            let get = |name: &str| {
                let mut values = headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
                let v = values
                    .next()
                    .expect("accepted without the header")
                    .1
                    .trim_ascii();
                assert!(values.next().is_none(), "accepted a repeated header");
                v
            };
            let ts = std::str::from_utf8(get(header::SIGNATURE_TIMESTAMP)).unwrap();
            let ts_num: u64 = ts.parse().unwrap();
            assert_eq!(
                ts,
                ts_num.to_string(),
                "accepted a timestamp that is not canonical decimal"
            );
            assert!(
                ts_num.abs_diff(NOW_MS) <= TOLERANCE_MS,
                "accepted a timestamp outside the tolerance"
            );
            let expected = hex::decode(sign(SECRET, ts_num, input.body)).unwrap();
            let sig = get(header::SIGNATURE);
            let decoded = if sig.len() == 64 {
                hex::decode(sig).unwrap()
            } else {
                base64_decode(sig)
            };
            assert_eq!(decoded, expected, "accepted a wrong signature");
        }
        Ok(Authentication::Token) => {
            let tokens: Vec<_> = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(header::TOKEN))
                .collect();
            assert_eq!(tokens.len(), 1);
            assert_eq!(
                tokens[0].1.trim_ascii(),
                SECRET.as_bytes(),
                "accepted a wrong token"
            );
        }
        Ok(other) => panic!("a verifier with a secret answered {other:?}"),
        Err(err) => {
            let text = format!("{err} {err:?}");
            assert!(!text.contains(SECRET), "the secret leaked: {text}");
        }
    }

    if let Err(err) = &full {
        assert!(
            !format!("{err} {err:?}").contains(SECRET),
            "the secret leaked"
        );
        let _: &WebhookError = err;
    }
});

/// A tiny standard-base64 decoder, independent of the crate's, for the oracle.
fn base64_decode(text: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for &c in text.iter().take_while(|&&c| c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .expect("accepted a non-base64 signature") as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// The scheme that authenticated the request, or the error that refused it first: `verify`
/// authenticates before it reads the body, so an error about the body or the event header
/// means the scheme the headers chose (a signature header, else the token) passed.
fn authentication<'a>(
    headers: &[(String, Vec<u8>)],
    verified: &'a Result<Delivery, WebhookError>,
) -> Result<Authentication, &'a WebhookError> {
    match verified {
        Ok(delivery) => Ok(delivery.authentication()),
        Err(err)
            if err.is_authentication_failure()
                || matches!(
                    err,
                    WebhookError::NoSecret | WebhookError::BodyTooLarge { .. }
                ) =>
        {
            Err(err)
        }
        Err(_) => Ok(
            if headers.iter().any(|(n, _)| {
                n.eq_ignore_ascii_case(header::SIGNATURE)
                    || n.eq_ignore_ascii_case(header::SIGNATURE_TIMESTAMP)
            }) {
                Authentication::Signature
            } else {
                Authentication::Token
            },
        ),
    }
}
