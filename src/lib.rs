//! The Rust SDK for the [Buzz-In](https://buzz-in.co) access-control platform.
//!
//! `buzzin` gives Rust services a typed way to open gates, issue and revoke work permits, and
//! receive Buzz-In webhooks:
//!
//! - [`models`]: the request, response and event types, generated from the OpenAPI 3.1 spec
//!   shipped in `openapi/buzzin.yaml`. Ids are typed ([`models::PermitId`],
//!   [`models::ContractorId`], …), server-owned enums are open (an `Unknown` variant keeps any
//!   value Buzz-In adds later) and every response keeps the fields the SDK does not know yet.
//!
//! Where Buzz-In's documentation is silent, the SDK makes a decision and says so: such items
//! carry an "Assumed:" note in their documentation and `x-buzzin-assumed: true` in the spec.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
mod datetime;
mod error;
mod generated;
mod id;
pub mod models;
mod open_enum;

pub use client::{Client, ClientBuilder};

/// The README's code, compiled as a doctest so that it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub use error::Error;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod webhooks;
