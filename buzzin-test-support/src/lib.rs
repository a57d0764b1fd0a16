//! The shared test support of `buzzin` and `buzzin-sim` (never published): the Redis and
//! PostgreSQL launchers, the OpenAPI spec loader and validators, wiremock helpers, the
//! delivery-store conformance suite, a cancellation probe, and small helpers.
#![forbid(unsafe_code)]

pub mod cancel;
pub mod fixtures;
pub mod mocks;
pub mod pg;
pub mod redis;
pub mod spec;
pub mod store_conformance;
pub mod webhooks;

use std::net::TcpListener;
use std::time::{SystemTime, UNIX_EPOCH};

/// A free loopback port: one the system just handed out and we released.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// The Unix time now, in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Asserts that `err` is the client's refusal of an invalid request naming `field`.
#[track_caller]
pub fn assert_invalid(err: &buzzin::Error, field: &str) {
    assert!(
        matches!(err, buzzin::Error::InvalidRequest { field: f, .. } if *f == field),
        "expected InvalidRequest on {field}: {err:?}"
    );
}
