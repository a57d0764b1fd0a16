//! The guard of a pooled connection inside a transaction: whatever drops it, no later user of
//! the pool runs inside the transaction.

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, Postgres};
use sqlx::Executor as _;

/// A pooled connection that may be inside a transaction. Dropped so (a future of this module
/// dropped at any `.await`, a handler that failed, panicked or was cancelled), it rolls the
/// transaction back on a Tokio task of its own and gives the connection back to the pool only
/// when the server answered the `ROLLBACK`; without a runtime, or without an answer within
/// [`ROLLBACK_WAIT`], it closes the connection, so that the server rolls back. Either way no
/// later user of the pool runs inside the transaction. [`ended`](Self::ended) gives the
/// connection back once a `COMMIT` or `ROLLBACK` answered.
pub(super) struct InTransaction {
    connection: Option<PoolConnection<Postgres>>,
    /// `false` on the rollback task itself: dropped there, it closes.
    roll_back_on_drop: bool,
}

/// How long a dropped transaction's background `ROLLBACK` may take before its connection is
/// closed instead (it waits behind a statement still running on it).
const ROLLBACK_WAIT: Duration = Duration::from_secs(5);

impl InTransaction {
    /// Guards `connection` from before its `BEGIN` is sent.
    pub(super) fn new(connection: PoolConnection<Postgres>) -> Self {
        Self {
            connection: Some(connection),
            roll_back_on_drop: true,
        }
    }

    pub(super) fn connection(&mut self) -> &mut PgConnection {
        self.connection
            .as_mut()
            .expect("held until ended or dropped")
    }

    /// The transaction ended (a `COMMIT` or `ROLLBACK` answered): the connection goes back to
    /// the pool.
    pub(super) fn ended(mut self) {
        drop(self.connection.take());
    }

    /// Rolls the transaction back; the connection goes back to the pool when the server
    /// answered, and is closed otherwise (or when this future is dropped).
    pub(super) async fn roll_back(mut self) -> Result<(), sqlx::Error> {
        self.connection().execute("ROLLBACK").await?;
        self.ended();
        Ok(())
    }
}

impl Drop for InTransaction {
    fn drop(&mut self) {
        let Some(mut connection) = self.connection.take() else {
            return;
        };
        if self.roll_back_on_drop
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // A closed connection costs the pool a new one (a fork on the server): under
            // the timeouts of an overloaded receiver, rolling back is the cheaper way out.
            runtime.spawn(async move {
                let held = InTransaction {
                    connection: Some(connection),
                    roll_back_on_drop: false,
                };
                let _ = tokio::time::timeout(ROLLBACK_WAIT, held.roll_back()).await;
            });
            return;
        }
        connection.close_on_drop();
    }
}
