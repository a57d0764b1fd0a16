//! A [`DeliveryStore`] on Redis, shared by every replica of a receiver.
//!
//! ```no_run
//! use std::time::Duration;
//! use buzzin::webhooks::store::redis::RedisStore;
//! use buzzin::webhooks::Delivery;
//! use buzzin::webhooks::store::handle_once;
//!
//! # async fn run(delivery: Delivery) -> Result<(), buzzin::webhooks::store::StoreError> {
//! let store = RedisStore::connect("redis://127.0.0.1:6379/0")
//!     .await?
//!     .prefix("myapp:buzzin:");
//! // For each verified delivery: handled once across every replica sharing this Redis.
//! let outcome = handle_once(&store, &delivery.dedup_key(), Duration::from_secs(60), |lease| async move {
//!     // the work; `lease.fence()` lets your own storage refuse a stale writer
//!     let _ = lease;
//!     Ok::<(), std::io::Error>(())
//! })
//! .await;
//! let status = outcome.status(); // answer Buzz-In with it
//! # let _ = status;
//! # Ok(())
//! # }
//! ```
//!
//! **Durability.** A Redis without persistence forgets every completed delivery when it
//! restarts: repeats of those deliveries are then handled again. Run it with `appendonly yes`
//! (acknowledged writes survive a crash of the Redis process) or with a replica to fail over to.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::{check_key, Claim, DeliveryStore, Lease, StoreError, StoreFuture, DEFAULT_RETENTION};

/// A [`DeliveryStore`] on Redis: two keys per delivery, so every receiver connected to the same
/// Redis sees the same claims.
///
/// - `<prefix>{<key>}` holds the current lease's token (expiring with Redis's own clock, `PX`)
///   or `done` (for the [retention](Self::retention) period, default 72 hours,
///   [`DEFAULT_RETENTION`], assumed: Buzz-In's retry window is not
///   documented).
/// - `<prefix>{<key>}:fence` counts the key's `New` claims (the [fence](Lease::fence)); it
///   outlives the lease by the retention period, so the fence keeps increasing after a lease
///   runs out.
///
/// Both keys of a delivery share one hash tag `{…}` (one Redis Cluster slot). Each operation is
/// one script sent by digest (`EVALSHA`, loaded again after a Redis restart) that compares the
/// lease's token and acts in one step: a claim sets the token with `PX` and counts the fence;
/// `complete`, `release` and `extend` act only while the caller's lease is current (the key
/// holds its token, or the lease ran out and no claim came since: the fence is still its
/// fence), and otherwise fail with [`is_lease_lost`](StoreError::is_lease_lost).
///
/// **Stalls.** A lease that ran out is taken over only once Redis has run for
/// a grace of 250 ms past it (the first claim to see it notes the time in the key, and asks
/// again after the grace: such a claim takes 250 ms to 500 ms longer). So when Redis itself
/// stalls past a lease (a `DEBUG SLEEP`, a fork, a paused VM), the holder's `complete` or
/// `extend` that was waiting for it runs before any other replica can take the lease, whichever
/// connection Redis reads first when it wakes: the delivery is done once, not redone. A
/// released lease is taken at once. Needs Redis 5 or later (a script that reads `TIME` and
/// writes). Memory is bounded
/// by the deliveries of the retention period, keys of at most
/// [`MAX_STORE_KEY_LEN`](super::MAX_STORE_KEY_LEN) bytes plus the [prefix](Self::prefix)
/// (default `buzzin:delivery:`).
///
/// **Reconnects.** The connection is a `redis` [`ConnectionManager`]: after Redis restarts or a
/// connection drops, it reconnects in the background (retrying every 50 ms to 500 ms), and
/// operations fail with a [`StoreError`] (answer 503) until it is back, each within the
/// [response timeout](RedisConfig::response_timeout).
///
/// **Timeouts.** An operation that gets no answer within the response timeout fails. A claim
/// that timed out may still run on Redis later, leaving a lease nobody holds: the store then
/// sends a release for that claim's token in the background, retrying until Redis answers (for
/// at most the lease). A release that Redis runs after the claim frees the lease, so the
/// delivery's retries are handled. What it cannot cover: Redis unreachable for the whole lease
/// (the orphan lease then runs out by itself, and retries get [`Claim::InProgress`], 409, until
/// then), or a release that reaches Redis before the delayed claim (a new connection's release
/// overtaking the old connection's claim; the same, for one lease).
///
/// **Durability.** Without persistence, a Redis restart forgets completed deliveries (they may
/// be handled again) and resets fences: run Redis with `appendonly yes`, or with a replica.
///
/// Cloning shares the connection (multiplexed: commands from many tasks are pipelined on it).
/// `Debug` shows neither the URL nor its password.
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    prefix: String,
    retention: Duration,
    response_timeout: Duration,
}

