//! The typed async client: one [`Client`] per API key, one builder per operation, `send()` last.
//!
//! ```no_run
//! # async fn run() -> Result<(), buzzin::Error> {
//! use std::time::Duration;
//! use buzzin::client::{Auth, Client, RetryPolicy};
//!
//! let client = Client::builder()
//!     .api_key("bz_live_…")
//!     .auth(Auth::ApiKeyHeader) // the default: `x-api-key: <key>`
//!     .timeout(Duration::from_secs(10)) // per attempt
//!     .deadline(Duration::from_secs(30)) // the whole call, retries included
//!     .retry_policy(RetryPolicy::default().max_attempts(4))
//!     .app_name("gatehouse/2.1")
//!     .build()?;
//!
//! // Anything the SDK does not cover yet: the raw escape hatch.
//! let page: serde_json::Value = client
//!     .request(buzzin::reqwest::Method::GET, "/events")
//!     .query("$limit", "10")
//!     .send()
//!     .await?;
//! # let _ = page;
//! # Ok(()) }
//! ```
//!
//! # Resources
//!
//! | Accessor | Operations |
//! |---|---|
//! | [`Client::logs`] | [`events`](Logs::events) → [`send`](ListEvents::send) (one page) or [`stream`](ListEvents::stream) (all) |
//! | [`Client::accesses`] | [`create_qr`](Accesses::create_qr) |
//! | [`Client::property_managers`] | [`create`](PropertyManagers::create), [`update`](PropertyManagers::update) |
//! | [`Client::visits`] | [`external_nfc`](Visits::external_nfc) |
//! | [`Client::community_contractors`] | [`create`](CommunityContractors::create), [`revoke`](CommunityContractors::revoke), [`approve`](CommunityContractors::approve) |
//! | [`Client::permits`] | [`create`](Permits::create), [`get`](Permits::get), [`get_many`](Permits::get_many), [`update_validity`](Permits::update_validity), [`replace_noc`](Permits::replace_noc) |
//! | [`Client::passes`] | [`revoke`](Passes::revoke), [`reissue`](Passes::reissue), [`submit`](Passes::submit) |
//!
//! Required fields are arguments, optional ones builder methods; each create or update also
//! takes its whole request model (`create_from`, `update_from`, …) and every builder can add
//! JSON fields the SDK does not type (`extra`). Rules the documentation states are checked
//! before anything is sent ([`Error::InvalidRequest`]).
//!
//! A [`Client`] is cheap to clone (an [`Arc`] inside), shares one connection pool, and is
//! `Send + Sync`: build it once and clone it into every task.
//!
//! # Spawning and awaiting
//!
//! Every builder holds its own clone of the client, so a call borrows nothing: its `send()`
//! future is `Send + 'static` and can be spawned, and every builder is
//! [`IntoFuture`], so `.await` on the builder is `.send().await`. A
//! create answers [`Created`], whose [`id`](Created::id) needs no unwrapping.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use wiremock::{matchers, Mock, MockServer, ResponseTemplate};
//! # let server = MockServer::start().await;
//! # Mock::given(matchers::method("GET")).and(matchers::path("/permits/66f0a1b2c3d4e5f600000abc"))
//! #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
//! #         {"_id": "66f0a1b2c3d4e5f600000abc", "status": 1, "statusName": "ACCEPTED"})))
//! #     .mount(&server).await;
//! # let client = buzzin::Client::builder().api_key("key").base_url(server.uri()).build()?;
//! use buzzin::models::PermitState;
//!
//! let id = "66f0a1b2c3d4e5f600000abc";
//! let in_background = tokio::spawn(client.permits().get(id).send());
//! let permit = client.permits().get(id).await?;
//! assert_eq!(permit.state(), PermitState::Accepted);
//! assert_eq!(in_background.await??, permit);
//! # Ok(()) }
//! ```
//!
//! # Retries
//!
//! A failed attempt is re-sent only when that cannot hurt anyone. Reads and idempotent updates
//! are retried on a connect error, a timeout, a broken connection, 408, 429 and 5xx (except 501
//! and 505). Creates that Buzz-In refuses to duplicate are retried the same way, and a 409 that
//! follows such a retry says the earlier attempt may have created the record
//! ([`ApiError::may_have_been_created_by_earlier_attempt`]).
//! Operations with a physical or non-repeatable effect (the NFC visit opens a gate, a pass
//! reissue mints a new code, a NOC replacement adds to the history, a QR access is not known to
//! be deduplicated) are re-sent only after a connect error, which proves the request never
//! left. Waits are full-jitter exponential backoff, or what `Retry-After` asks on 429 and
//! 503 (seconds or an HTTP date) up to [`RetryPolicy::max_retry_after`].
//!
//! # Rate limits
//!
//! A 429 that carries `Retry-After` pauses **every** call of the client, all its clones
//! included, until the wait has passed: no attempt is sent meanwhile, so 64 tasks sharing a
//! throttled client wait together instead of each collecting its own 429. A call whose
//! [deadline](ClientBuilder::deadline) would pass first, or that would wait longer than its
//! [`RetryPolicy::max_retry_after`], fails at once with [`Error::Throttled`], sending nothing.
//! The shared pause lasts at most the client's own [`RetryPolicy::max_retry_after`] (30 s by
//! default): a `Retry-After` of a day pauses the other calls for 30 s, after which the next
//! attempt asks again; the call that got it fails with [`Error::RateLimited`], which
//! carries the whole wait Buzz-In asked for.
//! [`ClientBuilder::rate_limit`] keeps the client under a rate of your choice (a token bucket
//! shared by the clones). Assumed: Buzz-In's documentation states neither its limits nor its
//! use of `Retry-After`; the client honours the header as RFC 9110 defines it.
//!
//! # Without an async runtime
//!
//! With the `blocking` feature every builder also has `send_blocking()`, for scripts and
//! synchronous services. It runs the call on a small runtime the SDK owns; called inside an
//! async runtime it answers [`Error::BlockingInsideRuntime`] instead of stalling it.
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn run() -> Result<(), buzzin::Error> {
//! let client = buzzin::Client::from_env()?;
//! let permit = client.permits().get("66f0a1b2c3d4e5f600000abc").send_blocking()?;
//! println!("{}", permit.state());
//! # Ok(()) }
//! ```
//!
//! # Tracing
//!
//! Spans follow the OpenTelemetry HTTP client semantic conventions (stable). Every call runs in
//! an `INFO` span `buzzin.call` with `buzzin.operation`, the spec's operationId (`getPermit`;
//! `request` for [`Client::request`]), covering all its attempts and the waits between them,
//! and `error.type` when it fails. Every attempt runs in a child `INFO` span `buzzin.request`
//! named `{method} {url.template}` through `otel.name` (`GET /permits/{id}`: never an id; the
//! method alone for a raw request), with `otel.kind = client`, `http.request.method`,
//! `server.address`, `server.port`, `url.template`, `http.response.status_code`,
//! `http.request.resend_count` (from the second attempt on) and `error.type` on failure (the
//! status code, or `timeout`, `connect`, `transport`, `redirected`, `response_too_large`). Each
//! retry is a `DEBUG` event with its delay and `error.type`. No request header, body, query,
//! id or key is ever recorded. With the `metrics` feature, the same calls are measured through
//! the `metrics` facade (see the README's "Observability").

#[macro_use]
pub(crate) mod operation_methods;
mod accesses;
mod api_error;
mod args;
mod attempt;
#[cfg(feature = "blocking")]
mod blocking;
mod body;
mod call;
mod client_builder;
mod community_contractors;
mod config;
mod created;
mod dispatch;
pub(crate) mod error;
mod failure;
mod flow;
mod hook;
mod logs;
mod passes;
mod permits;
mod property_managers;
mod raw;
pub(crate) mod retry;
mod retry_after;
mod telemetry;
mod transport;
mod validate;
mod visits;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::Method;
use url::Url;

use crate::Error;

pub use accesses::{Accesses, CreateQrAccess};
pub use api_error::{ApiError, DecodeError};
pub use args::{Contact, DeviceSecret, Unit, Validity};
pub use client_builder::{ClientBuilder, DEFAULT_MAX_RESPONSE_BODY};
pub use community_contractors::{CommunityContractors, CreateContractor, UpdateContractor};
pub(crate) use config::CallOptions;
pub use config::{ApiKey, Auth, RetryPolicy};
pub use created::Created;
pub use error::{ThrottleCause, TimeoutKind};
pub use hook::{AttemptHook, AttemptRequest, AttemptResponse};
pub use logs::{EventStream, ListEvents, Logs, SortOrder};
pub use operation_methods::CallFuture;
pub use passes::{Passes, UpdatePass};
pub use permits::{
    CreatePermit, GetManyPermits, GetPermit, Permits, ReplaceNoc, UpdateValidity,
    DEFAULT_GET_MANY_CONCURRENCY,
};
pub use property_managers::{CreatePropertyManager, PropertyManagers, UpdatePropertyManager};
pub use raw::RawRequest;
pub use visits::{ExternalNfcVisit, Visits};

/// The host Buzz-In documents (`https://api.buzz-in.co`), used unless a base URL is given.
pub const DEFAULT_BASE_URL: &str = "https://api.buzz-in.co";

/// The user agent sent with every request, before the optional app name.
pub const USER_AGENT: &str = concat!("buzzin-rust/", env!("CARGO_PKG_VERSION"));

/// The Buzz-In client. Cheap to clone; all clones share one connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), buzzin::Error> {
/// let client = buzzin::Client::from_env()?;
/// let answer: serde_json::Value = client
///     .request(buzzin::reqwest::Method::GET, "/permits/66f0a1b2c3d4e5f600000abc")
///     .send().await?;
/// # let _ = answer;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    auth_name: HeaderName,
    /// The key's header value; `None` when the client was built without a key.
    auth_value: Option<HeaderValue>,
    auth: Auth,
    user_agent: HeaderValue,
    timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    max_response_body: usize,
    flow: flow::FlowControl,
    default_headers: HeaderMap,
    attempt_hook: Option<Arc<dyn AttemptHook>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url.as_str())
            .field("auth", &inner.auth)
            .field(
                "api_key",
                &if inner.auth_value.is_some() {
                    "<redacted>"
                } else {
                    "none"
                },
            )
            .field("user_agent", &inner.user_agent)
            .field("timeout", &inner.timeout)
            .field("deadline", &inner.deadline)
            .field("retry", &inner.retry)
            .finish()
    }
}

