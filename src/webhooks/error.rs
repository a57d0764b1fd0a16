//! Why a webhook delivery was rejected.

use std::time::Duration;

/// Why a webhook delivery was rejected.
///
/// Messages name headers and describe what was wrong; they never contain a secret, a received
/// signature or a received token. [`is_authentication_failure`](Self::is_authentication_failure)
/// tells a "not from Buzz-In" rejection (answer 401) from a malformed body (answer 400).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The request carries neither a signature nor a token, and the verifier is not
    /// [`insecure_unsigned`](super::Verifier::insecure_unsigned).
    #[error("the request is not signed: it has neither a `buzzin-signature` nor an `x-buzzin-token` header")]
    Unsigned,
    /// A header the chosen scheme needs is absent (for example a signature without its
    /// timestamp).
    #[error("the `{name}` header is missing")]
    MissingHeader {
        /// The header's name, lowercase.
        name: &'static str,
    },
    /// A header is present but unusable: not ASCII, repeated, empty, or not in its format.
    #[error("the `{name}` header is malformed: {reason}")]
    MalformedHeader {
        /// The header's name, lowercase.
        name: &'static str,
        /// What is wrong with it (never the value itself).
        reason: &'static str,
    },
    /// The signature is well formed but matches none of the verifier's secrets: the body, the
    /// timestamp or the secret differs from what Buzz-In signed.
    #[error("the signature does not match the body, the timestamp and the secret")]
    BadSignature,
    /// The `x-buzzin-token` header matches none of the verifier's secrets.
    #[error("the `x-buzzin-token` header does not match the secret")]
    BadToken,
    /// The signature timestamp is older than the verifier's tolerance allows.
    #[error("the signature timestamp is {skew:?} old, more than the tolerance of {tolerance:?}")]
    TimestampTooOld {
        /// How far the timestamp lies behind the verifier's clock.
        skew: Duration,
        /// The verifier's tolerance.
        tolerance: Duration,
    },
    /// The signature timestamp lies further in the future than the verifier's tolerance allows.
    #[error("the signature timestamp is {skew:?} in the future, more than the tolerance of {tolerance:?}")]
    TimestampInFuture {
        /// How far the timestamp lies ahead of the verifier's clock.
        skew: Duration,
        /// The verifier's tolerance.
        tolerance: Duration,
    },
    /// The body is larger than the verifier's [`max_body_size`](super::Verifier::max_body_size).
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The verifier's limit, in bytes.
        limit: usize,
    },
    /// The verifier was built from empty secrets only, so it can verify nothing. An endpoint
    /// configured without a secret needs [`Verifier::insecure_unsigned`](super::Verifier::insecure_unsigned).
    #[error("the verifier has no non-empty secret (use Verifier::insecure_unsigned() for an endpoint without one)")]
    NoSecret,
    /// The `x-buzzin-event` header names another event than the body's `event` field.
    #[error("the `x-buzzin-event` header says `{header}` but the body's event is `{body}`")]
    EventMismatch {
        /// The `x-buzzin-event` header.
        header: String,
        /// The body's `event` field.
        body: String,
    },
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON but not a webhook envelope `{"id", "event", "communityId", "createdAt",
    /// "data"}` (not an object, `event` or `data` missing or repeated, a field of the wrong
    /// type).
    #[error("the body is not a Buzz-In webhook envelope: {0}")]
    NotEnvelope(#[source] serde_json::Error),
    /// The envelope names a known event, but its `data` does not have that event's shape (a
    /// field of the wrong type). Unknown fields and unknown enum values never cause this.
    #[error("the data of the `{event}` event does not have its shape: {source}")]
    InvalidData {
        /// The event's name.
        event: &'static str,
        /// What did not parse, and where.
        #[source]
        source: serde_json::Error,
    },
}

impl WebhookError {
    /// A short fixed name of the failure (`bad_signature`, `timestamp_too_old`, …), for spans
    /// and metrics: it never holds a header's value, a secret or the body.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::MissingHeader { .. } => "missing_header",
            Self::MalformedHeader { .. } => "malformed_header",
            Self::BadSignature => "bad_signature",
            Self::BadToken => "bad_token",
            Self::TimestampTooOld { .. } => "timestamp_too_old",
            Self::TimestampInFuture { .. } => "timestamp_in_future",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::NoSecret => "no_secret",
            Self::EventMismatch { .. } => "event_mismatch",
            Self::NotJson(_) => "not_json",
            Self::NotEnvelope(_) => "not_envelope",
            Self::InvalidData { .. } => "invalid_data",
        }
    }

    /// `true` when the request could not be shown to come from Buzz-In (a missing, malformed or
    /// wrong signature, token or timestamp): an HTTP receiver answers 401. `false` for an
    /// authentic request whose body is unusable (answer 400) and for [`WebhookError::NoSecret`],
    /// a configuration error of the receiver.
    pub fn is_authentication_failure(&self) -> bool {
        match self {
            Self::Unsigned
            | Self::MissingHeader { .. }
            | Self::BadSignature
            | Self::BadToken
            | Self::TimestampTooOld { .. }
            | Self::TimestampInFuture { .. } => true,
            Self::MalformedHeader { name, .. } => matches!(
                *name,
                super::header::SIGNATURE
                    | super::header::SIGNATURE_TIMESTAMP
                    | super::header::TOKEN
            ),
            Self::NoSecret
            | Self::BodyTooLarge { .. }
            | Self::EventMismatch { .. }
            | Self::NotJson(_)
            | Self::NotEnvelope(_)
            | Self::InvalidData { .. } => false,
        }
    }
}
