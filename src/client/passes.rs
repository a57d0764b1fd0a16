//! Actions on the QR pass of a permit: revoke, reissue, submit (`PATCH /passes/{id}`, where the
//! id is the permit's).

use serde_json::{Map, Value};

use super::{check_extras, require_id, CallOptions, Client};
use crate::generated::operations::UPDATE_PASS;
use crate::models::{Acknowledgement, PassAction, PermitId};
use crate::Error;

/// The pass actions; from [`Client::passes`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("PATCH")).and(matchers::path("/passes/66f0a1b2c3d4e5f600000abc"))
/// #     .and(matchers::body_json(serde_json::json!(
/// #         {"action": "revoke", "reason": "Permit cancelled by DAMAC."})))
/// #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
/// #     .expect(1).mount(&server).await;
/// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
/// client
///     .passes()
///     .revoke("66f0a1b2c3d4e5f600000abc")
///     .reason("Permit cancelled by DAMAC.")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
///
/// Retries follow the effect of each action: a revoke is repeatable and retried; a submit is
/// retried like a create; a reissue mints a new code, so it is re-sent only when the connection
/// could not even be made.
#[derive(Debug, Clone, Copy)]
pub struct Passes<'a> {
    client: &'a Client,
}

impl<'a> Passes<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Passes { client }
    }

    /// Revokes the permit and kills its QR code at once (`{"action": "revoke"}`); add a
    /// reason with [`UpdatePass::reason`].
    pub fn revoke(&self, permit_id: impl Into<PermitId>) -> UpdatePass<'a> {
        self.action(permit_id, PassAction::Revoke { reason: None })
    }

    /// Mints a new QR code for an ACCEPTED permit (`{"action": "reissuePass"}`); the old code
    /// dies at once and `passes.permits.issued` fires with the new one.
    pub fn reissue(&self, permit_id: impl Into<PermitId>) -> UpdatePass<'a> {
        self.action(permit_id, PassAction::Reissue)
    }

    /// Moves a DRAFT permit into the approval workflow (`{"action": "submit"}`).
    pub fn submit(&self, permit_id: impl Into<PermitId>) -> UpdatePass<'a> {
        self.action(permit_id, PassAction::Submit)
    }

    /// Any pass action, from the whole request model.
    pub fn action(&self, permit_id: impl Into<PermitId>, action: PassAction) -> UpdatePass<'a> {
        UpdatePass {
            client: self.client,
            options: CallOptions::default(),
            id: permit_id.into(),
            action,
            extra: Map::new(),
        }
    }
}

/// `PATCH /passes/{id}`; from [`Passes::revoke`], [`Passes::reissue`], [`Passes::submit`] or
/// [`Passes::action`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct UpdatePass<'a> {
    client: &'a Client,
    options: CallOptions,
    id: PermitId,
    action: PassAction,
    extra: Map<String, Value>,
}

impl UpdatePass<'_> {
    per_call_settings!();

    /// Why the pass is revoked; recorded in the audit trail. Only meaningful for a revoke: on
    /// another action it is sent as an extra `reason` field.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        match &mut self.action {
            PassAction::Revoke { reason: r } => *r = Some(reason.into()),
            _ => {
                self.extra
                    .insert("reason".into(), Value::String(reason.into()));
            }
        }
        self
    }

    /// A JSON field the SDK does not type, sent beside the typed ones. `action` is refused at
    /// [`send`](Self::send): it would change the operation, and not how it is retried.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// [`send`](Self::send) for code that has no async runtime (feature `blocking`). Inside
    /// an async runtime it answers [`Error::BlockingInsideRuntime`] rather than blocking it.
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn send_blocking(self) -> Result<Acknowledgement, Error> {
        super::blocking::run(self.send())
    }

    /// Sends. Answers Buzz-In's acknowledgement (`{}` for "Pass updated.").
    pub async fn send(self) -> Result<Acknowledgement, Error> {
        check_extras(&self.extra)?;
        require_id("id", self.id.as_str())?;
        let action = match &self.action {
            PassAction::Revoke { .. } => "revoke",
            PassAction::Reissue => "reissuePass",
            PassAction::Submit => "submit",
        };
        let class = UPDATE_PASS.retry_for(Some(action));
        let call = self
            .client
            .operation(&UPDATE_PASS, Some(self.id.as_str()), class);
        let call = if self.extra.is_empty() {
            call.json(&self.action)?
        } else {
            let mut body = self.extra;
            if let Value::Object(typed) = serde_json::to_value(&self.action)
                .map_err(|e| Error::invalid("body", format!("cannot be written as JSON: {e}")))?
            {
                body.extend(typed);
            }
            call.json(&body)?
        };
        self.client.execute(call.with_options(self.options)).await
    }
}
