//! The request, response and event types of the Buzz-In API, generated from the OpenAPI spec.
//!
//! Response and event types keep every field the SDK does not know in their `extra` map and are
//! `#[non_exhaustive]`; server-owned enums parse unknown values into an `Unknown` variant.

pub(crate) mod datetime;
pub(crate) mod generated;
mod id;
mod object_de;
mod open_enum;
mod permit_state;
mod record;
#[cfg(feature = "client")]
pub(crate) mod validate;

pub use datetime::{Date, InvalidTimestamp, Timestamp};
pub use generated::*;
pub use permit_state::PermitState;
pub use record::Record;

impl NocInput {
    /// A NOC with its number and dates, as the documentation's example sends it (the
    /// documentation calls them metadata on top of the file; [`NocInput::new`] sends the file
    /// alone).
    pub fn with_details(
        document: impl Into<FileInput>,
        noc_number: impl Into<String>,
        issue_date: impl Into<Date>,
        expiry_date: impl Into<Date>,
    ) -> Self {
        Self {
            noc_number: Some(noc_number.into()),
            issue_date: Some(issue_date.into()),
            expiry_date: Some(expiry_date.into()),
            ..Self::new(document)
        }
    }
}
