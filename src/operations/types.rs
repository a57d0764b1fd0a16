//! The types the generated operations table is written in: an operation, its method, its retry
//! class and the SDK calls that send it.

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
}

impl HttpMethod {
    /// The method as HTTP spells it (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Patch => "PATCH",
        }
    }
}

/// Whether an operation may be sent again after an attempt that may have reached the server
/// (the spec's `x-buzzin-retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Repeatable: the same request twice has the effect of once.
    Safe,
    /// The server rejects a duplicate (409), so a repeat cannot create a second record.
    Dedup,
    /// A physical or non-repeatable effect: re-sent only when the request provably never left.
    Never,
}

/// A call of the SDK that sends an operation: its name and, when the call is one `action` of
/// the operation, that action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkCall {
    /// The request body's `action` this call sends, or `None` for a call without one.
    pub action: Option<&'static str>,
    /// The call as a user writes it (`permits().create`): the name of its span and metrics.
    pub name: &'static str,
}

/// One operation of the Buzz-In API.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
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
    /// The SDK calls that send the operation.
    pub calls: &'static [SdkCall],
    /// The names of its query parameters, as the spec spells them (`$limit`).
    pub query: &'static [&'static str],
}

impl Operation {
    /// The retry class of this operation for a body whose `action` is `action`.
    pub fn retry_for(&self, action: Option<&str>) -> RetryClass {
        action
            .and_then(|a| self.retry_by_action.iter().find(|(name, _)| *name == a))
            .map_or(self.retry, |(_, class)| *class)
    }

    /// The name of the SDK call that sends this operation with `action`: the call of that
    /// action, else the call without one, else the operation's id.
    pub fn call_name(&self, action: Option<&str>) -> &'static str {
        let of = |action: Option<&str>| self.calls.iter().find(|c| c.action == action);
        action
            .and_then(|a| of(Some(a)))
            .or_else(|| of(None))
            .map_or(self.id, |call| call.name)
    }
}
