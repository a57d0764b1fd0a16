//! [`Created`]: what a create answers, the new record's id taken out of its `Option`.

use std::ops::Deref;

use crate::models::Record;
use crate::Error;

/// A record Buzz-In just created: its id, without an `Option` to unwrap, and the record as
/// answered (reachable through [`Deref`]: `created.approved`, `created.state()`).
///
/// A create whose answer has no `_id` fails with [`Error::MissingId`] instead.
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
/// assert_eq!(contractor.id().as_str(), "66f0a1b2c3d4e5f600000001");
/// assert_eq!(contractor.approved, Some(false));
/// client.community_contractors().approve(contractor.id().clone());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T: Record> {
    id: T::Id,
    record: T,
}

impl<T: Record> Created<T> {
    /// Takes the id out of `record`, or fails with [`Error::MissingId`] naming `call`.
    pub(crate) fn new(record: T, call: impl FnOnce() -> String) -> Result<Self, Error> {
        match record.record_id() {
            Some(id) => Ok(Created {
                id: id.clone(),
                record,
            }),
            None => Err(Error::MissingId {
                request: call(),
                kind: T::KIND,
            }),
        }
    }

    /// The new record's Buzz-In id (`_id`).
    pub fn id(&self) -> &T::Id {
        &self.id
    }

    /// The record as Buzz-In answered it.
    pub fn record(&self) -> &T {
        &self.record
    }

    /// The id, by value.
    pub fn into_id(self) -> T::Id {
        self.id
    }

    /// The record, by value (its `id` field is `Some` of the same id).
    pub fn into_record(self) -> T {
        self.record
    }

    /// The id and the record, by value.
    pub fn into_parts(self) -> (T::Id, T) {
        (self.id, self.record)
    }
}

impl<T: Record> Deref for Created<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.record
    }
}

impl<T: Record> AsRef<T> for Created<T> {
    fn as_ref(&self) -> &T {
        &self.record
    }
}
