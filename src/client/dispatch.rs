//! The one way an operation builder sends: a [`Target`], a [`RequestBody`] and the call's options.
//!
//! Every builder's `send()` names its target and hands over its body; the checks that run
//! before anything is sent (extra fields, the record's id, the body's own rules), the retry
//! class (by the body's `action`), the URL, the JSON and the per-call settings are applied here,
//! once, for every operation.

use serde::de::DeserializeOwned;

use super::call::{Call, CallArg, CallName};
use super::validate::{check_extras, require_id, RequestBody};
use super::{CallOptions, Client, Created};
use crate::models::Record;
use crate::operations::{HttpMethod, Operation};
use crate::Error;

/// What a call acts on: the spec's operation, and the record whose id goes in place of `{id}`
/// in the path (with the kind of record it is, for a 404). The SDK call that makes it
/// (`permits().create`) is the table's name for the operation and the body's `action`.
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    op: &'static Operation,
    record: Option<(&'a str, &'static str)>,
    query: Vec<(String, String)>,
    /// A name of the call other than the table's (a page of a stream).
    call: Option<&'static str>,
}

impl<'a> Target<'a> {
    /// The operation `op` on no record.
    pub(crate) fn new(op: &'static Operation) -> Self {
        Target {
            op,
            record: None,
            query: Vec::new(),
            call: None,
        }
    }

    /// The operation `op` on the record `id`, of kind `R`.
    pub(crate) fn on<R: Record>(op: &'static Operation, id: &'a str) -> Self {
        Target {
            record: Some((id, R::KIND)),
            ..Target::new(op)
        }
    }

    /// Names the call `call` rather than by the table.
    pub(crate) fn named(self, call: &'static str) -> Self {
        Target {
            call: Some(call),
            ..self
        }
    }

    /// Adds a query parameter (its name as the spec spells it).
    pub(crate) fn query(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.query.push((name.into(), value.into()));
    }
}

impl Client {
    /// Checks, sends and decodes a call of `target` with `body` (`&()` for none).
    pub(crate) async fn dispatch<B, T>(
        &self,
        target: Target<'_>,
        body: &B,
        options: CallOptions,
    ) -> Result<T, Error>
    where
        B: RequestBody + ?Sized,
        T: DeserializeOwned,
    {
        let call = self.prepare(target, body, options)?;
        self.execute(call).await
    }

    /// [`dispatch`](Self::dispatch) for a create: answers the new record with its id.
    pub(crate) async fn dispatch_create<B, R>(
        &self,
        target: Target<'_>,
        body: &B,
        options: CallOptions,
    ) -> Result<Created<R>, Error>
    where
        B: RequestBody + ?Sized,
        R: Record + DeserializeOwned,
    {
        let call = self.prepare(target, body, options)?;
        self.execute_created(call).await
    }

    /// The checks before anything is sent, then the call itself: URL, retry class, body and
    /// settings. A check that fails names the SDK call.
    fn prepare<B>(&self, target: Target<'_>, body: &B, options: CallOptions) -> Result<Call, Error>
    where
        B: RequestBody + ?Sized,
    {
        let call_name = (target.call).unwrap_or_else(|| target.op.call_name(body.action()));
        let in_call = |e: Error| e.in_call(call_name);
        if let Some(extra) = body.extra() {
            check_extras(extra).map_err(in_call)?;
        }
        if let Some((id, _)) = target.record {
            require_id("id", id).map_err(in_call)?;
        }
        body.validate().map_err(in_call)?;
        let name = CallName {
            call: call_name,
            arg: match target.record {
                Some((id, _)) => CallArg::Id(id.into()),
                None if B::SENT => CallArg::Body,
                None => CallArg::None,
            },
            record: target.record.map(|(_, kind)| kind),
        };
        let class = target.op.retry_for(body.action());
        let id = target.record.map(|(id, _)| id);
        let mut call = Call::new(name, method(target.op), self.url(target.op, id), class)
            .of_operation(target.op);
        if !target.query.is_empty() {
            let mut pairs = call.url.query_pairs_mut();
            for (name, value) in &target.query {
                pairs.append_pair(name, value);
            }
        }
        if B::SENT {
            call = call.json(body)?;
        }
        Ok(call.with_options(options))
    }

    /// The URL of `op`: the base URL, then the operation's path with `id` (percent-encoded, one
    /// segment) in place of `{id}`.
    fn url(&self, op: &Operation, id: Option<&str>) -> url::Url {
        let mut url = self.inner.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            for segment in op.path.split('/').filter(|s| !s.is_empty()) {
                path.push(if segment == "{id}" {
                    id.unwrap_or_default()
                } else {
                    segment
                });
            }
        }
        url
    }
}

/// The HTTP method of `op`.
fn method(op: &Operation) -> http::Method {
    match op.method {
        HttpMethod::Get => http::Method::GET,
        HttpMethod::Post => http::Method::POST,
        HttpMethod::Patch => http::Method::PATCH,
    }
}
