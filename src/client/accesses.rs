//! QR accesses for visitors (`POST /accesses`).

use super::dispatch::Target;
use super::{CallOptions, Client, Created, Unit, Validity};
use crate::models::{CreateQrAccessRequest, QrAccess, QrVisitor};
use crate::operations::CREATE_QR_ACCESS;
use crate::Error;

/// The QR-access operations; from [`Client::accesses`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("POST")).and(matchers::path("/accesses"))
/// #     .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!(
/// #         {"_id": "66f0a1b2c3d4e5f600000e01", "accessCode": "Q7W2E9"})))
/// #     .mount(&server).await;
/// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
/// use buzzin::client::Unit;
/// use buzzin::models::Timestamp;
///
/// let unit = Unit {
///     property_id: "66e0000000000000000000a1".into(),
///     flat_id: "66e0000000000000000000b2".into(),
/// };
/// let from = Timestamp::parse("2026-07-01T06:00:00.000Z")?;
/// let till = Timestamp::parse("2026-07-01T18:00:00.000Z")?;
/// let access = client
///     .accesses()
///     .create_qr("Sara Visitor", unit, from..=till)
///     .visitor_phone("+971501112233")
///     .send()
///     .await?;
/// assert_eq!(access.access_code.as_deref(), Some("Q7W2E9"));
/// # Ok(()) }
/// ```
///
/// Assumed: the documentation page of this operation is not available; the path and fields
/// follow the rest of the API. Buzz-In is not known to refuse a duplicate, so a QR access is
/// re-sent only when the connection could not even be made.
#[derive(Debug, Clone, Copy)]
pub struct Accesses<'a> {
    client: &'a Client,
}

impl<'a> Accesses<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Accesses { client }
    }

    /// Creates a QR access for a visitor of a unit, valid from `valid_from` to `valid_till`;
    /// add the visitor's [`phone`](CreateQrAccess::visitor_phone) or
    /// [`email`](CreateQrAccess::visitor_email).
    pub fn create_qr(
        &self,
        visitor_name: impl Into<String>,
        unit: Unit,
        validity: Validity,
    ) -> CreateQrAccess {
        let (valid_from, valid_till) = validity.into_inner();
        let request = CreateQrAccessRequest::new(
            QrVisitor::new(visitor_name),
            unit.property_id,
            unit.flat_id,
            valid_from,
            valid_till,
        );
        CreateQrAccess {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }

    /// Creates a QR access from a whole request.
    pub fn create_qr_from(&self, request: CreateQrAccessRequest) -> CreateQrAccess {
        CreateQrAccess {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }
}

/// `POST /accesses`; from [`Accesses::create_qr`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct CreateQrAccess {
    client: Client,
    options: CallOptions,
    request: CreateQrAccessRequest,
}

impl CreateQrAccess {
    /// The visitor's phone number (`visitor.phone`).
    pub fn visitor_phone(mut self, phone: impl Into<String>) -> Self {
        self.request.visitor.phone = Some(phone.into());
        self
    }

    /// The visitor's email address (`visitor.email`).
    pub fn visitor_email(mut self, email: impl Into<String>) -> Self {
        self.request.visitor.email = Some(email.into());
        self
    }

    /// Sends. Answers the access with its code and QR image.
    pub async fn send(self) -> Result<Created<QrAccess>, Error> {
        let target = Target::new(&CREATE_QR_ACCESS);
        self.client
            .dispatch_create(target, &self.request, self.options)
            .await
    }
}

operation_builder!(CreateQrAccess -> Created<QrAccess>, extra: request.extra);
