//! A [`DeliveryStore`] on Redis, shared by every replica of a receiver.
//!
//! ```no_run
//! use std::time::Duration;
//! use buzzin::webhooks::redis::RedisStore;
//! use buzzin::webhooks::{Claim, DeliveryStore};
//!
//! # async fn run() -> Result<(), buzzin::webhooks::StoreError> {
//! let store = RedisStore::connect("redis://127.0.0.1:6379/0")
//!     .await?
//!     .prefix("myapp:buzzin:")
//!     .retention(Duration::from_secs(3 * 24 * 60 * 60));
//! if store.claim("event:66ffaa00bb11cc22dd33ee44", Duration::from_secs(60)).await? == Claim::New {
//!     // handle it, then:
//!     store.complete("event:66ffaa00bb11cc22dd33ee44").await?;
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::store::{check_key, Claim, DeliveryStore, StoreError, StoreFuture};

/// A [`DeliveryStore`] on Redis: one key per delivery, so every receiver connected to the same
/// Redis sees the same claims.
///
/// Each claim is one atomic script: a key holding `done` is [`Claim::Done`], a key holding a
/// lease is [`Claim::InProgress`], and otherwise the key is set to a lease that expires with
/// Redis's own clock (`PX`), so a claim whose handler crashed is [`Claim::New`] again once its
/// lease runs out. [`complete`](DeliveryStore::complete) sets `done` for the
/// [retention](Self::retention) period (default 24 hours); memory is bounded by the deliveries
/// of that period, keys of at most [`MAX_STORE_KEY_LEN`](super::MAX_STORE_KEY_LEN) bytes plus
/// the [prefix](Self::prefix) (default `buzzin:delivery:`).
///
/// Cloning shares the connection (a multiplexed connection: commands from many tasks are
/// pipelined on it). `Debug` shows neither the URL nor its password.
#[derive(Clone)]
pub struct RedisStore {
    connection: MultiplexedConnection,
    prefix: String,
    retention: Duration,
}

/// Claims `KEYS[1]` for `ARGV[1]` milliseconds: 0 new, 1 in progress, 2 done.
const CLAIM: &str = r"
local state = redis.call('GET', KEYS[1])
if state == 'done' then return 2 end
if state then return 1 end
redis.call('SET', KEYS[1], 'lease', 'PX', ARGV[1])
return 0
";

/// Deletes `KEYS[1]` unless it is done.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) ~= 'done' then redis.call('DEL', KEYS[1]) end
return 0
";

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://[user:password@]host:port/db`, or
    /// `rediss://` with TLS when the `redis` crate is built with it).
    ///
    /// The error never shows the URL (it may hold a password).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::with_source("the Redis URL is not usable", Redacted(e)))?;
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| StoreError::with_source("could not connect to Redis", Redacted(e)))?;
        Ok(Self {
            connection,
            prefix: "buzzin:delivery:".to_owned(),
            retention: Duration::from_secs(24 * 60 * 60),
        })
    }

    /// Sets the prefix of every key this store writes (default `buzzin:delivery:`): receivers of
    /// different endpoints sharing one Redis use different prefixes.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets how long a completed delivery is remembered (default 24 hours): longer than
    /// Buzz-In's retry period.
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

    fn key(&self, key: &str) -> Result<String, StoreError> {
        check_key(key)?;
        Ok(format!("{}{key}", self.prefix))
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        what: &'static str,
        cmd: redis::Cmd,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        cmd.query_async(&mut connection)
            .await
            .map_err(|e| StoreError::with_source(what, Redacted(e)))
    }
}

/// Milliseconds for `PX`: at least 1, at most what Redis takes.
fn millis(span: Duration) -> u64 {
    span.as_millis().clamp(1, i64::MAX as u128 / 2) as u64
}

impl DeliveryStore for RedisStore {
    fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let key = self.key(key)?;
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(CLAIM).arg(1).arg(&key).arg(millis(lease));
            match self.run::<i64>("the claim failed", cmd).await? {
                0 => Ok(Claim::New),
                1 => Ok(Claim::InProgress),
                2 => Ok(Claim::Done),
                other => Err(StoreError::new(format!(
                    "the claim script answered {other}"
                ))),
            }
        })
    }

    fn complete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let key = self.key(key)?;
            let mut cmd = redis::cmd("SET");
            cmd.arg(&key)
                .arg("done")
                .arg("PX")
                .arg(millis(self.retention));
            self.run::<()>("completing failed", cmd).await
        })
    }

    fn release<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let key = self.key(key)?;
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(RELEASE).arg(1).arg(&key);
            self.run::<()>("releasing failed", cmd).await
        })
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("retention", &self.retention)
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
