//! A call ready to send: the SDK call it comes from, its method, URL, body and settings.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::Method;
use url::Url;

use super::retry::RetryClass;
use super::CallOptions;
use crate::operations::Operation;
use crate::Error;

/// The SDK call a request comes from, as the user wrote it (`passes().submit("66f0…")`), and
/// the kind of record its id names, for errors.
#[derive(Debug, Clone)]
pub(crate) struct CallName {
    /// The accessor and the operation: `passes().submit`.
    pub(crate) call: &'static str,
    /// What goes between the parentheses.
    pub(crate) arg: CallArg,
    /// The kind of record the id names (`"permit"`), for a 404.
    pub(crate) record: Option<&'static str>,
}

/// The argument of a [`CallName`], as shown.
#[derive(Debug, Clone)]
pub(crate) enum CallArg {
    /// `()`: a call without arguments.
    None,
    /// `(…)`: a call whose arguments are a request body (never shown: it may hold a secret).
    Body,
    /// `("66f0…")`: the record's id.
    Id(Box<str>),
    /// Shown as is (the raw request's method and path).
    Text(Box<str>),
}

impl std::fmt::Display for CallName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.arg {
            CallArg::None => write!(f, "{}()", self.call),
            CallArg::Body => write!(f, "{}(…)", self.call),
            CallArg::Id(id) => {
                // Bounded, one line, quotes escaped: an id is the caller's text.
                let shown: String = id.chars().take(64).collect();
                let more = if shown.len() < id.len() { "…" } else { "" };
                write!(f, "{}({shown:?}{more})", self.call)
            }
            CallArg::Text(text) => write!(f, "{}({text})", self.call),
        }
    }
}

/// A request ready to send, possibly several times.
pub(crate) struct Call {
    pub(crate) name: CallName,
    /// The spec's `operationId`, or `request` for a raw request.
    pub(crate) operation: &'static str,
    /// `{method} {url.template}` (`GET /permits/{id}`), when the operation is the spec's.
    pub(crate) span_name: Option<&'static str>,
    /// The path with `{id}` in place of the id, when the operation is the spec's.
    pub(crate) url_template: Option<&'static str>,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<Bytes>,
    pub(crate) class: RetryClass,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) options: CallOptions,
    /// Whether the call may be sent by a client built without an API key.
    pub(crate) key_optional: bool,
}

impl Call {
    pub(crate) fn new(name: CallName, method: Method, url: Url, class: RetryClass) -> Self {
        Call {
            name,
            operation: "request",
            span_name: None,
            url_template: None,
            method,
            url,
            body: None,
            class,
            headers: Vec::new(),
            options: CallOptions::default(),
            key_optional: false,
        }
    }

    /// Names the spec's operation the call makes, for spans, metrics and hooks.
    pub(crate) fn of_operation(mut self, op: &Operation) -> Self {
        self.operation = op.id;
        self.span_name = Some(op.span_name);
        self.url_template = Some(op.path);
        self.key_optional = op.key_optional;
        self
    }

    /// Applies a builder's per-call settings.
    pub(crate) fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets a JSON body.
    pub(crate) fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Result<Self, Error> {
        // Room for a typical request body at once (serde_json's own start is 128 bytes, so a
        // permit request grew three times).
        let mut bytes = Vec::with_capacity(1024);
        serde_json::to_writer(&mut bytes, body).map_err(|e| {
            Error::invalid("body", format!("cannot be written as JSON: {e}"))
                .in_call(self.name.call)
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// `METHOD /path`.
    pub(crate) fn route(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }

    /// The SDK call, then `METHOD /path`: `passes().submit("66f0…"): PATCH /passes/66f0…`.
    pub(crate) fn describe(&self) -> String {
        format!("{}: {} {}", self.name, self.method, self.url.path())
    }

    /// `host:port` of the request, for connection errors.
    pub(crate) fn endpoint(&self) -> Box<str> {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}").into(),
            None => host.into(),
        }
    }
}
