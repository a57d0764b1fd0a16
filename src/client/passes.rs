//! Actions on the QR pass of a permit: revoke, reissue, submit (`PATCH /passes/{id}`, where the
//! id is the permit's).

use serde::ser::Error as _;
use serde::Serialize;
use serde_json::{Map, Value};

use super::dispatch::Target;
use super::validate::RequestBody;
use super::{CallOptions, Client};
use crate::models::{Acknowledgement, PassAction, Permit, PermitId};
use crate::operations::UPDATE_PASS;
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
    pub fn revoke(&self, permit_id: impl Into<PermitId>) -> UpdatePass {
        self.action(permit_id, PassAction::Revoke { reason: None })
    }

    /// Mints a new QR code for an ACCEPTED permit (`{"action": "reissuePass"}`); the old code
    /// dies at once and `passes.permits.issued` fires with the new one.
    pub fn reissue(&self, permit_id: impl Into<PermitId>) -> UpdatePass {
        self.action(permit_id, PassAction::Reissue)
    }

    /// Moves a DRAFT permit into the approval workflow (`{"action": "submit"}`).
    pub fn submit(&self, permit_id: impl Into<PermitId>) -> UpdatePass {
        self.action(permit_id, PassAction::Submit)
    }

    /// Any pass action, from the whole request model.
    pub fn action(&self, permit_id: impl Into<PermitId>, action: PassAction) -> UpdatePass {
        UpdatePass {
            client: self.client.clone(),
            options: CallOptions::default(),
            id: permit_id.into(),
            body: PassBody {
                action,
                extra: Map::new(),
            },
        }
    }
}

/// `PATCH /passes/{id}`; from [`Passes::revoke`], [`Passes::reissue`], [`Passes::submit`] or
/// [`Passes::action`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct UpdatePass {
    client: Client,
    options: CallOptions,
    id: PermitId,
    body: PassBody,
}

impl UpdatePass {
    /// Why the pass is revoked; recorded in the audit trail. Only meaningful for a revoke: on
    /// another action it is sent as an extra `reason` field.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        match &mut self.body.action {
            PassAction::Revoke { reason: r } => *r = Some(reason.into()),
            _ => {
                self.body
                    .extra
                    .insert("reason".into(), Value::String(reason.into()));
            }
        }
        self
    }

    /// Sends. Answers Buzz-In's acknowledgement (`{}` for "Pass updated.").
    pub async fn send(self) -> Result<Acknowledgement, Error> {
        // The pass's id is its permit's: a 404 is "no such permit".
        let target = Target::on::<Permit>(&UPDATE_PASS, self.id.as_str());
        self.client.dispatch(target, &self.body, self.options).await
    }
}

operation_builder!(UpdatePass -> Acknowledgement, extra: body.extra);

/// The body of a pass action: the action's fields, over the untyped ones.
#[derive(Debug)]
struct PassBody {
    action: PassAction,
    extra: Map<String, Value>,
}

impl Serialize for PassBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.extra.is_empty() {
            return self.action.serialize(serializer);
        }
        // The typed fields win over an untyped one of the same name.
        let mut body = self.extra.clone();
        if let Value::Object(typed) =
            serde_json::to_value(&self.action).map_err(S::Error::custom)?
        {
            body.extend(typed);
        }
        body.serialize(serializer)
    }
}

impl RequestBody for PassBody {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn action(&self) -> Option<&str> {
        Some(self.action.as_str())
    }
}
