//! The webhook verifier and events, one binary: signatures and tokens, the envelope and every
//! event, properties of both, and the axum and actix-web extractors.

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
mod events;
mod props;
mod verify;

#[test]
fn says_what_plain_cargo_test_left_out() {
    buzzin_test_support::say_left_out(
        "webhooks",
        &[
            ("axum", cfg!(feature = "axum")),
            ("actix", cfg!(feature = "actix")),
        ],
    );
}
