//! The HMAC scheme: signing `<timestamp>-<body>`, and the encodings a signature header may use.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signs a body as Buzz-In does: lowercase hex of HMAC-SHA256 keyed with `secret` over
/// `<timestamp_ms>-<body>`.
///
/// For tests and simulators: send the result as `buzzin-signature` and `timestamp_ms` (Unix time
/// in milliseconds, written in decimal) as `buzzin-signature-timestamp`.
///
/// Assumed: the documentation does not state the signature's encoding. `sign` writes lowercase
/// hex, what a Node backend's `digest("hex")` emits; the verifier also accepts uppercase hex and
/// standard base64.
///
/// ```
/// use buzzin::webhooks::{sign, Authentication, Verifier};
///
/// let body = br#"{"id":"1","event":"passes.permits.expired","data":{}}"#;
/// let signature = sign("whsec-example", 1_751_364_000_000, body);
/// assert_eq!(signature.len(), 64);
///
/// let headers = [
///     ("buzzin-signature", signature.as_str()),
///     ("buzzin-signature-timestamp", "1751364000000"),
/// ];
/// let verifier = Verifier::new("whsec-example").accept_any_timestamp();
/// let delivery = verifier.verify(&headers, body)?;
/// assert_eq!(delivery.authentication(), Authentication::Signature);
/// # Ok::<(), buzzin::webhooks::WebhookError>(())
/// ```
pub fn sign(secret: impl AsRef<[u8]>, timestamp_ms: u64, body: impl AsRef<[u8]>) -> String {
    let mut mac = new_mac(secret.as_ref());
    mac.update(timestamp_ms.to_string().as_bytes());
    mac.update(b"-");
    mac.update(body.as_ref());
    hex::encode(mac.finalize().into_bytes())
}

/// An HMAC-SHA256 keyed with `secret`.
pub(crate) fn new_mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts a key of any length.
    Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// Base64 as Buzz-In may send it: the standard alphabet, padded or not.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes a signature sent as hex (either case) or standard base64, which must be 32 bytes.
pub(crate) fn decode_signature(text: &[u8]) -> Result<[u8; 32], &'static str> {
    let mut out = [0u8; 32];
    match text.len() {
        0 => Err("it is empty"),
        64 => match hex::decode_to_slice(text, &mut out) {
            Ok(()) => Ok(out),
            Err(_) => Err("64 characters long but not hexadecimal"),
        },
        43 | 44 => {
            let mut buf = [0u8; 48];
            match BASE64.decode_slice(text, &mut buf) {
                Ok(32) => {
                    out.copy_from_slice(&buf[..32]);
                    Ok(out)
                }
                _ => Err("not 32 bytes of standard base64"),
            }
        }
        _ => Err("not 32 bytes written as 64 hexadecimal digits or 44 base64 characters"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_signature_with_nonzero_trailing_bits_is_rejected() {
        // 43 characters carry 258 bits; the last 2 must be zero or two encodings would verify.
        let canonical = BASE64.encode([0xffu8; 32]);
        assert_eq!(canonical.len(), 44);
        let unpadded = canonical.trim_end_matches('=');
        assert_eq!(decode_signature(unpadded.as_bytes()), Ok([0xff; 32]));
        let mut altered = unpadded.as_bytes().to_vec();
        *altered.last_mut().unwrap() = b'/'; // 0b111111: non-zero trailing bits
        assert!(decode_signature(&altered).is_err());
    }

    #[test]
    fn a_48_byte_base64_or_hex_value_is_not_a_signature() {
        assert!(decode_signature(BASE64.encode([1u8; 33]).as_bytes()).is_err());
        assert!(decode_signature(hex::encode([1u8; 31]).as_bytes()).is_err());
    }
}
