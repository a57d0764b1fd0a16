//! An error answer from Buzz-In ([`ApiError`]), and a 2xx body that could not be decoded
//! ([`DecodeError`]): what they keep of the body, and how they show it on one line.

use std::error::Error as StdError;
use std::fmt;

use http::StatusCode;

use crate::models::{ErrorName, FeathersError};

/// A non-2xx response from Buzz-In: its status, the Feathers error fields when the body has them,
/// otherwise the first bytes of the body.
pub struct ApiError {
    inner: Box<ApiErrorInner>,
}

struct ApiErrorInner {
    call: String,
    request: String,
    record: Option<&'static str>,
    status: StatusCode,
    feathers: Option<FeathersError>,
    snippet: Option<String>,
    earlier_attempt_may_have_created: bool,
}

fn is_feathers(body: &FeathersError) -> bool {
    body.name.is_some() || body.message.is_some() || body.code.is_some()
}

impl ApiError {
    /// Builds the error of a non-2xx response from its status and body.
    pub(crate) fn from_response(request: String, status: StatusCode, body: &[u8]) -> Self {
        let feathers = serde_json::from_slice::<FeathersError>(body)
            .ok()
            .filter(is_feathers);
        let snippet = match feathers {
            Some(_) => None,
            None => Some(snippet(body)),
        };
        ApiError {
            inner: Box::new(ApiErrorInner {
                call: String::new(),
                request,
                record: None,
                status,
                feathers,
                snippet,
                earlier_attempt_may_have_created: false,
            }),
        }
    }

    /// Names the SDK call the response answered, and the kind of record its id names.
    pub(crate) fn for_call(mut self, call: String, record: Option<&'static str>) -> Self {
        self.inner.call = call;
        self.inner.record = record;
        self
    }

    pub(crate) fn mark_earlier_attempt_may_have_created(&mut self) {
        self.inner.earlier_attempt_may_have_created = true;
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// `METHOD /path` of the request that failed.
    pub fn request(&self) -> &str {
        &self.inner.request
    }

    /// The SDK call that failed, as the caller wrote it: `passes().submit("66f0…")`.
    pub fn call(&self) -> &str {
        &self.inner.call
    }

    /// The kind of record the call's id names (`"permit"`, `"contractor"`,
    /// `"property manager"`), for a call on one record; `None` for a create, a list or a raw
    /// request.
    pub fn record_kind(&self) -> Option<&'static str> {
        self.inner.record
    }

    /// The Feathers error body, when the response had one (`name`, `message` or `code`).
    pub fn feathers(&self) -> Option<&FeathersError> {
        self.inner.feathers.as_ref()
    }

    /// The Feathers error `name` ([`ErrorName::BadRequest`], [`ErrorName::NotFound`], …), if
    /// the body had one.
    pub fn name(&self) -> Option<&ErrorName> {
        self.inner.feathers.as_ref()?.name.as_ref()
    }

    /// The Feathers error `message`, if the body had one. Show it to people; never match on it.
    pub fn message(&self) -> Option<&str> {
        self.inner.feathers.as_ref()?.message.as_deref()
    }

    /// The Feathers error `code` (normally the HTTP status), if the body had one.
    pub fn code(&self) -> Option<i64> {
        self.inner.feathers.as_ref()?.code
    }

    /// The Feathers error `className` (`"bad-request"`, …), if the body had one.
    pub fn class_name(&self) -> Option<&str> {
        self.inner.feathers.as_ref()?.class_name.as_deref()
    }

    /// The Feathers error `data`, if the body had one.
    pub fn data(&self) -> Option<&serde_json::Value> {
        self.inner.feathers.as_ref()?.data.as_ref()
    }

    /// The Feathers error `errors` (per-field validation errors), if the body had them.
    pub fn errors(&self) -> Option<&serde_json::Value> {
        self.inner.feathers.as_ref()?.errors.as_ref()
    }

    /// The first bytes of the body (at most 200 characters, on one line) when it was not a
    /// Feathers error; `Some("")` for an empty body.
    pub fn body_snippet(&self) -> Option<&str> {
        self.inner.snippet.as_deref()
    }

