//! The shared test support of `buzzin` and `buzzin-sim` (never published): the Redis and
//! PostgreSQL launchers, the OpenAPI spec loader and validators, wiremock helpers, the
//! delivery-store conformance suite, a cancellation probe, and small helpers.
#![forbid(unsafe_code)]

pub mod cancel;
pub mod fixtures;
pub mod latency;
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

/// Says on stderr which modules of the test binary `binary` this build's features left out,
/// with the command that runs them all; under `cargo xtask test` (`BUZZIN_FULL_TESTS` set, every
/// feature on) it fails if any was left out. `modules` pairs each gated module with whether it
/// was built.
pub fn say_left_out(binary: &str, modules: &[(&str, bool)]) {
    let left: Vec<&str> = modules
        .iter()
        .filter(|(_, built)| !built)
        .map(|(name, _)| *name)
        .collect();
    if std::env::var_os("BUZZIN_FULL_TESTS").is_some() {
        assert!(
            left.is_empty(),
            "`cargo xtask test` runs every test, but tests/{binary} left out {left:?}"
        );
        return;
    }
    if left.is_empty() {
        return;
    }
    let note = format!(
        "\ntests/{binary} skipped {} (their features are off): run `cargo xtask test`, which \
         installs redis-server, redis-cli, openssl, PostgreSQL, chromium and chromedriver where \
         they are missing and runs every test with every feature\n",
        left.join(", ")
    );
    // Straight to stderr: the harness captures `eprintln!` of a passing test.
    use std::io::Write;
    let _ = std::io::stderr().write_all(note.as_bytes());
}
