//! Event logs of gates and doors: one page, or every record through an auto-paging stream
//! (`GET /events`).

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::dispatch::Target;
use super::validate::require_id;
use super::{CallOptions, Client};
use crate::models::{EventLogPage, EventLogRecord, FlatId, PropertyId, Timestamp, VisitType};
use crate::operations::{list_events as query, LIST_EVENTS};
use crate::Error;

/// The name of the call each page of [`ListEvents::stream`] is (the table names one page:
/// `logs().events`).
const STREAM_CALL: &str = "logs().events().stream";

/// The event-log operations; from [`Client::logs`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
/// # let server = MockServer::start().await;
/// # Mock::given(matchers::method("GET")).and(matchers::path("/events"))
/// #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
/// #         "total": 1, "limit": 50, "skip": 0,
/// #         "data": [{"_id": "66f0a1b2c3d4e5f600000f01", "visitType": "externalNfc"}]})))
/// #     .mount(&server).await;
/// # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
/// use buzzin::client::SortOrder;
/// use buzzin::models::{Timestamp, VisitType};
///
/// // One page.
/// let page = client
///     .logs()
///     .events()
///     .visit_type(VisitType::ExternalNfc)
///     .created_from(Timestamp::parse("2026-06-01T00:00:00.000Z")?)
///     .sort(SortOrder::OldestFirst)
///     .limit(50)
///     .send()
///     .await?;
/// assert_eq!(page.total, Some(1));
///
/// // Every matching record, page after page.
/// use futures_util::TryStreamExt;
/// let all: Vec<_> = client.logs().events().limit(50).stream().try_collect().await?;
/// assert_eq!(all[0].visit_type, Some(VisitType::ExternalNfc));
/// # Ok(()) }
/// ```
///
/// Assumed: the documentation page of this operation is not available; it is read as a
/// Feathers `find` with `$limit`, `$skip` and `$sort[createdAt]`.
#[derive(Debug, Clone, Copy)]
pub struct Logs<'a> {
    client: &'a Client,
}

impl<'a> Logs<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Logs { client }
    }

    /// Event-log records, filtered and paged; finish with [`send`](ListEvents::send) for one
    /// page or [`stream`](ListEvents::stream) for all of them.
    pub fn events(&self) -> ListEvents {
        ListEvents {
            client: self.client.clone(),
            options: CallOptions::default(),
            query: EventQuery::default(),
        }
    }
}

/// The order of event-log records (`$sort[createdAt]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortOrder {
    /// `$sort[createdAt]=-1`.
    NewestFirst,
    /// `$sort[createdAt]=1`.
    OldestFirst,
}

#[derive(Debug, Clone, Default)]
struct EventQuery {
    property_id: Option<PropertyId>,
    flat_id: Option<FlatId>,
    visit_type: Option<VisitType>,
    created_from: Option<Timestamp>,
    created_until: Option<Timestamp>,
    sort: Option<SortOrder>,
    limit: Option<u64>,
    skip: Option<u64>,
    extra: Vec<(String, String)>,
}

/// `GET /events`; from [`Logs::events`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited (or `send` is) or `stream` is polled"]
pub struct ListEvents {
    client: Client,
    options: CallOptions,
    query: EventQuery,
}

impl ListEvents {
    /// Only events of this property (`propertyId`).
    pub fn property_id(mut self, id: impl Into<PropertyId>) -> Self {
        self.query.property_id = Some(id.into());
        self
    }

    /// Only events of this unit (`flatId`).
    pub fn flat_id(mut self, id: impl Into<FlatId>) -> Self {
        self.query.flat_id = Some(id.into());
        self
    }

    /// Only events of this kind (`visitType`).
    pub fn visit_type(mut self, visit_type: VisitType) -> Self {
        self.query.visit_type = Some(visit_type);
        self
    }

    /// Only events created at or after this instant (`createdAt[$gte]`).
    pub fn created_from(mut self, from: impl Into<Timestamp>) -> Self {
        self.query.created_from = Some(from.into());
        self
    }

