//! DAMAC NOC / fit-out work permits: create, get, change validity, replace the NOC.

use super::dispatch::Target;
use super::{CallOptions, Client, Created, Validity};
use crate::models::{
    ContractorRef, CreatePermitRequest, FlatId, FlatRef, NocInput, NocReplacement, Permit,
    PermitId, PermitValidityUpdate, PropertyRef, SalesforceId, Timestamp,
};
use crate::operations::{CREATE_PERMIT, GET_PERMIT, UPDATE_PERMIT};
use crate::Error;

/// The permit operations; from [`Client::permits`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("POST")).and(matchers::path("/permits"))
/// #     .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!(
/// #         {"_id": "66f0a1b2c3d4e5f600000abc", "status": 10})))
/// #     .mount(&server).await;
/// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
/// use buzzin::models::{
///     ContractorRef, Date, FileInput, FlatRef, NocInput, PermitState, PropertyRef, Timestamp,
/// };
///
/// let permit = client
///     .permits()
///     .create(
///         "a1B5g000000XYZWEAW",
///         ContractorRef::SalesforceId("a0B5g000000ABCDEAW".into()),
///         PropertyRef::ExternalId("DAMAC-TWR-07".into()),
///         FlatRef::ExternalId("UNIT-0712".into()),
///         Timestamp::parse("2026-07-01T06:00:00.000Z")?
///             ..=Timestamp::parse("2026-07-31T18:00:00.000Z")?,
///     )
///     .jobs_summary("Full interior fit-out of unit 0712.")
///     .noc(NocInput::with_details(
///         FileInput::Url { url: "https://files.example.com/noc-12345.pdf".into() },
///         "NOC-12345",
///         Date::parse("2026-06-20")?,
///         Date::parse("2026-08-20")?,
///     ))
///     .send()
///     .await?;
/// assert_eq!(permit.state(), PermitState::Draft);
/// println!("created permit {}", permit.id()); // no `ok_or`: a create answers `Created`
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Permits<'a> {
    client: &'a Client,
}

