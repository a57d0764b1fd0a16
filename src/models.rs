//! The request, response and event types of the Buzz-In API, generated from the OpenAPI spec.
//!
//! Response and event types keep every field the SDK does not know in their `extra` map and are
//! `#[non_exhaustive]`; server-owned enums parse unknown values into an `Unknown` variant.

pub use crate::datetime::{Date, InvalidTimestamp, Timestamp};
pub use crate::generated::*;
pub use crate::permit_state::PermitState;
pub use crate::record::Record;
