//! A [`DeliveryStore`] on PostgreSQL, and a transactional inbox: the handler's effect and the
//! delivery's "done" mark commit in one transaction, so the effect happens exactly once.
//!
//! The feature `postgres` builds it on [`sqlx`] 0.8 (re-exported as `buzzin::webhooks::store::postgres::sqlx`:
//! use that one, or a `sqlx = "0.8"` of your own, so that the pool types match); this module's
//! API carries sqlx types ([`PgPool`], [`PgConnection`]), so a sqlx major version change is a
//! breaking change of this feature. TLS to the database is the feature `postgres-tls` (rustls).
//!
//! As a [`DeliveryStore`], a `PgStore` is used through [`handle_once`](super::handle_once), like
//! any other store:
//!
//! ```no_run
//! # use std::time::Duration;
//! # use buzzin::webhooks::store::{handle_once, postgres::PgStore};
//! # async fn run(store: PgStore, key: &str) {
//! let outcome = handle_once(&store, key, Duration::from_secs(60), |lease| async move {
//!     let _ = lease; // the work, with `lease.fence()` for your own storage
//!     Ok::<(), std::io::Error>(())
//! })
//! .await;
//! let status = outcome.status(); // answer Buzz-In with it
//! # let _ = status;
//! # }
//! ```
//!
//! When the effect is written to the same database, the transactional inbox commits the effect
//! and the "done" mark together:
//!
//! ```no_run
//! use std::time::Duration;
//! use buzzin::webhooks::store::postgres::{sqlx, InboxClaim, PgStore};
//!
//! # async fn run(key: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let pool = sqlx::PgPool::connect("postgres://app@127.0.0.1/app").await?;
//! let store = PgStore::new(pool);
//! store.migrate().await?; // creates its one table, once
//! match store.begin(key, Duration::from_secs(60)).await? {
//!     InboxClaim::New(mut tx) => {
//!         sqlx::query("INSERT INTO permits_seen (delivery) VALUES ($1)")
//!             .bind(key)
//!             .execute(tx.as_mut())
//!             .await?;
//!         tx.complete().await?; // the effect and the "done" mark: one COMMIT
//!         // answer 200
//!     }
//!     InboxClaim::InProgress => { /* answer 409: Buzz-In retries later */ }
//!     InboxClaim::Done => { /* answer 200: handled already */ }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # The table
//!
//! [`PgStore::migrate`] runs [`PgStore::SCHEMA`] (idempotent; the table's name is
//! [`PgStore::table`], default `buzzin_deliveries`):
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS buzzin_deliveries (
//!     key         text PRIMARY KEY,
//!     fence       bigint NOT NULL,       -- grows with the key's New claims
//!     token       bigint NOT NULL,       -- tells the current holder from any other (0: none)
//!     done        boolean NOT NULL DEFAULT false,
//!     lease_until timestamptz NOT NULL   -- the lease's end (database clock); done: when done
//! ) WITH (fillfactor = 90);
//! CREATE SEQUENCE IF NOT EXISTS buzzin_deliveries_fence; -- the inbox's fences
//! ```
//!
//! The primary key is its only index, and the room `fillfactor` leaves in each page lets a
//! claim's, a heartbeat's and a completion's updates stay on the row's page (HOT updates,
//! no index write).
//!
//! A claim is one statement (`INSERT … ON CONFLICT (key) DO UPDATE … WHERE` the lease ran out),
//! so of concurrent claims one wins; leases run on the database's clock, so receivers whose
//! clocks differ agree. [`PgStore::begin`] runs that statement inside the handler's
//! transaction, writing the row done at once: the row's lock is the lease, and the COMMIT that
//! makes the effect visible makes the "done" mark visible with it. The fence sequence
//! (`buzzin_deliveries_fence`) numbers the inbox's claims, so that a claim rolled back never
//! gives its fence to a later one. [`PgStore::cleanup`] deletes, in batches of a bounded size, the rows
//! done longer ago than the [retention](PgStore::retention) (default 72 hours, assumed:
//! Buzz-In's retry window is undocumented) and the leases that ran out that long ago (a scan
//! of the table that stops at the batch's size: run it every few minutes, not per delivery).
//!
//! # Cancellation
//!
//! Every future here may be dropped at any `.await` (hyper drops a handler whose request went
//! away): a connection inside a transaction is never handed back to the pool as it is. A
//! dropped [`begin`](PgStore::begin), [`complete`](InboxTransaction::complete) or
//! [`InboxTransaction`] rolls its transaction back on a Tokio task and gives the connection
//! back once the server answered, or closes it (which rolls back too). The "done" mark thus
//! commits with its effect or not at all.
//!
//! # Sizing the pool
//!
//! Every receiver's pool counts against the server's `max_connections` (100 by default, 3 of
//! them reserved for superusers): keep replicas × pool size below it. Four replicas with pools
//! of 32 ask for 128, and a restarted server refuses the excess ("too many clients"); pools of
//! 8 ask for 32. Set the pool's `acquire_timeout` well below Buzz-In's request timeout
//! (500 ms, say), so that a pool that cannot serve answers 503 and the delivery is retried, and
//! answer 503 at once beyond about twice the pool's handlers under way, so that retries piled
//! up during an outage do not keep every handler waiting out its acquire timeout afterwards.
//!
//! A handler that stalls inside its transaction (a paused process) holds the row, and the
//! locks of its effect, until the server ends its transaction: [`PgStore::begin`] sets the
//! transaction's `idle_in_transaction_session_timeout` to the lease, so the server ends a
//! transaction left idle for longer than the lease (it then commits nothing, and the retry
//! proceeds).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use sqlx;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, Postgres};
use sqlx::Executor as _;

mod inbox;
mod sql;
mod transaction;

pub use inbox::{InboxClaim, InboxTransaction};
use sql::{has_code, millis, setting_millis, store_error, LOCK_NOT_AVAILABLE};
use transaction::InTransaction;

use super::DEFAULT_RETENTION;
use super::{check_key, Claim, DeliveryStore, Lease, StoreError, StoreFuture};

/// A [`DeliveryStore`] on PostgreSQL, with the same lease semantics as the Redis store (owned
/// leases, fences that survive a lease's expiry), and [`begin`](Self::begin): a claim whose
/// "done" mark commits in the caller's transaction.
///
/// Cloning shares the pool. `Debug` shows the table and retention, never the pool's URL.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    table: Arc<str>,
    retention: Duration,
    holder_wait: Duration,
    /// Shared: a clone per `begin` copies no SQL.
    statements: Arc<Statements>,
}

