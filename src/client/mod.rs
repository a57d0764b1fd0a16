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
//!     .request(buzzin::client::Method::GET, "/events")
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
//! [`IntoFuture`](std::future::IntoFuture), so `.await` on the builder is `.send().await`. A
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
pub(crate) mod builder;
mod accesses;
mod args;
mod attempt;
#[cfg(feature = "blocking")]
mod blocking;
mod body;
mod call;
mod call_names;
mod community_contractors;
mod created;
mod dispatch;
mod failure;
mod flow;
mod hook;
mod logs;
pub(crate) mod operation;
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

use http::header::AUTHORIZATION;
use url::Url;

use crate::Error;

pub use crate::error::{ApiError, DecodeError, ThrottleCause, TimeoutKind};
pub use accesses::{Accesses, CreateQrAccess};
pub use args::{Contact, DeviceSecret, Unit, Validity};
pub use builder::CallFuture;
pub use community_contractors::{CommunityContractors, CreateContractor, UpdateContractor};
pub use created::Created;
pub use hook::{AttemptHook, AttemptRequest, AttemptResponse};
pub use http::header::{HeaderMap, HeaderName, HeaderValue};
pub use http::Method;
pub use logs::{EventStream, ListEvents, Logs, SortOrder};
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

/// A Buzz-In API key. Its [`Debug`](fmt::Debug) and [`Display`](fmt::Display) never show it.
///
/// ```
/// use buzzin::client::ApiKey;
///
/// let key = ApiKey::new("bz_live_secret");
/// assert_eq!(format!("{key:?} {key}"), "ApiKey(<redacted>) <redacted>");
/// assert_eq!(key.expose(), "bz_live_secret");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself. Handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey(key.to_owned())
    }
}

/// Where the API key goes in each request.
///
/// Assumed: the documentation does not state how the key is sent. The default is an
/// `x-api-key` header (a Feathers backend keeps `Authorization` for its JWT strategy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// `x-api-key: <key>` (the default).
    #[default]
    ApiKeyHeader,
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<name>: <key>` with a header name of your choice.
    Header(String),
}

/// How failed attempts are retried. See the [module documentation](self#retries) for which
/// failures are retried for which operations.
///
/// ```
/// use std::time::Duration;
/// use buzzin::client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(2));
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(RetryPolicy::never().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms up to 5 s, `Retry-After` honoured up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The ceiling of the first backoff; it doubles with each retry. The wait itself is
    /// random between zero and the ceiling (full jitter).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff ceiling.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` (on 429 and 503) the client waits out before retrying (30 s
    /// by default). When Buzz-In asks for more, or the wait would pass the call's deadline, the
    /// call fails at once: a 429 as [`Error::RateLimited`] with the requested `retry_after`,
    /// for the caller to schedule; a 503 as [`Error::Server`].
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Attempts in all.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }
}

/// Settings of one call that override the client's; see each builder's `timeout`, `deadline`
/// and `retry_policy`.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
}

/// Builds a [`Client`]. Start from [`Client::builder`] or [`ClientBuilder::from_env`].
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    base_url: Option<String>,
    auth: Auth,
    timeout: Duration,
    deadline: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    app_name: Option<String>,
    max_response_body: usize,
    configure_http: Option<ConfigureHttp>,
    rate_limit: Option<(u32, Duration)>,
    default_headers: Vec<(String, String)>,
    attempt_hook: Option<Arc<dyn AttemptHook>>,
}

/// A caller's adjustments to the `reqwest::ClientBuilder` the SDK builds from.
type ConfigureHttp = Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>;

