//! The verifier: which scheme a request carries, and whether it holds.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use super::delivery::{Authentication, Delivery, SecretId};
use super::envelope::parse_delivery;
use super::error::WebhookError;
use super::header;
use super::headers::{lookup, Lookup, RequestHeaders};
use super::signature::{decode_signature, new_mac};

/// Checks that a webhook request comes from Buzz-In.
///
/// Build one per endpoint at start-up and share it (it is `Clone`, `Send` and `Sync`); checking a
/// request takes `&self`. The secret is never shown: `Debug` prints how many secrets there are,
/// not what they are.
///
/// ```
/// use std::time::Duration;
/// use buzzin::webhooks::Verifier;
///
/// // One secret, the default tolerance of 5 minutes.
/// let verifier = Verifier::new("whsec-current");
/// // While rotating: a delivery signed with either secret is accepted.
/// let rotating = Verifier::with_secrets(["whsec-old", "whsec-new"]);
/// // A tighter window for signature timestamps.
/// let strict = Verifier::new("whsec-current").tolerance(Duration::from_secs(60));
/// assert!(!format!("{strict:?}").contains("whsec"));
/// # let _ = (verifier, rotating);
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: Keys,
    tolerance: Option<Duration>,
    max_body_size: usize,
}

/// The tolerance a new verifier allows between a signature's timestamp and its clock.
const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The largest body a new verifier accepts: 1 MiB.
const DEFAULT_MAX_BODY_SIZE: usize = 1024 * 1024;