/// The store's SQL, written once for its table.
struct Statements {
    claim: String,
    inbox_claim: String,
    state: String,
    complete: String,
    release: String,
    extend: String,
    cleanup: String,
    schema: String,
}

impl Statements {
    fn for_table(table: &str) -> Self {
        // `table` is checked to be an identifier: it can be formatted into the SQL.
        Self {
            // Claims `$1` for `$3` ms with token `$2`: the fence when claimed, no row when the key
            // is done or in progress.
            claim: format!(
                "INSERT INTO {table} AS t (key, fence, token, lease_until)
                 VALUES ($1, 1, $2, clock_timestamp() + $3 * interval '1 millisecond')
                 ON CONFLICT (key) DO UPDATE
                   SET fence = t.fence + 1, token = excluded.token,
                       lease_until = excluded.lease_until
                   WHERE NOT t.done AND t.lease_until <= clock_timestamp()
                 RETURNING fence"
            ),
            // The inbox's claim, inside the handler's transaction: the row is written done at
            // once (visible to others only at the COMMIT, which is the whole of `complete`).
            // Its fence comes from a sequence, which no rollback takes back, and is above the
            // key's last committed fence either way.
            inbox_claim: format!(
                "INSERT INTO {table} AS t (key, fence, token, done, lease_until)
                 VALUES ($1, nextval('{table}_fence'), 0, true, clock_timestamp())
                 ON CONFLICT (key) DO UPDATE
                   SET fence = GREATEST(excluded.fence, t.fence + 1), token = 0, done = true,
                       lease_until = excluded.lease_until
                   WHERE NOT t.done AND t.lease_until <= clock_timestamp()
                 RETURNING fence"
            ),
            // Why a claim found no row to take (no row at all: a concurrent claim's, in progress).
            state: format!("SELECT done FROM {table} WHERE key = $1"),
            // Done, while `$2`/`$3` (token, fence) is the current lease: unclaimed since, so
            // possibly past its end.
            complete: format!(
                "UPDATE {table} SET done = true, token = 0, lease_until = clock_timestamp()
                 WHERE key = $1 AND token = $2 AND fence = $3 AND NOT done"
            ),
            // Ended now: the next claim is new, and the row (its fence) stays until cleanup.
            release: format!(
                "UPDATE {table} SET token = 0, lease_until = clock_timestamp()
                 WHERE key = $1 AND token = $2 AND fence = $3 AND NOT done"
            ),
            extend: format!(
                "UPDATE {table} SET lease_until = clock_timestamp() + $4 * interval '1 millisecond'
                 WHERE key = $1 AND token = $2 AND fence = $3 AND NOT done"
            ),
            cleanup: format!(
                "DELETE FROM {table} WHERE key IN (
                   SELECT key FROM {table}
                   WHERE lease_until < clock_timestamp() - $1 * interval '1 millisecond'
                   LIMIT $2)"
            ),
            // The fence sequence is the table's name and `_fence`, in the table's schema.
            schema: PgStore::SCHEMA
                .replace(
                    &format!(" {}_fence", PgStore::DEFAULT_TABLE),
                    &format!(" {table}_fence"),
                )
                .replace(
                    &format!(" {} ", PgStore::DEFAULT_TABLE),
                    &format!(" {table} "),
                ),
        }
    }
}

