//! DAMAC work-permit contractors: create, approve, revoke (`/communityContractors`).

use super::dispatch::Target;
use super::{CallOptions, Client, Contact, Created};
use crate::models::{
    Acknowledgement, CompanyInput, Contractor, ContractorAction, ContractorId,
    ContractorIntegrationsInput, CreateContractorRequest, DamacContractorInput, SalesforceId,
    UpdateContractorRequest,
};
use crate::operations::{CREATE_CONTRACTOR, UPDATE_CONTRACTOR};
use crate::Error;

/// The contractor operations; from [`Client::community_contractors`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("POST")).and(matchers::path("/communityContractors"))
/// #     .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!(
/// #         {"_id": "66f0a1b2c3d4e5f600000001", "approved": false})))
/// #     .mount(&server).await;
/// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
/// use buzzin::client::Contact;
/// use buzzin::models::{CompanyInput, Date, FileInput};
///
/// let contractor = client
///     .community_contractors()
///     .create(
///         Contact {
///             name: "Ahmed Contracting LLC Rep".into(),
///             email: "ops@ahmed-contracting.ae".into(),
///             phone: "+971500000000".into(),
///         },
///         CompanyInput::new(
///             "Ahmed Contracting LLC",
///             FileInput::Url { url: "https://files.example.com/license.pdf".into() },
///             Date::parse("2027-03-31")?,
///         ),
///         "a0B5g000000ABCDEAW",
///     )
///     .send()
///     .await?;
/// assert_eq!(contractor.approved, Some(false)); // pending until a community admin approves
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CommunityContractors<'a> {
    client: &'a Client,
}

impl<'a> CommunityContractors<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        CommunityContractors { client }
    }

    /// Creates a contractor, pending approval (`POST /communityContractors`).
    ///
    /// `salesforce_id` goes to `integrations.damac.salesforceId`. A duplicate email, phone or
    /// Salesforce id is an [`Error::Conflict`].
    pub fn create(
        &self,
        contact: Contact,
        company: CompanyInput,
        salesforce_id: impl Into<SalesforceId>,
    ) -> CreateContractor {
        let integrations =
            ContractorIntegrationsInput::new(DamacContractorInput::new(salesforce_id));
        let Contact { name, email, phone } = contact;
        let request = CreateContractorRequest::new(name, email, phone, company, integrations);
        CreateContractor {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }

    /// Creates a contractor from a whole request (for example one built from Salesforce JSON).
    pub fn create_from(&self, request: CreateContractorRequest) -> CreateContractor {
        CreateContractor {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }

    /// Detaches the contractor from the community and archives its active permits
    /// (`{"action": "revoke"}`).
    pub fn revoke(&self, id: impl Into<ContractorId>) -> UpdateContractor {
        self.update_from(id, UpdateContractorRequest::new(ContractorAction::Revoke))
    }

    /// Approves a pending contractor (`{"action": "approve"}`).
    pub fn approve(&self, id: impl Into<ContractorId>) -> UpdateContractor {
        self.update_from(id, UpdateContractorRequest::new(ContractorAction::Approve))
    }

    /// Updates a contractor from a whole request.
    pub fn update_from(
        &self,
        id: impl Into<ContractorId>,
        request: UpdateContractorRequest,
    ) -> UpdateContractor {
        UpdateContractor {
            client: self.client.clone(),
            options: CallOptions::default(),
            id: id.into(),
            request,
        }
    }
}

/// `POST /communityContractors`; from [`CommunityContractors::create`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct CreateContractor {
    client: Client,
    options: CallOptions,
    request: CreateContractorRequest,
}

impl CreateContractor {
    /// The request as it will be sent.
    pub fn request(&self) -> &CreateContractorRequest {
        &self.request
    }

    /// Sends. Answers the new contractor (`approved: false`).
    pub async fn send(self) -> Result<Created<Contractor>, Error> {
        let target = Target::new(&CREATE_CONTRACTOR);
        self.client
            .dispatch_create(target, &self.request, self.options)
            .await
    }
}

operation_builder!(CreateContractor -> Created<Contractor>, extra: request.extra);

/// `PATCH /communityContractors/{id}`; from [`CommunityContractors::revoke`] or
/// [`CommunityContractors::approve`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct UpdateContractor {
    client: Client,
    options: CallOptions,
    id: ContractorId,
    request: UpdateContractorRequest,
}

impl UpdateContractor {
    /// Sends. Answers Buzz-In's acknowledgement ("Contractor updated.").
    pub async fn send(self) -> Result<Acknowledgement, Error> {
        let target = Target::on::<Contractor>(&UPDATE_CONTRACTOR, self.id.as_str());
        self.client
            .dispatch(target, &self.request, self.options)
            .await
    }
}

operation_builder!(UpdateContractor -> Acknowledgement, extra: request.extra);