impl Verifier {
    /// A verifier for an endpoint with one secret (anything `AsRef<[u8]>`: `&str`, `String`,
    /// bytes).
    ///
    /// An empty secret is no secret: a verifier built from empty secrets only rejects every
    /// request with [`WebhookError::NoSecret`] rather than accept signatures anyone can make.
    ///
    /// For the token scheme, spaces, tabs and line breaks around a secret are ignored (an HTTP
    /// header value never carries them, so such a secret could never match); the HMAC key is
    /// the secret as given.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self::with_secrets([secret])
    }

    /// A verifier that accepts a delivery authenticated with any one of `secrets`: for rotating
    /// an endpoint's secret without dropping deliveries. Empty secrets are ignored.
    pub fn with_secrets<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let keys = secrets
            .into_iter()
            .map(|s| s.as_ref().to_vec())
            .filter(|s| !s.is_empty())
            .map(|s| Key {
                mac: new_mac(&s),
                token_digest: Sha256::digest(s.trim_ascii()).into(),
                id: secret_id(&s),
            })
            .collect();
        Self {
            keys: Keys::Secrets(keys),
            tolerance: Some(DEFAULT_TOLERANCE),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }

    /// A verifier for an endpoint configured **without** a secret: it authenticates nothing and
    /// accepts every request that carries no credential as [`Authentication::Unsigned`]. Anyone
    /// who can reach the endpoint can then send it events.
    ///
    /// A request that does carry a signature or a token is still rejected
    /// ([`WebhookError::BadSignature`], [`WebhookError::BadToken`], or malformed/missing header
    /// errors as for any verifier): with no secret, no credential can be right, and Buzz-In sends
    /// none to an endpoint without a secret.
    pub fn insecure_unsigned() -> Self {
        Self {
            keys: Keys::Unsigned,
            tolerance: Some(DEFAULT_TOLERANCE),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }

    /// Sets the largest body, in bytes, the verifier accepts (default 1 MiB); a larger one is
    /// rejected with [`WebhookError::BodyTooLarge`] before anything else is checked. The axum
    /// extractor stops reading a request at this size.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The largest body, in bytes, the verifier accepts (the extractors stop reading there).
    #[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
    pub(crate) fn body_limit(&self) -> usize {
        self.max_body_size
    }

    /// Sets how far a signature's timestamp may lie from the verifier's clock, in either
    /// direction, and turns the check back on after
    /// [`accept_any_timestamp`](Self::accept_any_timestamp). The default is 5 minutes.
    ///
    /// A timestamp exactly `tolerance` away is accepted. `Duration::ZERO` accepts only the
    /// current millisecond; to turn the check off, use
    /// [`accept_any_timestamp`](Self::accept_any_timestamp).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Turns the timestamp check off: a correctly signed delivery is accepted however old, so a
    /// captured request can be replayed forever. For replaying stored deliveries and for tests;
    /// the timestamp must still be a decimal number, and is still covered by the signature.
    pub fn accept_any_timestamp(mut self) -> Self {
        self.tolerance = None;
        self
    }

    /// Checks that the request comes from Buzz-In, then parses the body into a [`Delivery`].
    ///
    /// The request is authenticated before the body is read as JSON. The scheme is chosen by
    /// the headers present: `buzzin-signature` or `buzzin-signature-timestamp` → HMAC
    /// signature (both then required); otherwise `x-buzzin-token` → token; neither →
    /// [`WebhookError::Unsigned`]. When a request carries both a signature and a token, the
    /// signature decides. A header sent more than once is rejected as malformed. Then the body
    /// is parsed once into its typed [`Event`](super::Event) (the delivery's
    /// [`authentication`](Delivery::authentication) says which scheme passed);
    /// an `x-buzzin-event` header that differs from the body's `event` is rejected (the body
    /// is authoritative, the header may not contradict it), and `x-buzzin-delivery` is kept.
    ///
    /// ```
    /// use buzzin::webhooks::{Event, Verifier};
    ///
    /// let body = br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"communityContractors.approved",
    ///     "data":{"_id":"66f0a1b2c3d4e5f600000001","approved":true}}"#;
    /// let headers = [("X-Buzzin-Token", "whsec-example"), ("X-Buzzin-Event", "communityContractors.approved")];
    /// let delivery = Verifier::new("whsec-example").verify(&headers, body)?;
    /// let Event::ContractorApproved(contractor) = delivery.event() else { panic!() };
    /// assert_eq!(contractor.approved, Some(true));
    /// # Ok::<(), buzzin::webhooks::WebhookError>(())
    /// ```
    pub fn verify<H>(&self, headers: &H, body: &[u8]) -> Result<Delivery, WebhookError>
    where
        H: RequestHeaders + ?Sized,
    {
        self.verify_with_clock(headers, body, SystemTime::now)
    }

    /// [`verify`](Self::verify) with the timestamp checked against `now` rather than the system
    /// clock: for tests and for replaying stored deliveries.
    pub fn verify_at<H>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Delivery, WebhookError>
    where
        H: RequestHeaders + ?Sized,
    {
        self.verify_with_clock(headers, body, || now)
    }

    /// `verify` reading the clock only if a timestamp is to be checked.
    fn verify_with_clock<H>(
        &self,
        headers: &H,
        body: &[u8],
        now: impl FnOnce() -> SystemTime,
    ) -> Result<Delivery, WebhookError>
    where
        H: RequestHeaders + ?Sized,
    {
        let verified = self.verify_unobserved(headers, body, now);
        super::observe::verified(&verified);
        verified
    }

    /// [`verify_with_clock`](Self::verify_with_clock) without its span fields and metrics.
    fn verify_unobserved<H>(
        &self,
        headers: &H,
        body: &[u8],
        now: impl FnOnce() -> SystemTime,
    ) -> Result<Delivery, WebhookError>
    where
        H: RequestHeaders + ?Sized,
    {
        let (authentication, secret_id) = self.authenticate_with(headers, body, now)?;
        let event_header = text(headers, header::EVENT)?;
        let delivery_id = text(headers, header::DELIVERY)?
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let delivery = parse_delivery(body, delivery_id, authentication, secret_id)?;
        match event_header {
            Some(name) if name != delivery.event_name() => Err(WebhookError::EventMismatch {
                header: name.to_owned(),
                body: delivery.event_name().to_owned(),
            }),
            _ => Ok(delivery),
        }
    }

    /// Checks what can be checked before the body is read: that the request carries the
    /// headers of a scheme (or that none is needed, for
    /// [`insecure_unsigned`](Self::insecure_unsigned)), none of them repeated, and that a
    /// signature's timestamp lies within the tolerance.
    ///
    /// The axum and actix-web extractors call it before reading the body, so that a request
    /// nobody signed costs no memory and no time. Passing it proves nothing;
    /// [`verify`](Self::verify) still checks everything.
    #[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
    pub(crate) fn check_headers<H>(&self, headers: &H) -> Result<(), WebhookError>
    where
        H: RequestHeaders + ?Sized,
    {
        if matches!(&self.keys, Keys::Secrets(keys) if keys.is_empty()) {
            return Err(WebhookError::NoSecret);
        }
        let signature = single(headers, header::SIGNATURE)?;
        let timestamp = single(headers, header::SIGNATURE_TIMESTAMP)?;
        let token = single(headers, header::TOKEN)?;
        match (signature, timestamp) {
            (Some(_), Some(timestamp)) => self.check_timestamp(timestamp, SystemTime::now),
            (Some(_), None) => Err(WebhookError::MissingHeader {
                name: header::SIGNATURE_TIMESTAMP,
            }),
            (None, Some(_)) => Err(WebhookError::MissingHeader {
                name: header::SIGNATURE,
            }),
            (None, None) if token.is_some() || matches!(self.keys, Keys::Unsigned) => Ok(()),
            (None, None) => Err(WebhookError::Unsigned),
        }
    }

    /// Authenticates the request (reading the clock only if a timestamp is to be checked):
    /// the scheme, and the id of the secret that matched.
    fn authenticate_with<H>(
        &self,
        headers: &H,
        body: &[u8],
        now: impl FnOnce() -> SystemTime,
    ) -> Result<(Authentication, Option<SecretId>), WebhookError>
    where
        H: RequestHeaders + ?Sized,
    {
        if body.len() > self.max_body_size {
            return Err(WebhookError::BodyTooLarge {
                limit: self.max_body_size,
            });
        }
        let keys = match &self.keys {
            Keys::Unsigned => &[][..],
            Keys::Secrets(keys) if keys.is_empty() => return Err(WebhookError::NoSecret),
            Keys::Secrets(keys) => &keys[..],
        };
        let signature = single(headers, header::SIGNATURE)?;
        let timestamp = single(headers, header::SIGNATURE_TIMESTAMP)?;
        if signature.is_some() || timestamp.is_some() {
            let signature = signature.ok_or(WebhookError::MissingHeader {
                name: header::SIGNATURE,
            })?;
            let timestamp = timestamp.ok_or(WebhookError::MissingHeader {
                name: header::SIGNATURE_TIMESTAMP,
            })?;
            self.check_timestamp(timestamp, now)?;
            let signature =
                decode_signature(signature).map_err(|reason| WebhookError::MalformedHeader {
                    name: header::SIGNATURE,
                    reason,
                })?;
            let matched = keys.iter().find(|key| {
                let mut mac = key.mac.clone();
                mac.update(timestamp);
                mac.update(b"-");
                mac.update(body);
                mac.verify_slice(&signature).is_ok()
            });
            return match matched {
                Some(key) => Ok((Authentication::Signature, Some(key.id))),
                None => Err(WebhookError::BadSignature),
            };
        }
        match single(headers, header::TOKEN)? {
            None if matches!(self.keys, Keys::Unsigned) => Ok((Authentication::Unsigned, None)),
            None => Err(WebhookError::Unsigned),
            Some([]) => Err(WebhookError::MalformedHeader {
                name: header::TOKEN,
                reason: "it is empty",
            }),
            Some(token) => {
                // Compare digests, so that neither the content nor the length of the secret
                // shows in the time taken.
                let digest: [u8; 32] = Sha256::digest(token).into();
                let (matched, id) =
                    keys.iter()
                        .fold((subtle::Choice::from(0), 0u64), |(matched, id), key| {
                            let this = key.token_digest.ct_eq(&digest);
                            let key_id = u64::from_le_bytes(key.id);
                            (matched | this, u64::conditional_select(&id, &key_id, this))
                        });
                if bool::from(matched) {
                    Ok((Authentication::Token, Some(id.to_le_bytes())))
                } else {
                    Err(WebhookError::BadToken)
                }
            }
        }
    }

    /// Parses the timestamp header and checks it against the tolerance.
    fn check_timestamp(
        &self,
        timestamp: &[u8],
        now: impl FnOnce() -> SystemTime,
    ) -> Result<(), WebhookError> {
        let malformed = |reason| WebhookError::MalformedHeader {
            name: header::SIGNATURE_TIMESTAMP,
            reason,
        };
        if timestamp.is_empty() {
            return Err(malformed("it is empty"));
        }
        if !timestamp.iter().all(u8::is_ascii_digit) {
            return Err(malformed("it is not a decimal number of milliseconds"));
        }
        // All ASCII digits, so valid UTF-8; more than 19 digits overflows.
        let millis: i128 = match std::str::from_utf8(timestamp)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
        {
            Some(millis) => millis.into(),
            None => return Err(malformed("it is too large")),
        };
        let Some(tolerance) = self.tolerance else {
            return Ok(());
        };
        let now_ms: i128 = match now().duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_millis() as i128,
            Err(before) => -(before.duration().as_millis() as i128),
        };
        let tolerance_ms = tolerance.as_millis() as i128;
        let behind = now_ms - millis;
        if behind.abs() <= tolerance_ms {
            return Ok(());
        }
        if (now_ms - millis * 1000).abs() <= tolerance_ms {
            return Err(malformed(
                "it looks like Unix seconds; Buzz-In sends milliseconds",
            ));
        }
        let skew = Duration::from_millis(behind.unsigned_abs().min(u64::MAX as u128) as u64);
        if behind > 0 {
            Err(WebhookError::TimestampTooOld { skew, tolerance })
        } else {
            Err(WebhookError::TimestampInFuture { skew, tolerance })
        }
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secrets = match &self.keys {
            Keys::Unsigned => "none: insecure_unsigned".to_owned(),
            Keys::Secrets(keys) => format!("{} (redacted)", keys.len()),
        };
        f.debug_struct("Verifier")
            .field("secrets", &format_args!("{secrets}"))
            .field("tolerance", &self.tolerance)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

/// The secrets a verifier checks against, or none at all (shared: cloning a verifier is cheap).
#[derive(Clone)]
enum Keys {
    Secrets(std::sync::Arc<[Key]>),
    Unsigned,
}

/// One secret, kept only in the two forms the checks need.
#[derive(Clone)]
struct Key {
    /// HMAC-SHA256 state already keyed with the secret (holds no copy of the secret itself).
    mac: Hmac<Sha256>,
    /// SHA-256 of the secret, to compare a token against in constant time.
    token_digest: [u8; 32],
    /// The secret's id, the scope of the dedup keys of the deliveries it verifies.
    id: SecretId,
}

/// The first 8 bytes of SHA-256 over a fixed label and the secret: one-way, and unlike the
/// token digest (which a token's sender can compute) never compared against anything sent.
fn secret_id(secret: &[u8]) -> SecretId {
    let digest = Sha256::new()
        .chain_update(b"buzzin dedup-key scope\0")
        .chain_update(secret.trim_ascii())
        .finalize();
    let mut id = SecretId::default();
    id.copy_from_slice(&digest[..8]);
    id
}

/// The value of a header that must not be repeated, without surrounding spaces or tabs.
fn single<'a, H: RequestHeaders + ?Sized>(
    headers: &'a H,
    name: &'static str,
) -> Result<Option<&'a [u8]>, WebhookError> {
    match lookup(headers, name) {
        Lookup::Absent => Ok(None),
        Lookup::One(value) => Ok(Some(value.trim_ascii())),
        Lookup::Repeated => Err(WebhookError::MalformedHeader {
            name,
            reason: "it is sent more than once",
        }),
    }
}

