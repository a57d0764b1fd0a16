//! Code generated from `openapi/buzzin.yaml` by `cargo xtask codegen`. Do not edit by hand.

mod accesses;
mod common;
mod contractors;
pub(crate) mod events;
mod ids;
mod logs;
pub(crate) mod operations;
mod passes;
mod permits;
mod property_managers;
mod visits;
mod webhook_events;

pub use accesses::*;
pub use common::*;
pub use contractors::*;
pub use ids::*;
pub use logs::*;
pub use passes::*;
pub use permits::*;
pub use property_managers::*;
pub use visits::*;
pub use webhook_events::*;
