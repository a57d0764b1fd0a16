//! What the client knows of an operation: the types the generated table
//! (`crate::generated::operations`, from the spec's `paths`) is written in.

use super::retry::RetryClass;

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
}

/// One operation of the Buzz-In API.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    /// The spec's `operationId` (`getPermit`).
    pub id: &'static str,
    /// `{method} {path}` (`GET /permits/{id}`): the name of an attempt's span, as the
    /// OpenTelemetry HTTP client conventions name it (`{method} {url.template}`).
    pub span_name: &'static str,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path, with `{id}` where the record's id goes.
    pub path: &'static str,
    /// The retry class of the operation.
    pub retry: RetryClass,
    /// Overrides of `retry` by the request body's `action`.
    pub retry_by_action: &'static [(&'static str, RetryClass)],
    /// Whether the call may go without the API key (the spec's `security` allows none).
    pub key_optional: bool,
}

impl Operation {
    /// The retry class of this operation for a body whose `action` is `action`.
    pub(crate) fn retry_for(&self, action: Option<&str>) -> RetryClass {
        action
            .and_then(|a| self.retry_by_action.iter().find(|(name, _)| *name == a))
            .map_or(self.retry, |(_, class)| *class)
    }
}