/// The text of a header that must not be repeated, without surrounding spaces or tabs.
fn text<'a, H: RequestHeaders + ?Sized>(
    headers: &'a H,
    name: &'static str,
) -> Result<Option<&'a str>, WebhookError> {
    match single(headers, name)? {
        None => Ok(None),
        Some(value) => {
            std::str::from_utf8(value)
                .map(Some)
                .map_err(|_| WebhookError::MalformedHeader {
                    name,
                    reason: "it is not UTF-8 text",
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::sign;

    #[test]
    fn check_headers_refuses_a_request_without_a_scheme_before_the_body() {
        let verifier = Verifier::new("whsec-example");
        let anonymous = [("content-type", "application/json")];
        assert!(matches!(
            verifier.check_headers(&anonymous),
            Err(WebhookError::Unsigned)
        ));
        assert!(verifier
            .check_headers(&[("x-buzzin-token", "a guess")])
            .is_ok());
    }

    const SECRET: &str = "whsec_test_123";
    const BODY: &[u8] =
        br#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.expired","data":{}}"#;

    fn signed(signature: &str, timestamp: &str) -> Vec<(String, String)> {
        vec![
            (header::SIGNATURE.to_owned(), signature.to_owned()),
            (header::SIGNATURE_TIMESTAMP.to_owned(), timestamp.to_owned()),
        ]
    }

    /// The header pre-check never refuses what `verify` accepts, and refuses the
    /// requests it can judge without the body with the error `verify` would give.
    #[test]
    fn check_headers_agrees_with_verify() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let v = Verifier::new(SECRET);
        let good = signed(&sign(SECRET, now, BODY), &now.to_string());
        assert!(v.verify(&good, BODY).is_ok());
        assert!(v.check_headers(&good).is_ok());
        let token = [(header::TOKEN.to_owned(), SECRET.to_owned())];
        assert!(v.verify(&token, BODY).is_ok());
        assert!(v.check_headers(&token).is_ok());
        let none: [(&str, &str); 0] = [];
        assert!(Verifier::insecure_unsigned().check_headers(&none).is_ok());

        let stale = signed(
            &sign(SECRET, now - 3_600_000, BODY),
            &(now - 3_600_000).to_string(),
        );
        let half = vec![(header::SIGNATURE.to_owned(), "0".repeat(64))];
        let repeated = vec![
            (header::TOKEN.to_owned(), SECRET.to_owned()),
            (header::TOKEN.to_owned(), SECRET.to_owned()),
        ];
        for headers in [&stale, &half, &repeated, &vec![]] {
            let early = v.check_headers(headers).unwrap_err();
            let full = v.verify(headers, BODY).unwrap_err();
            // The same error (the skew of a stale timestamp may differ by a millisecond).
            assert_eq!(
                std::mem::discriminant(&early),
                std::mem::discriminant(&full),
                "{early} / {full}"
            );
            assert!(early.is_authentication_failure());
        }
        assert!(matches!(
            Verifier::new("").check_headers(&token),
            Err(WebhookError::NoSecret)
        ));
    }
}