impl Client {
    /// A builder with the defaults: `https://api.buzz-in.co`, `x-api-key`, 30 s per attempt,
    /// 10 s to connect, [`RetryPolicy::default`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `BUZZIN_API_KEY` and, when set, `BUZZIN_BASE_URL`
    /// (default `https://api.buzz-in.co`).
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// A request to any path, for what the SDK does not cover yet: `path` is relative to the
    /// base URL (`"/permits/66f0…"`), auth, user agent, timeouts and tracing apply as for every
    /// call. A `GET` is retried like a read; other methods are re-sent only after a connect
    /// error unless marked [`idempotent`](RawRequest::idempotent).
    pub fn request(&self, method: Method, path: impl Into<String>) -> RawRequest {
        RawRequest::new(self.clone(), method, path.into())
    }

    /// Event logs of gates and doors (`GET /events`).
    pub fn logs(&self) -> Logs<'_> {
        Logs::new(self)
    }

    /// QR accesses for visitors (`POST /accesses`).
    pub fn accesses(&self) -> Accesses<'_> {
        Accesses::new(self)
    }

    /// Property-manager users (`POST /users`, `PATCH /users/{id}`).
    pub fn property_managers(&self) -> PropertyManagers<'_> {
        PropertyManagers::new(self)
    }

    /// The external NFC visit that opens a gate for a resident (`POST /visits`).
    pub fn visits(&self) -> Visits<'_> {
        Visits::new(self)
    }

    /// DAMAC work-permit contractors (`/communityContractors`).
    pub fn community_contractors(&self) -> CommunityContractors<'_> {
        CommunityContractors::new(self)
    }

    /// DAMAC NOC / fit-out work permits (`/permits`).
    pub fn permits(&self) -> Permits<'_> {
        Permits::new(self)
    }

    /// Actions on the QR pass of a permit (`PATCH /passes/{id}`).
    pub fn passes(&self) -> Passes<'_> {
        Passes::new(self)
    }
}
