//! The transactional inbox: a claim whose "done" mark commits in the handler's own transaction.

use std::fmt;
use std::time::Duration;

use sqlx::postgres::PgConnection;
use sqlx::Executor as _;

use super::sql::{has_code, setting_millis, store_error, IDLE_IN_TRANSACTION_TIMEOUT};
use super::transaction::InTransaction;
use crate::webhooks::store::{Lease, StoreError};

/// What [`PgStore::begin`](super::PgStore::begin) found.
#[derive(Debug)]
// `New` is the common case, and a box would hide the transaction's `as_mut()` behind the box's.
#[allow(clippy::large_enum_variant)]
pub enum InboxClaim {
    /// Not handled and not being handled: write the effect through the transaction, then
    /// [`complete`](InboxTransaction::complete) it.
    New(InboxTransaction),
    /// Another handler holds a live lease on it: answer non-2xx (409) so that it is retried.
    InProgress,
    /// Handled already: acknowledge (200) without handling it.
    Done,
}

/// An open transaction that holds a delivery's lease: the handler writes its effect through
/// it ([`as_mut`](AsMut::as_mut) gives the `&mut PgConnection`), then
/// [`complete`](Self::complete) commits the effect and the "done" mark together.
///
/// Dropped without `complete` (the handler failed, panicked or was cancelled), the transaction
/// rolls back, and with it the claim: Buzz-In's retry is new at once. The `ROLLBACK` runs on a
/// Tokio task, and the connection returns to the pool only once the server answered it (it is
/// closed otherwise, which rolls back too): the pool never hands out a connection inside
/// another handler's transaction. [`release`](Self::release) rolls back too, keeping the connection. It
/// holds one connection of the pool from [`PgStore::begin`](super::PgStore::begin) to its end.
pub struct InboxTransaction {
    /// In a transaction until `complete` or `release` ends it.
    pub(super) connection: InTransaction,
    pub(super) lease: Lease,
}

impl InboxTransaction {
    /// The lease this transaction holds: its key, and its [fence](Lease::fence) (above every
    /// fence of the key committed before it) for the handler's own records. Its token is 0:
    /// the lease is the transaction, not a row that [`DeliveryStore`](crate::webhooks::store::DeliveryStore)'s methods act on.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Commits the effect and the "done" mark: both or neither.
    ///
    /// When the lease ran out (the transaction stood idle longer than the lease and the server
    /// ended it), nothing commits and the error's [`is_lease_lost`](StoreError::is_lease_lost)
    /// is `true` (answer 409: the retry is handled anew). When a statement of the handler
    /// failed, the transaction is aborted and nothing commits either: a store error (answer
    /// 503), never a silent rollback. A failed commit is a store error too; whether it
    /// committed is then unknown, and the retry finds out (`Done`, or `New`).
    pub async fn complete(mut self) -> Result<(), StoreError> {
        // A `COMMIT` of an aborted transaction answers `ROLLBACK`, not an error: the savepoint
        // fails in an aborted transaction (and outside one), which skips the `COMMIT`. Dropped
        // while the `COMMIT` is under way, `self` ends it as any dropped transaction: the
        // `ROLLBACK` queued behind the `COMMIT`, or a closed connection. The server commits
        // both or rolls back both.
        match self
            .connection
            .connection()
            .execute("SAVEPOINT buzzin_complete; COMMIT")
            .await
        {
            Ok(_) => {
                self.connection.ended();
                Ok(())
            }
            Err(e) => {
                let lost = has_code(&e, IDLE_IN_TRANSACTION_TIMEOUT);
                let _ = self.connection.roll_back().await;
                if lost {
                    Err(StoreError::lease_lost())
                } else {
                    Err(store_error(
                        "committing the effect and the done mark failed",
                        e,
                    ))
                }
            }
        }
    }

    /// Rolls the effect and the claim back: the next claim of the delivery is new.
    pub async fn release(self) -> Result<(), StoreError> {
        self.connection
            .roll_back()
            .await
            .map_err(|e| store_error("rolling back failed", e))
    }

    /// Lets the transaction stand idle for up to `lease_for` from now on (a heartbeat for a
    /// handler that waits on something else between its statements). Fails with
    /// [`is_lease_lost`](StoreError::is_lease_lost) when the server already ended the
    /// transaction.
    pub async fn extend(&mut self, lease_for: Duration) -> Result<(), StoreError> {
        let set = format!(
            "SET LOCAL idle_in_transaction_session_timeout = {}",
            setting_millis(lease_for)
        );
        match self.as_mut().execute(set.as_str()).await {
            Ok(_) => Ok(()),
            Err(e) if has_code(&e, IDLE_IN_TRANSACTION_TIMEOUT) => Err(StoreError::lease_lost()),
            Err(e) => Err(store_error("extending failed", e)),
        }
    }
}

impl AsMut<PgConnection> for InboxTransaction {
    fn as_mut(&mut self) -> &mut PgConnection {
        self.connection.connection()
    }
}

impl fmt::Debug for InboxTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxTransaction")
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}
