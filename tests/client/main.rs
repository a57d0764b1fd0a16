//! The client's integration tests, one binary: every operation against wiremock, retries,
//! timeouts, per-call options, raw requests, spans, metrics, hooks and `send_blocking`.

#[cfg(feature = "blocking")]
mod blocking;
mod call_errors;
mod env;
mod flow;
mod get_many;
mod hardening;
mod hook;
#[cfg(all(feature = "metrics", feature = "handle-once"))]
mod metrics;
mod ops;
mod per_call;
mod raw;
mod spans;
mod spawn;

#[test]
fn says_what_plain_cargo_test_left_out() {
    buzzin_test_support::say_left_out(
        "client",
        &[
            ("blocking", cfg!(feature = "blocking")),
            (
                "metrics",
                cfg!(all(feature = "metrics", feature = "handle-once")),
            ),
        ],
    );
}
