//! The Rust SDK for the [Buzz-In](https://buzz-in.co) access-control platform.
//!
//! `buzzin` gives Rust services a typed way to open gates, issue and revoke DAMAC work permits,
//! and receive Buzz-In webhooks:
//!
//! - [`Client`]: a typed async client over every Buzz-In operation, one builder per operation
//!   and `send()` last, with retries that cannot hurt anyone (an operation that opens a gate or
//!   mints a pass is never sent twice once it may have reached the server). See [`client`].
//! - [`webhooks`]: a [`Verifier`](webhooks::Verifier) for incoming deliveries (HMAC signatures
//!   and the static token scheme) that works with any web framework, and typed
//!   [`Event`](webhooks::Event)s.
//! - [`models`]: the request, response and event types, generated from the OpenAPI 3.1 spec
//!   shipped in `openapi/buzzin.yaml`. Ids are typed ([`models::PermitId`],
//!   [`models::ContractorId`], …), server-owned enums are open (an `Unknown` variant keeps any
//!   value Buzz-In adds later) and every response keeps the fields the SDK does not know yet.
//! - A local, stateful Buzz-In simulator, so that tests and examples run offline, is its own
//!   crate: [`buzzin-sim`](https://docs.rs/buzzin-sim) (`[dev-dependencies] buzzin-sim = "0.1"`;
//!   `cargo install buzzin-sim` gives the `buzzin` CLI).
//!
//! Where Buzz-In's documentation is silent, the SDK makes a decision and says so: such items
//! carry an "Assumed:" note in their documentation and `x-buzzin-assumed: true` in the spec.
//!
//! # Start offline
//!
//! The simulator ([`buzzin-sim`](https://docs.rs/buzzin-sim), a dev-dependency) is a local,
//! stateful Buzz-In with the documented rules: this runs as it is, with no account. It creates
//! a contractor, approves it, and opens a work permit for one of DAMAC's units.
//!
//! ```
//! use std::time::Duration;
//!
//! use buzzin::client::Contact;
//! use buzzin::models::{
//!     CompanyInput, ContractorRef, Date, FileInput, FlatRef, PermitState, PropertyRef, Timestamp,
//! };
//! use buzzin_sim::Simulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = Simulator::start().await?;
//! let client = sim.client()?; // against your account: `buzzin::Client::from_env()?`
//!
//! let contractor = client
//!     .community_contractors()
//!     .create(
//!         Contact {
//!             name: "Ahmed Contracting LLC Rep".into(),
//!             email: "ops@ahmed-contracting.ae".into(),
//!             phone: "+971500000000".into(),
//!         },
//!         CompanyInput::new(
//!             "Ahmed Contracting LLC",
//!             FileInput::Url { url: "https://files.example.com/license.pdf".into() },
//!             Date::parse("2027-03-31")?,
//!         ),
//!         "a0B5g000000ABCDEAW",
//!     )
//!     .await?;
//! client.community_contractors().approve(contractor.id().clone()).await?;
//!
//! let valid_from = Timestamp::now() + Duration::from_secs(3600);
//! let permit = client
//!     .permits()
//!     .create(
//!         "a1B5g000000XYZWEAW",
//!         ContractorRef::Id(contractor.into_id()),
//!         PropertyRef::ExternalId("DAMAC-TWR-07".into()),
//!         FlatRef::ExternalId("UNIT-0712".into()),
//!         valid_from..=valid_from + Duration::from_secs(30 * 24 * 3600),
//!     )
//!     .await?;
//! assert_eq!(permit.state(), PermitState::Draft);
//! # Ok(()) }
//! ```
//!
//! Against your account, the same code runs with a client from the environment:
//!
//! ```no_run
//! # async fn run() -> Result<(), buzzin::Error> {
//! // BUZZIN_API_KEY, and BUZZIN_BASE_URL when it is not https://api.buzz-in.co.
//! let client = buzzin::Client::from_env()?;
//! let ack = client.community_contractors().revoke("66f0a1b2c3d4e5f600000001").await?;
//! # let _ = ack;
//! # Ok(())
//! # }
//! ```
//!
//! # Where to go next
//!
//! - [`client`]: every operation by resource, retries, rate limits, tracing, and a client
//!   without an API key for an app that only makes NFC visits.
//! - [`webhooks`]: verify a delivery with a [`Verifier`](webhooks::Verifier), then handle it
//!   exactly once with [`handle_once`](webhooks::store::handle_once) and a delivery store (in memory,
//!   Redis or PostgreSQL).
//! - [`models`]: the typed requests, records and events, and which of their fields are
//!   assumed.
//! - Testing your code: the simulator plays Buzz-In's dashboard too (approving a permit,
//!   advancing its clock) and records every request and webhook delivery; a
//!   [`ClientBuilder::base_url`] pointed at a mock server pins one answer (a 404, a 503);
//!   [`webhooks::sign`] signs a body as Buzz-In does, for your receiver's tests.
//! - The repository's [README](https://github.com/buzzin-rs/buzzin#readme) has the whole
//!   permit lifecycle offline, one runnable example per resource, observability, running
//!   several webhook receivers, and the simulator's CLI and dashboard.
//!
//! # Features
//!
#![doc = document_features::document_features!()]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
pub mod models;
pub mod operations;
pub mod webhooks;

#[cfg(feature = "client")]
pub use client::error::Error;
#[cfg(feature = "client")]
pub use client::{Client, ClientBuilder};
/// The `reqwest` crate (0.13) whose `ClientBuilder` [`ClientBuilder::configure_http`] adjusts:
/// name it as `buzzin::reqwest`, and its version always matches the SDK's.
///
/// ```
/// use std::time::Duration;
///
/// let client = buzzin::Client::builder()
///     .api_key("bz_test_key")
///     .configure_http(|http: buzzin::reqwest::ClientBuilder| {
///         http.pool_idle_timeout(Duration::from_secs(30))
///     })
///     .build()?;
/// # let _ = client;
/// # Ok::<(), buzzin::Error>(())
/// ```
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub use reqwest;

/// The README's code, compiled as a doctest so that it cannot drift from the API. Its blocks use
/// the Redis (over TLS) and PostgreSQL stores, so it is compiled with those features (as
/// `cargo xtask test` does); a plain `cargo test` says it left it out.
#[cfg(all(doctest, feature = "redis-tls", feature = "postgres"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// What a plain `cargo test` (default features, no programs installed) leaves of the crate's
/// own doc tests to the whole suite, `cargo xtask test`, printed where the harness does not hide
/// it. (Each integration-test binary says what it left out itself.)
#[cfg(test)]
mod left_to_the_whole_suite {
    use std::io::Write;

    #[test]
    fn says_what_plain_cargo_test_left_out() {
        if std::env::var_os("BUZZIN_FULL_TESTS").is_some() {
            return; // `cargo xtask test`: the whole suite runs
        }
        if cfg!(all(feature = "redis-tls", feature = "postgres")) {
            return;
        }
        let note = "\nskipped: the README's code (doc tests; features redis-tls, postgres), and \
             the other packages of the workspace (buzzin-sim's tests, buzzin-examples' examples). \
             Run `cargo xtask test`: it installs redis-server, redis-cli, openssl, PostgreSQL, \
             chromium and chromedriver where they are missing, then runs them all\n";
        // Straight to stderr: the harness captures `eprintln!` of a passing test.
        let _ = std::io::stderr().write_all(note.as_bytes());
    }
}
