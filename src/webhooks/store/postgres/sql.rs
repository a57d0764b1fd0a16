//! What the store's SQL needs around it: durations as the server takes them, and its errors
//! (by SQLSTATE, and shown without anything that could echo a connection string).

use std::fmt;
use std::time::Duration;

use crate::webhooks::store::StoreError;

/// Milliseconds for an interval: at least 1, at most what `bigint` takes.
pub(super) fn millis(span: Duration) -> i64 {
    span.as_millis().clamp(1, i64::MAX as u128) as i64
}

/// Milliseconds for a timeout setting: at least 1 (0 would mean none), at most what it takes.
pub(super) fn setting_millis(span: Duration) -> u64 {
    span.as_millis().clamp(1, i32::MAX as u128) as u64
}

/// `lock_not_available`: the holder wait ran out.
pub(super) const LOCK_NOT_AVAILABLE: &str = "55P03";
/// `idle_in_transaction_session_timeout`: the server ended a transaction idle past its lease.
pub(super) const IDLE_IN_TRANSACTION_TIMEOUT: &str = "25P03";

/// Whether `error` is a database error of SQLSTATE `code`.
pub(super) fn has_code(error: &sqlx::Error, code: &str) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some(code))
}

/// A sqlx error shown by its kind only: its detail may echo a connection string.
pub(super) fn store_error(what: &'static str, error: sqlx::Error) -> StoreError {
    StoreError::with_source(what, Redacted(error))
}

struct Redacted(sqlx::Error);

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            // The server's own message (it names tables and values, never the connection).
            sqlx::Error::Database(e) => match e.code() {
                Some(code) => write!(f, "database error {code}: {}", e.message()),
                None => write!(f, "database error: {}", e.message()),
            },
            sqlx::Error::Io(e) => write!(f, "I/O: {}", e.kind()),
            sqlx::Error::Tls(_) => f.write_str("TLS"),
            sqlx::Error::PoolTimedOut => f.write_str("no connection from the pool in time"),
            sqlx::Error::PoolClosed => f.write_str("the pool is closed"),
            sqlx::Error::Protocol(_) => f.write_str("protocol"),
            sqlx::Error::Configuration(_) => f.write_str("configuration"),
            _ => f.write_str("sqlx"),
        }
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SqlxError({self})")
    }
}

impl std::error::Error for Redacted {}
