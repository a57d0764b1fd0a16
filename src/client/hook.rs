//! Your own headers: [`ClientBuilder::default_header`](super::ClientBuilder::default_header) and
//! the per-attempt [`AttemptHook`].
//!
//! A hook runs inside the client's one retry loop and cannot break its protocol: it adds
//! headers to an attempt and observes the status of the answer, nothing more. It never sees
//! the API key (the key is set after the hook, in a header the hook may not add), cannot make
//! the client follow a redirect (a 3xx is still [`Error::Redirected`](crate::Error::Redirected))
//! and cannot change whether, or how often, an operation is re-sent.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use crate::Error;

/// Called on every attempt of every call of a client: before it is sent, to add headers, and
/// when its answer's status is known. Set with
/// [`ClientBuilder::attempt_hook`](super::ClientBuilder::attempt_hook).
///
/// Both methods run on the task of the call, between the attempt's other steps: keep them
/// short and never block.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use buzzin::client::{AttemptHook, AttemptRequest, AttemptResponse};
/// use buzzin::reqwest::header::HeaderValue;
///
/// /// A correlation id on every attempt, and the ids of the answers that failed.
/// struct Correlate(AtomicU64);
///
/// impl AttemptHook for Correlate {
///     fn before_attempt(&self, attempt: &mut AttemptRequest<'_>) {
///         let n = self.0.fetch_add(1, Ordering::Relaxed);
///         let id = HeaderValue::from_str(&format!("gatehouse-{n}")).unwrap();
///         attempt.insert_header("x-correlation-id", id).unwrap();
///     }
///
///     fn after_attempt(&self, answer: &AttemptResponse<'_>) {
///         if !answer.status().is_success() {
///             eprintln!("{} attempt {}: {}", answer.operation(), answer.attempt(), answer.status());
///         }
///     }
/// }
///
/// let client = buzzin::Client::builder()
///     .api_key("bz_test_key")
///     .attempt_hook(Correlate(AtomicU64::new(0)))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), buzzin::Error>(())
/// ```
pub trait AttemptHook: Send + Sync + 'static {
    /// Before an attempt is sent: may add headers to it.
    fn before_attempt(&self, attempt: &mut AttemptRequest<'_>) {
        let _ = attempt;
    }

    /// When an attempt's answer has come (its status and headers; the body is not read yet).
    /// Not called when no answer came (a connection error, a timeout).
    fn after_attempt(&self, answer: &AttemptResponse<'_>) {
        let _ = answer;
    }
}

/// What an [`AttemptHook`] sees of an attempt before it is sent, and the headers it may add.
#[derive(Debug)]
pub struct AttemptRequest<'a> {
    pub(crate) operation: &'static str,
    pub(crate) method: &'a Method,
    pub(crate) attempt: u32,
    pub(crate) headers: &'a mut HeaderMap,
    /// The API key's header, which the hook may not add.
    pub(crate) auth: &'a HeaderName,
}

impl AttemptRequest<'_> {
    /// The spec's `operationId` of the call (`getPermit`), or `request` for a
    /// [`Client::request`](super::Client::request).
    pub fn operation(&self) -> &str {
        self.operation
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        self.method
    }

    /// Which attempt of the call this is, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The headers added so far by [`default_header`](super::ClientBuilder::default_header)
    /// and by this hook (never the API key, the user agent or the content type).
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// Adds a header to this attempt (replacing one of the same name set by a default header
    /// or earlier by the hook). Fails with [`Error::InvalidHeader`] for an invalid name and
    /// for a header the client sets itself: see
    /// [`ClientBuilder::default_header`](super::ClientBuilder::default_header).
    pub fn insert_header(
        &mut self,
        name: impl TryInto<HeaderName>,
        value: HeaderValue,
    ) -> Result<(), Error> {
        let name = name.try_into().map_err(|_| Error::InvalidHeader {
            name: None,
            reason: "is not a valid HTTP header name",
        })?;
        check_own_header(&name, Some(self.auth))?;
        self.headers.insert(name, value);
        Ok(())
    }
}

/// What an [`AttemptHook`] sees of an attempt's answer.
#[derive(Debug)]
pub struct AttemptResponse<'a> {
    pub(crate) operation: &'static str,
    pub(crate) method: &'a Method,
    pub(crate) attempt: u32,
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a HeaderMap,
}

impl AttemptResponse<'_> {
    /// The spec's `operationId` of the call (`getPermit`), or `request` for a raw request.
    pub fn operation(&self) -> &str {
        self.operation
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        self.method
    }

    /// Which attempt of the call this is, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers of the answer (a correlation id, a request id).
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }
}

/// Fails when `name` is a header the client sets itself or that would change the exchange:
/// the API key's header (`auth`, and `authorization` always), `proxy-authorization`,
/// `cookie`, `user-agent` (see [`app_name`](super::ClientBuilder::app_name)), `content-type`,
/// `content-length`, `transfer-encoding`, `host` and `connection`.
pub(crate) fn check_own_header(name: &HeaderName, auth: Option<&HeaderName>) -> Result<(), Error> {
    const OWN: [HeaderName; 9] = [
        header::AUTHORIZATION,
        header::PROXY_AUTHORIZATION,
        header::COOKIE,
        header::USER_AGENT,
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::HOST,
        header::CONNECTION,
    ];
    if OWN.contains(name) || auth == Some(name) || name.as_str() == "x-api-key" {
        return Err(Error::InvalidHeader {
            name: Some(name.as_str().to_owned()),
            reason: "is set by the client itself and cannot be set or replaced",
        });
    }
    Ok(())
}
