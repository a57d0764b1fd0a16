//! The external NFC visit: a third-party app opens a gate for a resident (`POST /visits`).

use super::dispatch::Target;
use super::{CallOptions, Client, DeviceSecret};
use crate::models::{ExternalNfcVisitRequest, ExternalNfcVisitResponse};
use crate::operations::CREATE_EXTERNAL_NFC_VISIT;
use crate::Error;

/// The visit operations; from [`Client::visits`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("POST")).and(matchers::path("/visits"))
/// #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
/// #         {"responseCode": "leaveEventCreated", "leaveEvent": {"duration": 7200000}})))
/// #     .mount(&server).await;
/// # let base_url = server.uri();
/// use buzzin::client::DeviceSecret;
/// use buzzin::models::NfcResponseCode;
///
/// // A resident's app holds no community API key: the tag's secret is the proof.
/// let client = buzzin::Client::builder().base_url(base_url).build()?;
/// // The secret comes from the NFC tag the resident tapped.
/// # let from_tag = "abc123xyz789...";
/// let visit = client
///     .visits()
///     .external_nfc(DeviceSecret::new(from_tag), "784-1234-5678901-2")
///     .phone("+971501234567")
///     .send()
///     .await?;
/// assert_eq!(visit.response_code, Some(NfcResponseCode::LeaveEventCreated));
/// assert_eq!(visit.leave_event.and_then(|l| l.duration), Some(7_200_000));
/// # Ok(()) }
/// ```
///
/// The visit opens a gate, so it is never re-sent once it may have reached Buzz-In; only a
/// connection that could not be made is retried.
#[derive(Debug, Clone, Copy)]
pub struct Visits<'a> {
    client: &'a Client,
}

impl<'a> Visits<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Visits { client }
    }

    /// Records an entry or exit and opens the gate. `device_secret` is the tag's secret,
    /// `document_id` the resident's Emirates ID or passport number; add the resident's
    /// [`phone`](ExternalNfcVisit::phone) or [`email`](ExternalNfcVisit::email) (at least one).
    ///
    /// The only call a client built without an API key can make: the key is sent when the
    /// client has one, and not otherwise. Assumed: Buzz-In's NFC-visit page shows no key and no
    /// `401`; the tag's `deviceSecret` is the proof.
    pub fn external_nfc(
        &self,
        device_secret: DeviceSecret,
        document_id: impl Into<String>,
    ) -> ExternalNfcVisit {
        self.external_nfc_from(ExternalNfcVisitRequest::new(device_secret.0, document_id))
    }

    /// The visit from a whole request.
    pub fn external_nfc_from(&self, request: ExternalNfcVisitRequest) -> ExternalNfcVisit {
        ExternalNfcVisit {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }
}

/// `POST /visits`; from [`Visits::external_nfc`]. Its `Debug` hides the device secret.
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct ExternalNfcVisit {
    client: Client,
    options: CallOptions,
    request: ExternalNfcVisitRequest,
}

impl ExternalNfcVisit {
    /// The resident's phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.request.phone = Some(phone.into());
        self
    }

    /// The resident's email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.request.email = Some(email.into());
        self
    }

    /// Checks the documented rules (a device secret, a document id, a phone or an email), then
    /// sends. Answers `entryEventCreated`, or `leaveEventCreated` with the visit's duration.
    pub async fn send(self) -> Result<ExternalNfcVisitResponse, Error> {
        let target = Target::new(&CREATE_EXTERNAL_NFC_VISIT);
        self.client
            .dispatch(target, &self.request, self.options)
            .await
    }
}

operation_builder!(ExternalNfcVisit -> ExternalNfcVisitResponse, extra: request.extra);