    /// `true` when this is a 409 to a create that was re-sent after a timeout or a 5xx: the
    /// earlier attempt may have created the record, so look it up before treating it as a
    /// genuine duplicate.
    pub fn may_have_been_created_by_earlier_attempt(&self) -> bool {
        self.inner.earlier_attempt_may_have_created
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if !inner.call.is_empty() {
            write!(f, "{}: ", inner.call)?;
        }
        write!(f, "{} returned {}", inner.request, inner.status)?;
        if let (StatusCode::NOT_FOUND, Some(kind)) = (inner.status, inner.record) {
            write!(f, " (no such {kind})")?;
        }
        if let Some(body) = &inner.feathers {
            if let Some(name) = &body.name {
                write!(f, ": {}", one_line(name.as_str(), 80))?;
            }
            if let Some(message) = &body.message {
                let sep = if body.name.is_some() { " - " } else { ": " };
                write!(f, "{sep}{}", one_line(message, 200))?;
            }
        } else if let Some(snippet) = &inner.snippet {
            if snippet.is_empty() {
                f.write_str(" with an empty body")?;
            } else {
                write!(f, ", body: {snippet}")?;
            }
        }
        if inner.earlier_attempt_may_have_created {
            f.write_str(
                " (this create was re-sent after a timeout or server error: \
                 the earlier attempt may have created the record)",
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut d = f.debug_struct("ApiError");
        d.field("call", &inner.call)
            .field("request", &inner.request)
            .field("status", &inner.status);
        if let Some(kind) = inner.record {
            d.field("record_kind", &kind);
        }
        if let Some(body) = &inner.feathers {
            d.field("feathers", body);
        }
        if let Some(snippet) = &inner.snippet {
            d.field("body_snippet", snippet);
        }
        if inner.earlier_attempt_may_have_created {
            d.field("earlier_attempt_may_have_created", &true);
        }
        d.finish()
    }
}

/// The details of an [`Error::Decode`](crate::Error::Decode): a 2xx body that is not what the operation returns.
#[derive(Debug)]
pub struct DecodeError {
    call: String,
    request: String,
    status: StatusCode,
    message: String,
    snippet: String,
}

impl DecodeError {
    pub(crate) fn new(
        call: String,
        request: String,
        status: StatusCode,
        err: &serde_json::Error,
        body: &[u8],
    ) -> Self {
        DecodeError {
            call,
            request,
            status,
            message: err.to_string(),
            snippet: snippet(body),
        }
    }

    /// `METHOD /path` of the request.
    pub fn request(&self) -> &str {
        &self.request
    }

    /// The SDK call, as the caller wrote it: `permits().get("66f0…")`.
    pub fn call(&self) -> &str {
        &self.call
    }

    /// The (2xx) status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What serde could not parse, with the line and column.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The first bytes of the body, on one line.
    pub fn body_snippet(&self) -> &str {
        &self.snippet
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} returned {} with a body that could not be decoded ({}), body: {}",
            self.call, self.request, self.status, self.message, self.snippet
        )
    }
}

impl StdError for DecodeError {}

/// The `Location` of a redirect, on one line and bounded.
pub(crate) fn location_text(value: &[u8]) -> String {
    one_line(&String::from_utf8_lossy(value), 200)
}

/// At most 200 characters of `body`, lossily decoded, whitespace runs folded into one space.
fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(1024)];
    one_line(&String::from_utf8_lossy(head), 200)
}

/// `text` on one line (whitespace runs folded into one space), at most `max_chars` long.
pub(crate) fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 3));
    let mut count = 0;
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        if count == max_chars {
            out.push('…');
            return out;
        }
        last_space = c == ' ';
        out.push(c);
        count += 1;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feathers_body_is_kept_and_displayed_on_one_line() {
        let body = br#"{"name":"BadRequest","message":"Email or phone\nis required","code":400}"#;
        let e = ApiError::from_response("POST /visits".into(), StatusCode::BAD_REQUEST, body);
        assert_eq!(e.name(), Some(&ErrorName::BadRequest));
        assert_eq!(e.code(), Some(400));
        assert_eq!(e.body_snippet(), None);
        assert_eq!(
            e.to_string(),
            "POST /visits returned 400 Bad Request: BadRequest - Email or phone is required"
        );
    }

    #[test]
    fn html_body_becomes_a_short_snippet() {
        let body = format!("<html>\n  <body>{}</body></html>", "x".repeat(500));
        let e = ApiError::from_response(
            "GET /events".into(),
            StatusCode::BAD_GATEWAY,
            body.as_bytes(),
        );
        let s = e.body_snippet().unwrap();
        assert!(s.starts_with("<html> <body>xxx"), "{s}");
        assert_eq!(s.chars().count(), 201);
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn json_without_feathers_fields_is_a_snippet() {
        let e = ApiError::from_response(
            "GET /x".into(),
            StatusCode::BAD_REQUEST,
            br#"{"error":"no"}"#,
        );
        assert_eq!(e.name(), None);
        assert_eq!(e.body_snippet(), Some(r#"{"error":"no"}"#));
    }
}