impl PgStore {
    /// How long [`begin`](Self::begin) waits, by default, for another handler's open
    /// transaction on the same delivery before answering [`InboxClaim::InProgress`]: 100 ms.
    pub const DEFAULT_HOLDER_WAIT: Duration = Duration::from_millis(100);

    /// The default table, `buzzin_deliveries`.
    pub const DEFAULT_TABLE: &'static str = "buzzin_deliveries";

    /// The schema of the default table ([`migrate`](Self::migrate) runs it, with the
    /// [table](Self::table)'s name).
    pub const SCHEMA: &'static str = "CREATE TABLE IF NOT EXISTS buzzin_deliveries (
    key         text PRIMARY KEY,
    fence       bigint NOT NULL,
    token       bigint NOT NULL,
    done        boolean NOT NULL DEFAULT false,
    lease_until timestamptz NOT NULL
) WITH (fillfactor = 90);
CREATE SEQUENCE IF NOT EXISTS buzzin_deliveries_fence";

    /// A store on `pool`'s database, in the table `buzzin_deliveries`, remembering completed
    /// deliveries for 72 hours.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            table: Self::DEFAULT_TABLE.into(),
            retention: DEFAULT_RETENTION,
            holder_wait: Self::DEFAULT_HOLDER_WAIT,
            statements: Arc::new(Statements::for_table(Self::DEFAULT_TABLE)),
        }
    }

    /// Uses the table `name` instead (receivers of different endpoints sharing a database use
    /// different tables): an SQL identifier of ASCII letters, digits and `_`, optionally
    /// schema-qualified (`inbox.deliveries`), at most 50 bytes a part (so that its fence
    /// sequence's name, the table's and `_fence`, fits PostgreSQL's 63). Anything else is a
    /// [`StoreError`].
    pub fn table(mut self, name: &str) -> Result<Self, StoreError> {
        let identifier = |part: &str| {
            !part.is_empty()
                && part.len() <= 50
                && !part.starts_with(|c: char| c.is_ascii_digit())
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        let parts: Vec<&str> = name.split('.').collect();
        if parts.len() > 2 || !parts.iter().all(|p| identifier(p)) {
            return Err(StoreError::new(format!(
                "`{name}` is not a table name (letters, digits and _, optionally schema.table)"
            )));
        }
        self.statements = Arc::new(Statements::for_table(name));
        self.table = name.into();
        Ok(self)
    }

    /// Sets how long a completed delivery is remembered (default 72 hours, assumed: longer than
    /// Buzz-In's undocumented retry period; Stripe's is 3 days). [`cleanup`](Self::cleanup)
    /// deletes what is older.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Sets how long [`begin`](Self::begin) waits for another handler's open transaction on
    /// the same delivery (its `lock_timeout`) before answering [`InboxClaim::InProgress`]
    /// (default [`DEFAULT_HOLDER_WAIT`](Self::DEFAULT_HOLDER_WAIT), at least 1 ms). A copy
    /// that arrives while a short handler runs waits for its COMMIT and answers
    /// [`InboxClaim::Done`]; one that arrives during a long handler answers `InProgress` (409)
    /// after this wait.
    pub fn holder_wait(mut self, wait: Duration) -> Self {
        self.holder_wait = wait;
        self
    }

    /// How long [`begin`](Self::begin) waits for another handler's transaction.
    pub fn holder_wait_period(&self) -> Duration {
        self.holder_wait
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// How long a completed delivery is remembered.
    pub fn retention_period(&self) -> Duration {
        self.retention
    }

    /// The pool it uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Creates the table and its fence sequence if they do not exist (idempotent, safe to run at every
    /// start, from several receivers at once).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        // Concurrent `CREATE … IF NOT EXISTS` can race on the catalog: serialize on a lock of
        // the transaction's length.
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| store_error("starting the migration failed", e))?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(&*self.table)
            .execute(&mut *tx)
            .await
            .map_err(|e| store_error("locking for the migration failed", e))?;
        (&mut *tx)
            .execute(self.statements.schema.as_str())
            .await
            .map_err(|e| store_error("creating the table failed", e))?;
        tx.commit()
            .await
            .map_err(|e| store_error("committing the migration failed", e))
    }

    /// Opens a transaction and claims `key` in it: when the delivery is new, the handler writes
    /// its effect through the transaction and [`complete`](InboxTransaction::complete) commits
    /// the effect and the "done" mark together (one `COMMIT`).
    ///
    /// The claim writes the delivery's row done inside the transaction, so the row's lock is
    /// the lease: it lasts while the transaction is open and never idle for longer than
    /// `lease_for` (the transaction's `idle_in_transaction_session_timeout`: the server ends a
    /// transaction left idle longer, committing nothing; each statement renews it, and
    /// [`extend`](InboxTransaction::extend) sets another). A copy of the delivery that arrives
    /// meanwhile waits for the lock at most the [holder wait](Self::holder_wait) (100 ms by
    /// default): it answers [`InboxClaim::Done`] if the holder committed by then, and
    /// [`InboxClaim::InProgress`] otherwise.
    ///
    /// A [`DeliveryStore::claim`] of the same key waits for such a transaction (then finds it
    /// done, or new after a rollback): receive a delivery through one of the two, not both.
    pub async fn begin(&self, key: &str, lease_for: Duration) -> Result<InboxClaim, StoreError> {
        check_key(key)?;
        // Guarded before `BEGIN` is sent: dropped anywhere below (hyper drops a handler whose
        // caller went away), the connection closes and the server rolls the claim back.
        let mut held = InTransaction::new(self.connection().await?);
        // The transaction, its lease and its wait for another holder: one round trip (the
        // simple query protocol; both numbers are integers written here).
        let open = format!(
            "BEGIN; SET LOCAL idle_in_transaction_session_timeout = {}; SET LOCAL lock_timeout = {}",
            setting_millis(lease_for),
            setting_millis(self.holder_wait),
        );
        if let Err(e) = held.connection().execute(open.as_str()).await {
            return Err(store_error("starting the transaction failed", e));
        }
        let claimed: Result<Option<i64>, sqlx::Error> =
            sqlx::query_scalar(&self.statements.inbox_claim)
                .bind(key)
                .fetch_optional(held.connection())
                .await;
        let found = match claimed {
            Ok(Some(fence)) => {
                return Ok(InboxClaim::New(InboxTransaction {
                    connection: held,
                    lease: Lease::new(key, fence as u64, 0),
                }))
            }
            // Another handler's transaction holds the row past the wait.
            Err(e) if has_code(&e, LOCK_NOT_AVAILABLE) => Ok(InboxClaim::InProgress),
            Err(e) => Err(store_error("the claim failed", e)),
            // Done, or a live lease of `DeliveryStore::claim`: which one?
            Ok(None) => sqlx::query_scalar::<_, bool>(&self.statements.state)
                .bind(key)
                .fetch_optional(held.connection())
                .await
                .map(|done| {
                    if done == Some(true) {
                        InboxClaim::Done
                    } else {
                        InboxClaim::InProgress
                    }
                })
                .map_err(|e| store_error("the claim failed", e)),
        };
        // A failed rollback closes the connection instead (the server rolls back).
        let _ = held.roll_back().await;
        found
    }

    /// Deletes at most `batch` rows done longer ago than the retention (and leases that ran
    /// out that long ago); answers how many. Run it periodically, repeating while it answers
    /// `batch`: each call is one short statement, however large the backlog.
    pub async fn cleanup(&self, batch: u32) -> Result<u64, StoreError> {
        let deleted = sqlx::query(&self.statements.cleanup)
            .bind(millis(self.retention))
            .bind(i64::from(batch.max(1)))
            .execute(&self.pool)
            .await
            .map_err(|e| store_error("cleaning up failed", e))?;
        Ok(deleted.rows_affected())
    }

    async fn claim_key(&self, key: &str, lease_for: Duration) -> Result<Claim, StoreError> {
        let mut connection = self.connection().await?;
        self.claim_on(&mut connection, key, lease_for).await
    }

    async fn connection(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        self.pool
            .acquire()
            .await
            .map_err(|e| store_error("no database connection", e))
    }

    /// Claims `key` on `connection` (outside any transaction: the lease commits at once).
    async fn claim_on(
        &self,
        connection: &mut PgConnection,
        key: &str,
        lease_for: Duration,
    ) -> Result<Claim, StoreError> {
        check_key(key)?;
        // Any value but 0, which marks "no holder".
        let token = fastrand::i64(1..);
        let fence: Option<i64> = sqlx::query_scalar(&self.statements.claim)
            .bind(key)
            .bind(token)
            .bind(millis(lease_for))
            .fetch_optional(&mut *connection)
            .await
            .map_err(|e| store_error("the claim failed", e))?;
        if let Some(fence) = fence {
            return Ok(Claim::New(Lease::new(key, fence as u64, token as u64)));
        }
        let done: Option<bool> = sqlx::query_scalar(&self.statements.state)
            .bind(key)
            .fetch_optional(&mut *connection)
            .await
            .map_err(|e| store_error("the claim failed", e))?;
        Ok(if done == Some(true) {
            Claim::Done
        } else {
            Claim::InProgress
        })
    }

    /// Runs one of the lease statements; no row changed means the lease is not current.
    async fn on_lease(
        &self,
        statement: &str,
        what: &'static str,
        lease: &Lease,
        lease_for: Option<Duration>,
    ) -> Result<(), StoreError> {
        check_key(lease.key())?;
        let mut query = sqlx::query(statement)
            .bind(lease.key())
            .bind(lease.token() as i64)
            .bind(lease.fence() as i64);
        if let Some(lease_for) = lease_for {
            query = query.bind(millis(lease_for));
        }
        let changed = query
            .execute(&self.pool)
            .await
            .map_err(|e| store_error(what, e))?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::lease_lost());
        }
        Ok(())
    }
}

impl DeliveryStore for PgStore {
    fn claim<'a>(&'a self, key: &'a str, lease_for: Duration) -> StoreFuture<'a, Claim> {
        Box::pin(self.claim_key(key, lease_for))
    }

    fn complete<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(self.on_lease(&self.statements.complete, "completing failed", lease, None))
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(self.on_lease(&self.statements.release, "releasing failed", lease, None))
    }

    fn extend<'a>(&'a self, lease: &'a Lease, lease_for: Duration) -> StoreFuture<'a, ()> {
        Box::pin(self.on_lease(
            &self.statements.extend,
            "extending failed",
            lease,
            Some(lease_for),
        ))
    }
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("table", &self.table)
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}