#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    #[cfg(feature = "redis-cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

/// How a [`RedisStore`] connects: timeouts, and (with `redis-tls`) the certificate authorities a
/// `rediss://` server's certificate is checked against.
///
/// `Debug` shows whether root certificates are set, never their bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    connect_timeout: Duration,
    response_timeout: Duration,
    root_certificates: Option<Vec<u8>>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("root_certificates", &self.root_certificates.is_some())
            .finish()
    }
}

impl RedisConfig {
    /// The defaults: connect timeout 1 s, response timeout 1 s.
    pub fn new() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            root_certificates: None,
        }
    }

    /// Checks a `rediss://` server's certificate against these certificate authorities only
    /// (PEM, one or more certificates) instead of the system's roots: for a managed Redis, or
    /// one of your own, whose certificate a private CA signed. The host name in the URL must
    /// match the certificate. A PEM that does not parse fails [`RedisStore::connect_with`] (or
    /// [`connect_cluster`](RedisStore::connect_cluster)); a URL with `redis://` then fails too,
    /// since certificates imply TLS.
    #[cfg(feature = "redis-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-tls")))]
    pub fn root_certificates(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates = Some(pem.into());
        self
    }

    /// How long one connection attempt may take (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long an operation may wait for Redis's answer, waiting for a reconnection included
    /// (default 1 s). Shorter than the time Buzz-In waits for an answer.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout_value(&self) -> Duration {
        self.connect_timeout
    }

    /// The response timeout.
    pub fn response_timeout_value(&self) -> Duration {
        self.response_timeout
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// How long Redis runs past a lease that ran out before another claim takes it over: the
/// holder's `complete` or `extend` that was waiting on a stalled Redis comes in first.
const TAKEOVER_GRACE: Duration = Duration::from_millis(250);

/// Claims `KEYS[1]` for `ARGV[1]` ms with token `ARGV[2]`, counting the fence in `KEYS[2]`
/// (kept `ARGV[3]` ms): the fence (> 0) when new, -1 in progress, -2 done, -3 when a lease ran
/// out less than `ARGV[4]` ms ago by Redis's clock. A lease that ran out unnoticed leaves
/// `KEYS[1]` gone and the fence above 0: the first claim to see it (its `INCR` of the fence
/// gives more than one) takes the count back and notes the time, `ro:<ms>`. A released lease
/// is `ro:0`. The common case, a delivery's first claim, is `SET NX`, `INCR`, `PEXPIRE`.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[1]) then
  local f = redis.call('INCR', KEYS[2])
  if f == 1 then
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    return 1
  end
  redis.call('DECR', KEYS[2])
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], 'ro:' .. (t[1] * 1000 + math.floor(t[2] / 1000)), 'PX', ARGV[3])
  return -3
end
local v = redis.call('GET', KEYS[1])
if v == 'done' then return -2 end
if string.sub(v, 1, 3) ~= 'ro:' then return -1 end
local t = redis.call('TIME')
if t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(string.sub(v, 4)) < tonumber(ARGV[4]) then return -3 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
local f = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return f",
    )
});

/// `true` when the lease (token `ARGV[1]`, fence `ARGV[2]`) is current: `KEYS[1]` holds its
/// token, or it ran out and no claim came since (`KEYS[1]` is gone or `ro:…`, and the fence
/// `KEYS[2]` is still its fence).
macro_rules! current {
    () => {
        "local v = redis.call('GET', KEYS[1])
if v ~= ARGV[1] and ((v and string.sub(v, 1, 3) ~= 'ro:') or redis.call('GET', KEYS[2]) ~= ARGV[2]) then return 0 end
"
    };
}

/// Sets `KEYS[1]` to done for `ARGV[3]` ms if the lease is current: 1, or 0 (lease lost).
static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        current!(),
        "redis.call('SET', KEYS[1], 'done', 'PX', ARGV[3])
return 1"
    ))
});

/// Frees `KEYS[1]` (`ro:0`, kept `ARGV[3]` ms: the next claim takes it at once) if the lease
/// is current, and counts the fence `KEYS[2]` on (so the released lease is no longer current):
/// 1, or 0 (lease lost).
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        current!(),
        "redis.call('SET', KEYS[1], 'ro:0', 'PX', ARGV[3])
redis.call('INCR', KEYS[2])
return 1"
    ))
});

