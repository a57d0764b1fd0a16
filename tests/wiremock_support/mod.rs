//! Shared helpers of the `client_*` tests against a wiremock server: the test key, fast
//! retries, a client, and how many requests a server received and at which paths.
#![allow(dead_code)] // Each test file uses a different subset.

use std::time::Duration;

use buzzin::client::RetryPolicy;
use buzzin::Client;
use wiremock::MockServer;

/// The API key the tests' clients send (and that assertions look for, or for its absence).
pub const KEY: &str = "bz_test_5ecret_key_value";

/// `attempts` attempts in all, 1 to 5 ms apart: retries without slowing a test down.
pub fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
}

/// A client of `base` with [`KEY`] and 3 fast attempts.
pub fn client_for(base: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry_policy(fast_retries(3))
        .build()
        .unwrap()
}

/// How many requests `server` has received.
pub async fn hits(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// The paths of the requests `server` has received, in order.
pub async fn paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect()
}
