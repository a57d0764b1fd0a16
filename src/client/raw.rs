//! The raw escape hatch: any method and path, a JSON body, a typed or untyped answer.

use std::fmt;

use http::header::{HeaderName, HeaderValue};
use http::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::call::{Call, CallArg, CallName};
use super::retry::RetryClass;
use super::{CallOptions, Client};
use crate::Error;

/// A request to any path of the API, built by [`Client::request`]; finish with
/// [`send`](RawRequest::send).
///
/// ```no_run
/// # async fn run(client: buzzin::Client) -> Result<(), buzzin::Error> {
/// use buzzin::reqwest::Method;
/// use serde_json::{json, Value};
///
/// let answer: Value = client
///     .request(Method::PATCH, "/passes/66f0a1b2c3d4e5f600000abc")
///     .json(&json!({ "action": "revoke", "reason": "Permit cancelled by DAMAC." }))
///     .idempotent()
///     .send()
///     .await?;
/// # let _ = answer;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct RawRequest {
    client: Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Result<Vec<u8>, String>>,
    headers: Vec<(HeaderName, HeaderValue)>,
    bad_header: Option<String>,
    idempotent: bool,
    options: CallOptions,
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values and the body may hold secrets: only names and sizes are shown.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &names)
            .field(
                "body_len",
                &self.body.as_ref().map(|b| b.as_ref().map_or(0, Vec::len)),
            )
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl RawRequest {
    pub(crate) fn new(client: Client, method: Method, path: String) -> Self {
        RawRequest {
            client,
            method,
            path,
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            bad_header: None,
            idempotent: false,
            options: CallOptions::default(),
        }
    }

    /// Sends `body` as JSON (`content-type: application/json`).
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }

    /// Adds a query parameter (percent-encoded): `.query("$limit", "10")`.
    pub fn query(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Adds a header. The API key and user agent headers are set by the client and win.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => self.headers.push((name, value)),
            // The value is never echoed: it may be a secret.
            _ => self.bad_header = Some(name.to_owned()),
        }
        self
    }

    /// Marks the request as safe to repeat: retried like a read (on timeouts, broken
    /// connections, 408, 429 and 5xx). Without it, only a `GET`, `HEAD` or `OPTIONS` is;
    /// other methods are re-sent only after a connect error.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Sends the request and decodes a 2xx body as `T`. Use [`serde_json::Value`] for an
    /// untyped answer; an empty body decodes as `null` (or `{}` for a record type).
    pub async fn send<T: DeserializeOwned>(self) -> Result<T, Error> {
        let call = self.to_call()?;
        self.client.execute(call).await
    }

    /// [`send`](Self::send) for code that has no async runtime (feature `blocking`). Inside
    /// an async runtime it answers [`Error::BlockingInsideRuntime`] rather than blocking it.
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn send_blocking<T: DeserializeOwned>(self) -> Result<T, Error> {
        super::blocking::run(self.send())
    }

    fn to_call(&self) -> Result<Call, Error> {
        if let Some(name) = &self.bad_header {
            return Err(Error::invalid(
                "header",
                format!("`{name}` is not a valid header name or has an invalid value"),
            )
            .in_call("request"));
        }
        if !self.path.starts_with('/') {
            return Err(
                Error::invalid("path", format!("`{}` must start with `/`", self.path))
                    .in_call("request"),
            );
        }
        let (path, query) = match self.path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (self.path.as_str(), None),
        };
        let mut url = self.client.base_url().clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url.set_query(query);
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let class = if self.idempotent
            || matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            RetryClass::Safe
        } else {
            RetryClass::Never
        };
        let name = CallName {
            call: "request",
            // The path without its query: a query value may be a secret.
            arg: CallArg::Text(format!("{}, {:?}", self.method, path).into()),
            record: None,
        };
        let mut call =
            Call::new(name, self.method.clone(), url, class).with_options(self.options.clone());
        call.headers = self.headers.clone();
        match &self.body {
            None => {}
            Some(Ok(bytes)) => call.body = Some(bytes.clone().into()),
            Some(Err(e)) => {
                return Err(
                    Error::invalid("body", format!("cannot be written as JSON: {e}"))
                        .in_call("request"),
                )
            }
        }
        Ok(call)
    }
}

operation_builder!(@settings RawRequest);

/// `request.await` is `request.send::<serde_json::Value>().await`; call
/// [`send`](RawRequest::send) for a typed answer.
impl std::future::IntoFuture for RawRequest {
    type Output = Result<serde_json::Value, Error>;
    type IntoFuture = super::CallFuture<serde_json::Value>;

    fn into_future(self) -> Self::IntoFuture {
        super::CallFuture::new(self.send())
    }
}