/// The largest 2xx body the client reads by default: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url.as_deref().map(redact_userinfo))
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("app_name", &self.app_name)
            .field("max_response_body", &self.max_response_body)
            .field("configure_http", &self.configure_http.is_some())
            .field("rate_limit", &self.rate_limit)
            .field(
                "default_headers",
                &self
                    .default_headers
                    .iter()
                    .map(|(n, _)| n)
                    .collect::<Vec<_>>(),
            )
            .field("attempt_hook", &self.attempt_hook.is_some())
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: None,
            auth: Auth::default(),
            timeout: Duration::from_secs(30),
            deadline: None,
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            app_name: None,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            configure_http: None,
            rate_limit: None,
            default_headers: Vec::new(),
            attempt_hook: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the key from `BUZZIN_API_KEY` and the base URL from `BUZZIN_BASE_URL`
    /// (when set and not empty). Without a key the client builds, and every call but the NFC
    /// visit fails with [`Error::MissingApiKey`] without being sent.
    pub fn from_env() -> Self {
        let mut builder = ClientBuilder::default();
        if let Some(key) = std::env::var("BUZZIN_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
        {
            builder.api_key = Some(ApiKey(key));
        }
        if let Some(url) = std::env::var("BUZZIN_BASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            builder.base_url = Some(url);
        }
        builder
    }

    /// The API key. Every operation needs it except the NFC visit
    /// ([`Visits::external_nfc`]), which sends it when the client has one: a resident's app
    /// holds no community key, and the NFC tag's `deviceSecret` is the visit's proof. Without a
    /// key, every other call fails with [`Error::MissingApiKey`] and sends nothing. Assumed:
    /// Buzz-In's NFC-visit page shows no key and no 401.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API host, `https://api.buzz-in.co` by default. A path prefix is kept
    /// (`http://localhost:8080/buzzin` → `http://localhost:8080/buzzin/permits`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Where the key goes in each request (`x-api-key` by default).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// The time one attempt may take, from sending to the last byte of the body (30 s by
    /// default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time a whole call may take, all attempts and the waits between them included (no
    /// limit by default beyond what attempts × timeout imply).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The time to establish a connection (10 s by default). Not applied to a caller-supplied
    /// [`reqwest::Client`], which keeps its own settings.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed attempts are retried ([`RetryPolicy::default`] unless set).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Your application's name (and version), appended to the user agent:
    /// `buzzin-rust/0.1.0 gatehouse/2.1`.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// The largest successful response body the client reads (16 MiB by default). A longer
    /// one fails the call with [`Error::ResponseTooLarge`] as soon as the limit is passed, so a
    /// misbehaving server or proxy cannot exhaust memory. Error bodies are read only as far as
    /// the error keeps (64 KiB).
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Adjusts the [`reqwest::ClientBuilder`] the HTTP client is built from: a proxy, TLS
    /// roots, pool or HTTP/2 settings. It starts with this builder's connect timeout, which
    /// `configure` may change.
    ///
    /// Whatever `configure` sets, the client follows **no redirect**: a 3xx is answered as
    /// [`Error::Redirected`]. A redirect-following client would send the API key (in a header
    /// reqwest does not strip across origins) and the request body, an NFC device secret for
    /// instance, to whatever host the `Location` names, and a 307 would send a gate opening
    /// twice. For the same reason the SDK takes no ready-made `reqwest::Client`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = buzzin::Client::builder()
    ///     .api_key("bz_test_key")
    ///     .configure_http(|http| http.pool_idle_timeout(Duration::from_secs(30)))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), buzzin::Error>(())
    /// ```
    pub fn configure_http(
        mut self,
        configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.configure_http = Some(Arc::new(configure));
        self
    }

    /// Sends at most `requests` requests per `per`, over the client and all its clones (a
    /// token bucket: it starts full, so a burst of `requests` goes at once, then one request
    /// every `per / requests`). Every attempt takes a token, retries included; a call waits for
    /// its token, and fails with [`Error::Throttled`] without sending when the token would come
    /// after its [`deadline`](Self::deadline). A call dropped while it waits gives its token
    /// back. No limit by default.
    ///
    /// Assumed: Buzz-In's documentation states no rate limit; set the one your account has.
    /// Whether or not one is set, a 429 with `Retry-After` pauses every call of the client
    /// until it has passed (see [the module documentation](crate::client#rate-limits)).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = buzzin::Client::builder()
    ///     .api_key("bz_test_key")
    ///     .rate_limit(50, Duration::from_secs(1))
    ///     .build()?;
    /// let for_a_task = client.clone(); // shares the same 50 requests per second
    /// # let _ = for_a_task;
    /// # Ok::<(), buzzin::Error>(())
    /// ```
    pub fn rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.rate_limit = Some((requests, per));
        self
    }

    /// A header sent with every request of the client (a tenant, a tracing header your proxy
    /// reads). Checked by [`build`](Self::build): an invalid name or value, or a header the
    /// client sets itself (the API key's, `authorization`, `proxy-authorization`, `cookie`,
    /// `user-agent` — see [`app_name`](Self::app_name) —, `content-type`, `content-length`,
    /// `transfer-encoding`, `host`, `connection`), fails it with [`Error::InvalidHeader`]. A
    /// second header of the same name replaces the first. The values are never logged.
    ///
    /// ```
    /// let client = buzzin::Client::builder()
    ///     .api_key("bz_test_key")
    ///     .default_header("x-tenant", "damac")
    ///     .build()?;
    /// # let _ = client;
    /// let refused = buzzin::Client::builder()
    ///     .api_key("bz_test_key")
    ///     .default_header("x-api-key", "another key")
    ///     .build();
    /// assert!(matches!(refused, Err(buzzin::Error::InvalidHeader { .. })));
    /// # Ok::<(), buzzin::Error>(())
    /// ```
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// A hook called on every attempt: before it is sent, to add headers (a correlation id),
    /// and with its answer's status. It cannot see or change the API key, make the client
    /// follow a redirect, or change whether an operation is re-sent; see [`AttemptHook`].
    pub fn attempt_hook(mut self, hook: impl AttemptHook) -> Self {
        self.attempt_hook = Some(Arc::new(hook));
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if self
            .api_key
            .as_ref()
            .is_some_and(|key| key.0.trim().is_empty())
        {
            return Err(Error::Config("the API key is empty".into()));
        }
        let auth_name = match &self.auth {
            Auth::ApiKeyHeader => HeaderName::from_static("x-api-key"),
            Auth::Bearer => AUTHORIZATION,
            Auth::Header(name) => HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Config(format!("`{name}` is not a valid HTTP header name")))?,
        };
        let auth_value = match &self.api_key {
            None => None,
            Some(key) => {
                let text = match &self.auth {
                    Auth::Bearer => format!("Bearer {}", key.0),
                    _ => key.0.clone(),
                };
                // The error deliberately does not echo the key.
                let mut value = HeaderValue::from_str(&text).map_err(|_| {
                    Error::Config(
                        "the API key contains characters not allowed in an HTTP header".into(),
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };

        let user_agent = match &self.app_name {
            Some(app) => format!("{USER_AGENT} {app}"),
            None => USER_AGENT.to_owned(),
        };
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::Config("the app name contains characters not allowed in a user agent".into())
        })?;

        let mut default_headers = HeaderMap::new();
        for (name, value) in &self.default_headers {
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::InvalidHeader {
                    name: None,
                    reason: "is not a valid HTTP header name",
                })?;
            hook::check_own_header(&name, Some(&auth_name))?;
            let value = HeaderValue::from_str(value).map_err(|_| Error::InvalidHeader {
                name: Some(name.as_str().to_owned()),
                reason: "has a value with characters not allowed in an HTTP header",
            })?;
            default_headers.insert(name, value);
        }

        let base_url = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;

        let mut http = reqwest::Client::builder().connect_timeout(self.connect_timeout);
        if let Some(configure) = &self.configure_http {
            http = configure(http);
        }
        // Last, so that no configuration can undo it: see `configure_http`.
        let http = http
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth_name,
                auth_value,
                auth: self.auth,
                user_agent,
                timeout: self.timeout,
                deadline: self.deadline,
                retry: self.retry,
                max_response_body: self.max_response_body,
                flow: flow::FlowControl::new(self.rate_limit),
                default_headers,
                attempt_hook: self.attempt_hook,
            }),
        })
    }
}

fn parse_base_url(text: &str) -> Result<Url, Error> {
    // The text is never echoed: a key pasted in the wrong place must not reach a log.
    let mut url = Url::parse(text.trim())
        .map_err(|e| Error::Config(format!("the base URL is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::Config(
            "the base URL is not an http(s) URL with a host".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "the base URL must not carry credentials".into(),
        ));
    }
    url.set_query(None);
    url.set_fragment(None);
    // Keep a path prefix, without its trailing slash.
    if url.path().ends_with('/') {
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(&trimmed);
    }
    Ok(url)
}

/// The Buzz-In client. Cheap to clone; all clones share one connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), buzzin::Error> {
/// let client = buzzin::Client::from_env()?;
/// let answer: serde_json::Value = client
///     .request(buzzin::client::Method::GET, "/permits/66f0a1b2c3d4e5f600000abc")
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

/// A base URL for `Debug`, with any `user:password@` replaced.
fn redact_userinfo(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("redacted");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<not a URL: not shown>".to_owned(),
    }
}
