//! Shared helpers of the `client_*` tests against a wiremock server: the test key, fast
//! retries, a client, and how many requests a server received and at which paths.

use std::time::Duration;

use buzzin::client::RetryPolicy;
use buzzin::Client;
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

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
    client_with(base, fast_retries(3))
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

/// "Fails `n` times, then answers": the first `n` `method` requests to `server` get `failure`,
/// ahead of every other mock (priority 1); later ones fall through to the mocks mounted next.
pub async fn fails_n_times(server: &MockServer, method: &str, n: u64, failure: ResponseTemplate) {
    Mock::given(matchers::method(method))
        .respond_with(failure)
        .up_to_n_times(n)
        .with_priority(1)
        .mount(server)
        .await;
}

/// A client of `base` with [`KEY`] and `retries`.
pub fn client_with(base: &str, retries: RetryPolicy) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry_policy(retries)
        .build()
        .unwrap()
}
