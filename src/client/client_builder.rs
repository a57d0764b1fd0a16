//! Builds a [`Client`]: the settings, checked once, and the HTTP client under them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use url::Url;

use super::{
    flow, hook, ApiKey, AttemptHook, Auth, Client, Inner, RetryPolicy, DEFAULT_BASE_URL, USER_AGENT,
};
use crate::Error;

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
    /// ([`Visits::external_nfc`](super::Visits::external_nfc)), which sends it when the client has one: a resident's app
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
