//! Property-manager users (`POST /users`, `PATCH /users/{id}`).

use serde_json::Value;

use super::{check_extras, require_id, CallOptions, Client, Contact};
use crate::generated::operations::{CREATE_PROPERTY_MANAGER, UPDATE_PROPERTY_MANAGER};
use crate::models::{
    CreatePropertyManagerRequest, PropertyId, PropertyManager, UpdatePropertyManagerRequest,
    UserId, UserRole,
};
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
    pub fn create<I, P>(&self, contact: Contact, properties_ids: I) -> CreatePropertyManager<'a>
    where
        I: IntoIterator<Item = P>,
        P: Into<PropertyId>,
    {
        let ids: Vec<PropertyId> = properties_ids.into_iter().map(Into::into).collect();
        let Contact { name, email, phone } = contact;
        let request =
            CreatePropertyManagerRequest::new(name, email, phone, UserRole::PropertyManager, ids);
        CreatePropertyManager {
            client: self.client,
            options: CallOptions::default(),
            request,
        }
    }

    /// Creates a property manager from a whole request.
    pub fn create_from(&self, request: CreatePropertyManagerRequest) -> CreatePropertyManager<'a> {
        CreatePropertyManager {
            client: self.client,
            options: CallOptions::default(),
            request,
        }
    }

    /// Changes a property manager; set the fields to change on the builder.
    pub fn update(&self, id: impl Into<UserId>) -> UpdatePropertyManager<'a> {
        self.update_from(id, UpdatePropertyManagerRequest::default())
    }

    /// Changes a property manager from a whole request.
    pub fn update_from(
        &self,
        id: impl Into<UserId>,
        request: UpdatePropertyManagerRequest,
    ) -> UpdatePropertyManager<'a> {
        UpdatePropertyManager {
            client: self.client,
            options: CallOptions::default(),
            id: id.into(),
            request,
        }
    }
}

/// `POST /users`; from [`PropertyManagers::create`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct CreatePropertyManager<'a> {
    client: &'a Client,
    options: CallOptions,
    request: CreatePropertyManagerRequest,
}

impl CreatePropertyManager<'_> {
    per_call_settings!();

    /// The role (`propertyManager` unless set).
    pub fn role(mut self, role: UserRole) -> Self {
        self.request.role = role;
        self
    }

    /// A JSON field the SDK does not type, sent beside the typed ones.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.request.extra.insert(name.into(), value.into());
        self
    }

    /// [`send`](Self::send) for code that has no async runtime (feature `blocking`). Inside
    /// an async runtime it answers [`Error::BlockingInsideRuntime`] rather than blocking it.
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn send_blocking(self) -> Result<PropertyManager, Error> {
        super::blocking::run(self.send())
    }

    /// Sends. Answers the new user. A duplicate is an [`Error::Conflict`].
    pub async fn send(self) -> Result<PropertyManager, Error> {
        check_extras(&self.request.extra)?;
        for id in &self.request.properties_ids {
            require_id("propertiesIds", id.as_str())?;
        }
        let op = &CREATE_PROPERTY_MANAGER;
        let call = self
            .client
            .operation(op, None, op.retry)
            .json(&self.request)?;
        self.client.execute(call.with_options(self.options)).await
    }
}

/// `PATCH /users/{id}`; from [`PropertyManagers::update`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct UpdatePropertyManager<'a> {
    client: &'a Client,
    options: CallOptions,
    id: UserId,
    request: UpdatePropertyManagerRequest,
}

impl UpdatePropertyManager<'_> {
    per_call_settings!();

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

    /// A JSON field the SDK does not type, sent beside the typed ones.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.request.extra.insert(name.into(), value.into());
        self
    }

    /// [`send`](Self::send) for code that has no async runtime (feature `blocking`). Inside
    /// an async runtime it answers [`Error::BlockingInsideRuntime`] rather than blocking it.
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn send_blocking(self) -> Result<PropertyManager, Error> {
        super::blocking::run(self.send())
    }

    /// Sends. Answers the updated user.
    pub async fn send(self) -> Result<PropertyManager, Error> {
        check_extras(&self.request.extra)?;
        require_id("id", self.id.as_str())?;
        for id in self.request.properties_ids.iter().flatten() {
            require_id("propertiesIds", id.as_str())?;
        }
        let op = &UPDATE_PROPERTY_MANAGER;
        let call = self
            .client
            .operation(op, Some(self.id.as_str()), op.retry)
            .json(&self.request)?;
        self.client.execute(call.with_options(self.options)).await
    }
}