impl<'a> Permits<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Permits { client }
    }

    /// Creates a permit as a DRAFT (`POST /permits`).
    ///
    /// The contractor, property and unit are each given by their Salesforce / external id or
    /// by their Buzz-In id; the validity is `valid_from..=valid_till`, and `valid_till` must not
    /// be before `valid_from` (checked before sending). A duplicate `salesforce_permit_id` is an
    /// [`Error::Conflict`].
    pub fn create(
        &self,
        salesforce_permit_id: impl Into<SalesforceId>,
        contractor: ContractorRef,
        property: PropertyRef,
        flat: FlatRef,
        validity: Validity,
    ) -> CreatePermit {
        let (valid_from, valid_till) = validity.into_inner();
        let request = CreatePermitRequest::new(
            contractor,
            property,
            flat,
            salesforce_permit_id,
            valid_from,
            valid_till,
        );
        CreatePermit {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }

    /// Creates a permit from a whole request (for example one built from Salesforce JSON).
    pub fn create_from(&self, request: CreatePermitRequest) -> CreatePermit {
        CreatePermit {
            client: self.client.clone(),
            options: CallOptions::default(),
            request,
        }
    }

    /// Reads a permit (`GET /permits/{id}`).
    ///
    /// Assumed: the documentation does not state this endpoint's path; `GET /permits/{id}` is
    /// the Feathers convention.
    pub fn get(&self, id: impl Into<PermitId>) -> GetPermit {
        GetPermit {
            client: self.client.clone(),
            options: CallOptions::default(),
            id: id.into(),
        }
    }

    /// Reads many permits (`GET /permits/{id}` for each id): the reconciliation call, for
    /// thousands of ids at once. Answers a [`Stream`](futures_core::Stream) of
    /// `(PermitId, Result<Permit, Error>)`, one item per id, **in the order the answers come
    /// back** (not the order of `ids`; each item names its id). At most
    /// [`concurrency`](GetManyPermits::concurrency) gets (16 by default) are in flight at once,
    /// each with the client's retries, timeouts, [`rate_limit`](crate::ClientBuilder::rate_limit)
    /// and `Retry-After` pauses; one failed get fails only its own item.
    ///
    /// The gets run inside the stream, started as it is polled (like `buffer_unordered`);
    /// dropping the stream cancels those still running.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
    /// # let server = MockServer::start().await;
    /// # Mock::given(matchers::method("GET")).and(matchers::path("/permits/66f0a1b2c3d4e5f600000abc"))
    /// #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
    /// #         {"_id": "66f0a1b2c3d4e5f600000abc", "status": 1})))
    /// #     .mount(&server).await;
    /// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri())
    /// #     .retry_policy(buzzin::client::RetryPolicy::never()).build()?;
    /// use futures_util::StreamExt;
    ///
    /// let ids = ["66f0a1b2c3d4e5f600000abc", "66f0a1b2c3d4e5f600000def"];
    /// let mut permits = client.permits().get_many(ids).concurrency(8);
    /// let (mut found, mut failed) = (0, 0);
    /// while let Some((id, permit)) = permits.next().await {
    ///     match permit {
    ///         Ok(permit) => { assert_eq!(permit.id.as_ref(), Some(&id)); found += 1 }
    ///         Err(_) => failed += 1, // here a 404: the mock knows only one permit
    ///     }
    /// }
    /// assert_eq!((found, failed), (1, 1));
    /// # Ok(()) }
    /// ```
    pub fn get_many<I>(&self, ids: I) -> GetManyPermits
    where
        I: IntoIterator,
        I::Item: Into<PermitId>,
    {
        GetManyPermits {
            client: self.client.clone(),
            ids: ids
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>()
                .into_iter(),
            concurrency: DEFAULT_GET_MANY_CONCURRENCY,
            options: CallOptions::default(),
            running: futures_util::stream::FuturesUnordered::new(),
        }
    }

    /// Changes the validity window (`PATCH /permits/{id}` with `validFrom` / `validTill`); the
    /// QR code stays the same.
    pub fn update_validity(&self, id: impl Into<PermitId>) -> UpdateValidity {
        UpdateValidity {
            client: self.client.clone(),
            options: CallOptions::default(),
            id: id.into(),
            update: PermitValidityUpdate::default(),
        }
    }

    /// Changes the validity window from a whole request.
    pub fn update_validity_from(
        &self,
        id: impl Into<PermitId>,
        update: PermitValidityUpdate,
    ) -> UpdateValidity {
        UpdateValidity {
            client: self.client.clone(),
            options: CallOptions::default(),
            id: id.into(),
            update,
        }
    }

    /// Replaces the NOC (`PATCH /permits/{id}` with `{"action": "replaceNoc", "noc": …}`); the
    /// current NOC moves into `integrations.damac.nocHistory`.
    ///
    /// Never re-sent once it may have reached Buzz-In: a repeat would record the NOC twice.
    pub fn replace_noc(&self, id: impl Into<PermitId>, noc: NocInput) -> ReplaceNoc {
        self.replace_noc_from(id, NocReplacement::new(noc))
    }

    /// Replaces the NOC from a whole request.
    pub fn replace_noc_from(&self, id: impl Into<PermitId>, request: NocReplacement) -> ReplaceNoc {
        ReplaceNoc {
            client: self.client.clone(),
            options: CallOptions::default(),
            id: id.into(),
            request,
        }
    }
}

/// One get of [`GetManyPermits`], answering its id with its result.
type GetOne = std::pin::Pin<
    Box<dyn std::future::Future<Output = (PermitId, Result<Permit, Error>)> + Send + 'static>,
>;

/// The gets [`Permits::get_many`] keeps in flight unless told otherwise.
pub const DEFAULT_GET_MANY_CONCURRENCY: usize = 16;

/// The permits of many ids, as they come back; from [`Permits::get_many`]. A
/// [`Stream`](futures_core::Stream) of `(PermitId, Result<Permit, Error>)`.
#[must_use = "a stream does nothing until it is polled"]
pub struct GetManyPermits {
    client: Client,
    ids: std::vec::IntoIter<PermitId>,
    concurrency: usize,
    options: CallOptions,
    running: futures_util::stream::FuturesUnordered<GetOne>,
}

impl GetManyPermits {
    /// How many gets may be in flight at once (16 by default, at least 1). The client's
    /// [`rate_limit`](crate::ClientBuilder::rate_limit) still applies to them all.
    pub fn concurrency(mut self, gets: usize) -> Self {
        self.concurrency = gets.max(1);
        self
    }

    /// The time one attempt of each get may take, instead of the client's.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// The time each get may take, its retries included, instead of the client's.
    pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
        self.options.deadline = Some(deadline);
        self
    }

    /// How each get's failed attempts are retried, instead of the client's policy.
    pub fn retry_policy(mut self, policy: super::RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }
}