    /// Only events created at or before this instant (`createdAt[$lte]`).
    pub fn created_until(mut self, until: impl Into<Timestamp>) -> Self {
        self.query.created_until = Some(until.into());
        self
    }

    /// The order of the records (`$sort[createdAt]`). When paging with
    /// [`stream`](Self::stream) while new events arrive, [`SortOrder::OldestFirst`] (or a
    /// [`created_until`](Self::created_until) bound) keeps pages from shifting.
    pub fn sort(mut self, order: SortOrder) -> Self {
        self.query.sort = Some(order);
        self
    }

    /// Records per page (`$limit`); the server may apply a smaller maximum.
    pub fn limit(mut self, limit: u64) -> Self {
        self.query.limit = Some(limit);
        self
    }

    /// Records to skip (`$skip`); for [`stream`](Self::stream), where to start.
    pub fn skip(mut self, skip: u64) -> Self {
        self.query.skip = Some(skip);
        self
    }

    /// A query parameter the SDK does not type, sent beside the typed ones.
    pub fn query(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.query.extra.push((name.into(), value.to_string()));
        self
    }

    /// Sends. Answers one page: `total`, `limit`, `skip` and `data`.
    pub async fn send(self) -> Result<EventLogPage, Error> {
        let skip = self.query.skip;
        fetch(
            &self.client,
            LIST_EVENTS.call_name(None),
            &self.query,
            skip,
            &self.options,
        )
        .await
    }

    /// Every matching record, fetching page after page (`$skip` advanced by the records
    /// received) until `total` is reached or a page comes back empty or short. An error ends
    /// the stream after it is yielded. The per-call settings apply to each page.
    ///
    /// While the stream pages, Buzz-In keeps recording events. So that newer events cannot
    /// shift the pages (offset paging, newest first), the stream is **pinned to its first
    /// page**: unless [`created_until`](Self::created_until) was set (or the order is
    /// [`SortOrder::OldestFirst`], where new events come last), every later page asks
    /// only for events created at or before the newest `createdAt` of the first page
    /// (`createdAt[$lte]`). And it never yields the same `_id` twice (it remembers the ids it
    /// yielded, 24 bytes each). So every record that existed when the stream started is
    /// yielded exactly once; events recorded after the first page may or may not be.
    ///
    /// ```no_run
    /// # async fn run(client: buzzin::Client) -> Result<(), buzzin::Error> {
    /// let mut events = client.logs().events().limit(50).stream();
    /// while let Some(event) = events.try_next().await? {
    ///     println!("{:?} at {:?}", event.visit_type, event.created_at);
    /// }
    /// // Or all at once:
    /// let all = client.logs().events().stream().try_collect().await?;
    /// # let _ = all;
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> EventStream {
        let next_skip = self.query.skip.unwrap_or(0);
        EventStream {
            client: self.client,
            // Oldest first, new events land after the last page: nothing shifts.
            pinned: self.query.created_until.is_some()
                || self.query.sort == Some(SortOrder::OldestFirst),
            query: self.query,
            options: self.options,
            next_skip,
            buffer: VecDeque::new(),
            yielded: HashSet::new(),
            in_flight: None,
            done: false,
        }
    }
}

operation_builder!(ListEvents -> EventLogPage);