/// Holds `KEYS[1]` for `ARGV[3]` ms more, and the fence `KEYS[2]` for `ARGV[4]` ms, if the lease
/// is current: 1, or 0 (lease lost).
static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        current!(),
        "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1"
    ))
});

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://[user:password@]host:port/db`, or `rediss://`
    /// with the `redis-tls` feature) with the default [`RedisConfig`].
    ///
    /// The error never shows the URL (it may hold a password).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, RedisConfig::new()).await
    }

    /// Connects to the Redis at `url` with `config`'s timeouts.
    pub async fn connect_with(url: &str, config: RedisConfig) -> Result<Self, StoreError> {
        install_crypto_provider();
        let client = open_client(url, &config)
            .map_err(|e| StoreError::with_source("the Redis URL is not usable", Redacted(e)))?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.response_timeout))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500))
            .set_number_of_retries(2);
        let connection = tokio::time::timeout(
            config.connect_timeout.saturating_mul(2),
            ConnectionManager::new_with_config(client, manager),
        )
        .await
        .map_err(|_| StoreError::new("could not connect to Redis: timed out"))?
        .map_err(|e| StoreError::with_source("could not connect to Redis", Redacted(e)))?;
        Ok(Self::with_connection(
            Connection::Single(connection),
            &config,
        ))
    }

    /// Connects to the Redis Cluster whose nodes (some or all) are at `urls`.
    ///
    /// Both keys of a claim share a hash tag, so each operation is one script on one node; the
    /// connection follows `MOVED` redirections and reconnects to a node that restarted.
    #[cfg(feature = "redis-cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-cluster")))]
    pub async fn connect_cluster<'u>(
        urls: impl IntoIterator<Item = &'u str>,
        config: RedisConfig,
    ) -> Result<Self, StoreError> {
        install_crypto_provider();
        let urls: Vec<&str> = urls.into_iter().collect();
        let builder = redis::cluster::ClusterClient::builder(urls)
            .connection_timeout(config.connect_timeout)
            .response_timeout(config.response_timeout);
        #[cfg(feature = "redis-tls")]
        let builder = match &config.root_certificates {
            Some(pem) => builder.certs(redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.clone()),
            }),
            None => builder,
        };
        let client = builder
            .build()
            .map_err(|e| StoreError::with_source("the Redis URLs are not usable", Redacted(e)))?;
        let connection = tokio::time::timeout(
            config.connect_timeout.saturating_mul(2),
            client.get_async_connection(),
        )
        .await
        .map_err(|_| StoreError::new("could not connect to the Redis Cluster: timed out"))?
        .map_err(|e| {
            StoreError::with_source("could not connect to the Redis Cluster", Redacted(e))
        })?;
        Ok(Self::with_connection(
            Connection::Cluster(connection),
            &config,
        ))
    }

    fn with_connection(connection: Connection, config: &RedisConfig) -> Self {
        Self {
            connection,
            prefix: "buzzin:delivery:".to_owned(),
            retention: DEFAULT_RETENTION,
            response_timeout: config.response_timeout,
        }
    }

    /// Sets the prefix of every key this store writes (default `buzzin:delivery:`): receivers of
    /// different endpoints sharing one Redis use different prefixes. On a Redis Cluster it must
    /// not hold `{`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets how long a completed delivery is remembered (default 72 hours,
    /// [`DEFAULT_RETENTION`]): longer than Buzz-In's retry period.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The key prefix.
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// How long a completed delivery is remembered.
    pub fn retention_period(&self) -> Duration {
        self.retention
    }

    /// The delivery's key and its fence key, one hash tag.
    fn keys(&self, key: &str) -> Result<(String, String), StoreError> {
        check_key(key)?;
        let state = format!("{}{{{key}}}", self.prefix);
        let fence = format!("{state}:fence");
        Ok((state, fence))
    }

    /// Runs `script`, bounded by the response timeout.
    async fn invoke(
        &self,
        what: &'static str,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<i64, StoreError> {
        let run = async {
            match self.connection.clone() {
                Connection::Single(mut c) => script.invoke_async::<i64>(&mut c).await,
                #[cfg(feature = "redis-cluster")]
                Connection::Cluster(mut c) => script.invoke_async::<i64>(&mut c).await,
            }
        };
        match tokio::time::timeout(self.response_timeout, run).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) if e.is_timeout() => Err(StoreError::with_source(
                format!("{what}: Redis did not answer in time"),
                Redacted(e),
            )),
            Ok(Err(e)) => Err(StoreError::with_source(what, Redacted(e))),
            Err(_) => Err(StoreError::new(format!(
                "{what}: Redis did not answer in time"
            ))),
        }
    }

    fn fence_ttl(&self, lease_for: Duration) -> u64 {
        millis(lease_for).saturating_add(millis(self.retention))
    }

    /// Releases the token of a claim that failed on the client (it may have run on Redis),
    /// trying until Redis answers, for at most the lease (it runs out by then anyway).
    async fn release_orphan(&self, state: &str, fence_key: &str, token: u64, lease_for: Duration) {
        // At most 50 tries: a lease too long for the clock needs no deadline.
        let until = tokio::time::Instant::now().checked_add(lease_for);
        let mut pause = Duration::from_millis(50);
        for _ in 0..50 {
            if self.release_token(state, fence_key, token, 0).await.is_ok()
                || until.is_some_and(|until| tokio::time::Instant::now() + pause >= until)
            {
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// Releases the lease with `token` and `fence` (0 when not known: then only while the key
    /// holds the token).
    async fn release_token(
        &self,
        state: &str,
        fence_key: &str,
        token: u64,
        fence: u64,
    ) -> Result<i64, StoreError> {
        let mut invocation = RELEASE.key(state);
        invocation
            .key(fence_key)
            .arg(token)
            .arg(fence)
            .arg(millis(self.retention));
        self.invoke("releasing failed", &invocation).await
    }
}

/// A client for `url`, trusting `config`'s root certificates when set.
fn open_client(url: &str, config: &RedisConfig) -> redis::RedisResult<redis::Client> {
    #[cfg(feature = "redis-tls")]
    if let Some(pem) = &config.root_certificates {
        return redis::Client::build_with_tls(
            url,
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.clone()),
            },
        );
    }
    let _ = config;
    redis::Client::open(url)
}

