//! Property-manager users (`POST /users`, `PATCH /users/{id}`).

use super::dispatch::Target;
use super::{CallOptions, Client, Contact, Created};
use crate::models::{
    CreatePropertyManagerRequest, PropertyId, PropertyManager, UpdatePropertyManagerRequest,
    UserId, UserRole,
};
use crate::operations::{CREATE_PROPERTY_MANAGER, UPDATE_PROPERTY_MANAGER};
use crate::Error;

/// The property-manager operations; from [`Client::property_managers`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("PATCH")).and(matchers::path("/users/66f0a1b2c3d4e5f600000d01"))
/// #     .and(matchers::body_json(serde_json::json!({"phone": "+971509998877"})))
/// #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
/// #         {"_id": "66f0a1b2c3d4e5f600000d01", "phone": "+971509998877"})))
/// #     .mount(&server).await;
/// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
/// let manager = client
///     .property_managers()
///     .update("66f0a1b2c3d4e5f600000d01")
///     .phone("+971509998877")
///     .send()
///     .await?;
/// assert_eq!(manager.phone.as_deref(), Some("+971509998877"));
/// # Ok(()) }
/// ```
///
/// Assumed: the documentation pages of these operations are not available; the paths and
/// fields follow the rest of the API.
#[derive(Debug, Clone, Copy)]
pub struct PropertyManagers<'a> {
    client: &'a Client,
}

impl<'a> PropertyManagers<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        PropertyManagers { client }
    }

    /// Creates a property manager of the given properties (role `propertyManager`).
    pub fn create<I, P>(&self, contact: Contact, properties_ids: I) -> CreatePropertyManager
    where
        I: IntoIterator<Item = P>,
        P: Into<PropertyId>,
    {
        let ids: Vec<PropertyId> = properties_ids.into_iter().map(Into::into).collect();
        let Contact { name, email, phone } = contact;
        let request =
            CreatePropertyManagerRequest::new(name, email, phone, UserRole::PropertyManager, ids);
        CreatePropertyManager {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }

    /// Creates a property manager from a whole request.
    pub fn create_from(&self, request: CreatePropertyManagerRequest) -> CreatePropertyManager {
        CreatePropertyManager {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }

    /// Changes a property manager; set the fields to change on the builder.
    pub fn update(&self, id: impl Into<UserId>) -> UpdatePropertyManager {
        self.update_from(id, UpdatePropertyManagerRequest::default())
    }

    /// Changes a property manager from a whole request.
    pub fn update_from(
        &self,
        id: impl Into<UserId>,
        request: UpdatePropertyManagerRequest,
    ) -> UpdatePropertyManager {
        UpdatePropertyManager {
            client: self.client.clone(),
            options: CallOptions::default(),
            id: id.into(),
            request,
        }
    }
}

/// `POST /users`; from [`PropertyManagers::create`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct CreatePropertyManager {
    client: Client,
    options: CallOptions,
    request: CreatePropertyManagerRequest,
}

impl CreatePropertyManager {
    /// The role (`propertyManager` unless set).
    pub fn role(mut self, role: UserRole) -> Self {
        self.request.role = role;
        self
    }

    /// Sends. Answers the new user. A duplicate is an [`Error::Conflict`].
    pub async fn send(self) -> Result<Created<PropertyManager>, Error> {
        let op = &CREATE_PROPERTY_MANAGER;
        let target = Target::new(op);
        self.client
            .dispatch_create(target, &self.request, self.options)
            .await
    }
}

operation_builder!(CreatePropertyManager -> Created<PropertyManager>, extra: request.extra);

/// `PATCH /users/{id}`; from [`PropertyManagers::update`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct UpdatePropertyManager {
    client: Client,
    options: CallOptions,
    id: UserId,
    request: UpdatePropertyManagerRequest,
}

impl UpdatePropertyManager {
    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.request.name = Some(name.into());
        self
    }

    /// A new email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.request.email = Some(email.into());
        self
    }

    /// A new phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.request.phone = Some(phone.into());
        self
    }

    /// A new role.
    pub fn role(mut self, role: UserRole) -> Self {
        self.request.role = Some(role);
        self
    }

    /// The properties the manager manages (replaces the list).
    pub fn properties_ids<I, P>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PropertyId>,
    {
        self.request.properties_ids = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Sends. Answers the updated user.
    pub async fn send(self) -> Result<PropertyManager, Error> {
        let target = Target::on::<PropertyManager>(&UPDATE_PROPERTY_MANAGER, self.id.as_str());
        self.client
            .dispatch(target, &self.request, self.options)
            .await
    }
}

operation_builder!(UpdatePropertyManager -> PropertyManager, extra: request.extra);