async fn fetch(
    client: &Client,
    name: &'static str,
    q: &EventQuery,
    skip: Option<u64>,
    options: &CallOptions,
) -> Result<EventLogPage, Error> {
    if let Some(id) = &q.property_id {
        require_id("propertyId", id.as_str()).map_err(|e| e.in_call(name))?;
    }
    if let Some(id) = &q.flat_id {
        require_id("flatId", id.as_str()).map_err(|e| e.in_call(name))?;
    }
    let mut target = Target::new(&LIST_EVENTS).named(name);
    if let Some(limit) = q.limit {
        target.query(query::LIMIT, limit.to_string());
    }
    if let Some(skip) = skip {
        target.query(query::SKIP, skip.to_string());
    }
    match q.sort {
        Some(SortOrder::NewestFirst) => {
            target.query(query::SORT_CREATED_AT, "-1");
        }
        Some(SortOrder::OldestFirst) => {
            target.query(query::SORT_CREATED_AT, "1");
        }
        None => {}
    }
    if let Some(id) = &q.property_id {
        target.query(query::PROPERTY_ID, id.as_str());
    }
    if let Some(id) = &q.flat_id {
        target.query(query::FLAT_ID, id.as_str());
    }
    if let Some(kind) = &q.visit_type {
        target.query(query::VISIT_TYPE, kind.as_str());
    }
    if let Some(from) = &q.created_from {
        target.query(query::CREATED_AT_GTE, from.as_str());
    }
    if let Some(until) = &q.created_until {
        target.query(query::CREATED_AT_LTE, until.as_str());
    }
    for (name, value) in &q.extra {
        target.query(name.clone(), value.clone());
    }
    client.dispatch(target, &(), options.clone()).await
}

type PageFuture = Pin<Box<dyn Future<Output = Result<EventLogPage, Error>> + Send>>;

/// Every event-log record matching a query, page after page; from [`ListEvents::stream`].
///
/// A [`Stream`] of `Result<EventLogRecord, Error>`. Without any other crate, read it with
/// [`try_next`](Self::try_next) or [`try_collect`](Self::try_collect); with
/// `futures_util::StreamExt` / `TryStreamExt` every stream combinator works too. See
/// [`ListEvents::stream`] for what it yields while new events arrive.
#[must_use = "streams do nothing unless polled"]
pub struct EventStream {
    client: Client,
    query: EventQuery,
    options: CallOptions,
    next_skip: u64,
    /// Whether `query.created_until` bounds the pages (set by the caller, or by the first page).
    pinned: bool,
    buffer: VecDeque<EventLogRecord>,
    yielded: HashSet<String>,
    in_flight: Option<PageFuture>,
    done: bool,
}

impl EventStream {
    /// The next record, `Ok(None)` at the end.
    pub async fn try_next(&mut self) -> Result<Option<EventLogRecord>, Error> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Every remaining record, or the first error.
    pub async fn try_collect(mut self) -> Result<Vec<EventLogRecord>, Error> {
        let mut all = Vec::new();
        while let Some(record) = self.try_next().await? {
            all.push(record);
        }
        Ok(all)
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("query", &self.query)
            .field("next_skip", &self.next_skip)
            .field("buffered", &self.buffer.len())
            .field("fetching", &self.in_flight.is_some())
            .field("done", &self.done)
            .finish()
    }
}

impl Stream for EventStream {
    type Item = Result<EventLogRecord, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(record) = this.buffer.pop_front() {
                if let Some(id) = &record.id
                    && !this.yielded.insert(id.as_str().to_owned())
                {
                    continue;
                }
                return Poll::Ready(Some(Ok(record)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let future = this.in_flight.get_or_insert_with(|| {
                let client = this.client.clone();
                let query = this.query.clone();
                let options = this.options.clone();
                let skip = this.next_skip;
                Box::pin(
                    async move { fetch(&client, STREAM_CALL, &query, Some(skip), &options).await },
                )
            });
            let page = match future.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(page) => page,
            };
            this.in_flight = None;
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
            };
            let records = page.data.unwrap_or_default();
            if !this.pinned {
                // Pin to the newest record of the first page (ISO-8601 UTC text with
                // milliseconds orders as time does).
                this.pinned = true;
                this.query.created_until = records
                    .iter()
                    .filter_map(|r| r.created_at.as_ref())
                    .max_by(|a, b| a.as_str().cmp(b.as_str()))
                    .cloned();
            }
            let received = records.len() as u64;
            this.next_skip += received;
            let page_size = page.limit.or(this.query.limit);
            this.done = received == 0
                || match page.total {
                    Some(total) => this.next_skip >= total,
                    None => page_size.is_some_and(|size| received < size),
                };
            this.buffer = records.into();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (
            self.buffer.len(),
            if self.done {
                Some(self.buffer.len())
            } else {
                None
            },
        )
    }
}