/// Installs rustls's process-wide crypto provider (aws-lc-rs) unless one is installed, so that
/// `rediss://` connections do not fail at run time when several providers are compiled in.
fn install_crypto_provider() {
    #[cfg(feature = "redis-tls")]
    {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Another thread may install one at the same time: either is fine.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
    }
}

/// Milliseconds for `PX`: at least 1, at most what Redis takes.
fn millis(span: Duration) -> u64 {
    span.as_millis().clamp(1, i64::MAX as u128 / 4) as u64
}

fn lease_outcome(answer: i64) -> Result<(), StoreError> {
    match answer {
        1 => Ok(()),
        0 => Err(StoreError::lease_lost()),
        other => Err(StoreError::new(format!("the script answered {other}"))),
    }
}

impl DeliveryStore for RedisStore {
    fn claim<'a>(&'a self, key: &'a str, lease_for: Duration) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let (state, fence) = self.keys(key)?;
            let token = fastrand::u64(..);
            let mut invocation = CLAIM.key(&state);
            invocation
                .key(&fence)
                .arg(millis(lease_for))
                .arg(token)
                .arg(self.fence_ttl(lease_for))
                .arg(millis(TAKEOVER_GRACE));
            // A lease that ran out is taken over once Redis has run TAKEOVER_GRACE past it:
            // ask again after that (twice at most: a third `-3` means other claims keep
            // noticing it, and this one answers in progress).
            for round in 0..3 {
                if round > 0 {
                    tokio::time::sleep(TAKEOVER_GRACE).await;
                }
                match self.invoke("the claim failed", &invocation).await {
                    Ok(-1) => return Ok(Claim::InProgress),
                    Ok(-2) => return Ok(Claim::Done),
                    Ok(-3) => {}
                    Ok(f) if f > 0 => return Ok(Claim::New(Lease::new(key, f as u64, token))),
                    Ok(other) => {
                        return Err(StoreError::new(format!(
                            "the claim script answered {other}"
                        )))
                    }
                    Err(e) => {
                        // The claim may still run on Redis: release its token after it, so
                        // that no lease nobody holds blocks this delivery's retries.
                        let store = self.clone();
                        tokio::spawn(async move {
                            store.release_orphan(&state, &fence, token, lease_for).await
                        });
                        return Err(e);
                    }
                }
            }
            Ok(Claim::InProgress)
        })
    }

    fn complete<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (state, fence) = self.keys(lease.key())?;
            let mut invocation = COMPLETE.key(&state);
            invocation
                .key(&fence)
                .arg(lease.token())
                .arg(lease.fence())
                .arg(millis(self.retention));
            lease_outcome(self.invoke("completing failed", &invocation).await?)
        })
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (state, fence) = self.keys(lease.key())?;
            let answer = self
                .release_token(&state, &fence, lease.token(), lease.fence())
                .await?;
            lease_outcome(answer)
        })
    }

    fn extend<'a>(&'a self, lease: &'a Lease, lease_for: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (state, fence) = self.keys(lease.key())?;
            let mut invocation = EXTEND.key(&state);
            invocation
                .key(&fence)
                .arg(lease.token())
                .arg(lease.fence())
                .arg(millis(lease_for))
                .arg(self.fence_ttl(lease_for));
            lease_outcome(self.invoke("extending failed", &invocation).await?)
        })
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("retention", &self.retention)
            .field("response_timeout", &self.response_timeout)
            .finish_non_exhaustive()
    }
}

/// A Redis error shown by its kind and category only: its detail may echo a URL with a password.
struct Redacted(redis::RedisError);

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.code() {
            Some(code) => write!(f, "{} ({code})", self.0.category()),
            None => write!(f, "{}", self.0.category()),
        }
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisError({:?}: {self})", self.0.kind())
    }
}

impl std::error::Error for Redacted {}
