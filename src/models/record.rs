//! [`Record`]: which kind of record a generated type is, and where its id is.

use std::fmt;

use super::generated::{
    AccessId, Contractor, ContractorId, Permit, PermitId, PropertyManager, QrAccess, UserId,
};

mod sealed {
    pub trait Sealed {}
}

/// A Buzz-In record with a Buzz-In id (`_id`): what a create answers. Sealed: implemented for
/// [`Contractor`], [`Permit`], [`PropertyManager`] and [`QrAccess`].
///
/// ```
/// use buzzin::models::{Permit, Record};
///
/// assert_eq!(Permit::KIND, "permit");
/// let permit: Permit = serde_json::from_str(r#"{"_id": "66f0a1b2c3d4e5f600000abc"}"#)?;
/// assert_eq!(permit.record_id().map(|id| id.as_str()), Some("66f0a1b2c3d4e5f600000abc"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait Record: sealed::Sealed {
    /// The type of the record's id.
    type Id: Clone + fmt::Debug + fmt::Display + PartialEq + Eq + std::hash::Hash + Send + Sync;

    /// The kind of record, as errors name it (`"permit"`, `"contractor"`, …).
    const KIND: &'static str;

    /// The record's `_id`, when the response had one.
    fn record_id(&self) -> Option<&Self::Id>;
}

/// Implements [`Record`] for a generated record type: the type of its `_id` and its kind.
macro_rules! record {
    ($record:ty, $id:ty, $kind:literal) => {
        impl sealed::Sealed for $record {}

        impl Record for $record {
            type Id = $id;
            const KIND: &'static str = $kind;

            fn record_id(&self) -> Option<&$id> {
                self.id.as_ref()
            }
        }
    };
}

record!(Contractor, ContractorId, "contractor");
record!(Permit, PermitId, "permit");
record!(PropertyManager, UserId, "property manager");
record!(QrAccess, AccessId, "QR access");