impl std::fmt::Debug for GetManyPermits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetManyPermits")
            .field("concurrency", &self.concurrency)
            .field("in_flight", &self.running.len())
            .finish_non_exhaustive()
    }
}

impl futures_core::Stream for GetManyPermits {
    type Item = (PermitId, Result<Permit, Error>);

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        while this.running.len() < this.concurrency {
            let Some(id) = this.ids.next() else { break };
            let get = GetPermit {
                client: this.client.clone(),
                options: this.options.clone(),
                id: id.clone(),
            };
            this.running
                .push(Box::pin(async move { (id, get.send().await) }));
        }
        // `None` once no get is running: the loop above would have started one were there an
        // id left.
        futures_core::Stream::poll_next(std::pin::Pin::new(&mut this.running), cx)
    }
}

/// `POST /permits`; from [`Permits::create`] or [`Permits::create_from`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct CreatePermit {
    client: Client,
    options: CallOptions,
    request: CreatePermitRequest,
}

impl CreatePermit {
    /// More units of the permit, by external id (`additionalFlatExternalIds`).
    pub fn additional_flat_external_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.request.additional_flat_external_ids = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// More units of the permit, by Buzz-In id (`additionalFlatIds`).
    pub fn additional_flat_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<FlatId>,
    {
        self.request.additional_flat_ids = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// What the work is (`jobsSummary`).
    pub fn jobs_summary(mut self, summary: impl Into<String>) -> Self {
        self.request.jobs_summary = Some(summary.into());
        self
    }

    /// The NOC document and its number and dates (`noc`).
    pub fn noc(mut self, noc: NocInput) -> Self {
        self.request.noc = Some(noc);
        self
    }

    /// The request as it will be sent.
    pub fn request(&self) -> &CreatePermitRequest {
        &self.request
    }

    /// Checks the documented rules, then sends. Answers the new permit (a DRAFT).
    pub async fn send(self) -> Result<Created<Permit>, Error> {
        let target = Target::new(&CREATE_PERMIT);
        self.client
            .dispatch_create(target, &self.request, self.options)
            .await
    }
}

operation_builder!(CreatePermit -> Created<Permit>, extra: request.extra);

/// `GET /permits/{id}`; from [`Permits::get`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct GetPermit {
    client: Client,
    options: CallOptions,
    id: PermitId,
}

impl GetPermit {
    /// Sends. Answers the permit.
    pub async fn send(self) -> Result<Permit, Error> {
        let target = Target::on::<Permit>(&GET_PERMIT, self.id.as_str());
        self.client.dispatch(target, &(), self.options).await
    }
}

operation_builder!(GetPermit -> Permit);

/// `PATCH /permits/{id}` with a new validity window; from [`Permits::update_validity`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct UpdateValidity {
    client: Client,
    options: CallOptions,
    id: PermitId,
    update: PermitValidityUpdate,
}

impl UpdateValidity {
    /// The new start (`validFrom`).
    pub fn valid_from(mut self, from: impl Into<Timestamp>) -> Self {
        self.update.valid_from = Some(from.into());
        self
    }

    /// The new end (`validTill`); not in the past and not before `validFrom`.
    pub fn valid_till(mut self, till: impl Into<Timestamp>) -> Self {
        self.update.valid_till = Some(till.into());
        self
    }

    /// Checks that there is something to change and that the window is not reversed, then
    /// sends. Answers the updated permit (assumed: the documentation does not show this body;
    /// whatever comes back is returned).
    pub async fn send(self) -> Result<Permit, Error> {
        let target = Target::on::<Permit>(&UPDATE_PERMIT, self.id.as_str());
        self.client
            .dispatch(target, &self.update, self.options)
            .await
    }
}

operation_builder!(UpdateValidity -> Permit, extra: update.extra);

/// `PATCH /permits/{id}` with `{"action": "replaceNoc"}`; from [`Permits::replace_noc`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is)"]
pub struct ReplaceNoc {
    client: Client,
    options: CallOptions,
    id: PermitId,
    request: NocReplacement,
}

impl ReplaceNoc {
    /// Sends (at most once, unless the connection could not even be made). Answers the
    /// updated permit (assumed: the documentation does not show this body).
    pub async fn send(self) -> Result<Permit, Error> {
        let target = Target::on::<Permit>(&UPDATE_PERMIT, self.id.as_str());
        self.client
            .dispatch(target, &self.request, self.options)
            .await
    }
}

operation_builder!(ReplaceNoc -> Permit, extra: request.extra);
