//! Request validation: the rules a request body must meet before anything is sent.
//!
//! Each body the client sends is a [`RequestBody`]: its untyped fields, its `action` (which may
//! choose how the call is retried), and the rules the documentation states, checked by
//! `dispatch` before the call is made ([`Error::InvalidRequest`]).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::models::{
    CreateContractorRequest, CreatePermitRequest, CreatePropertyManagerRequest,
    CreateQrAccessRequest, ExternalNfcVisitRequest, NocReplacement, PermitValidityUpdate,
    Timestamp, UpdateContractorRequest, UpdatePropertyManagerRequest,
};
use crate::Error;

/// A body the client sends, with what is checked before it is.
pub(crate) trait RequestBody: Serialize {
    /// Whether there is a body at all (`false` for `()`: a call without one).
    const SENT: bool = true;

    /// The JSON fields the SDK does not type, sent beside the typed ones.
    fn extra(&self) -> Option<&Map<String, Value>> {
        None
    }

    /// The body's `action`, which may choose the operation's retry class.
    fn action(&self) -> Option<&str> {
        None
    }

    /// The rules the documentation states for this body.
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// No body.
impl RequestBody for () {
    const SENT: bool = false;
}

/// Writes [`RequestBody`] for models whose only rules are their untyped fields and their
/// `action`.
macro_rules! body_with_action {
    ($($model:ty),+) => {$(
        impl RequestBody for $model {
            fn extra(&self) -> Option<&Map<String, Value>> {
                Some(&self.extra)
            }

            fn action(&self) -> Option<&str> {
                Some(self.action.as_str())
            }
        }
    )+};
}

body_with_action!(UpdateContractorRequest, NocReplacement);

/// Writes [`RequestBody`] for models whose only rules are their untyped fields and the spec's
/// marks (their generated `validate()`).
macro_rules! body_validated_by_spec {
    ($($model:ident),+) => {$(
        impl RequestBody for $model {
            fn extra(&self) -> Option<&Map<String, Value>> {
                Some(&self.extra)
            }

            fn validate(&self) -> Result<(), Error> {
                $model::validate(self)
            }
        }
    )+};
}

body_validated_by_spec!(
    CreateQrAccessRequest,
    CreateContractorRequest,
    CreatePropertyManagerRequest,
    UpdatePropertyManagerRequest
);

impl RequestBody for CreatePermitRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        // The spec's marks (generated), then the window, which the spec cannot state.
        CreatePermitRequest::validate(self)?;
        check_window(Some(&self.valid_from), Some(&self.valid_till))
    }
}

impl RequestBody for PermitValidityUpdate {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        if self.valid_from.is_none() && self.valid_till.is_none() {
            return Err(Error::invalid(
                "validTill",
                "or `validFrom` must be set: nothing to change",
            ));
        }
        check_window(self.valid_from.as_ref(), self.valid_till.as_ref())
    }
}

impl RequestBody for ExternalNfcVisitRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        // The spec's marks (generated), then "a phone or an email", which it cannot state.
        ExternalNfcVisitRequest::validate(self)?;
        let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !has(&self.phone) && !has(&self.email) {
            return Err(Error::invalid("phone", "or `email` is required"));
        }
        Ok(())
    }
}

/// Fails with [`Error::InvalidRequest`] when an extra JSON field would decide what the call does
/// on the wire: `action` selects the state transition, and with it whether the call may be
/// re-sent (`update_validity(id).extra("action", "replaceNoc")` would be retried as a safe
/// validity change). Use the typed operation instead.
pub(crate) fn check_extras(extra: &Map<String, Value>) -> Result<(), Error> {
    if extra.contains_key("action") {
        return Err(Error::invalid(
            "action",
            "cannot be set as an extra field: it selects the operation and how it is retried; \
             use the typed operation",
        ));
    }
    Ok(())
}

pub(crate) use crate::models::validate::require_id;

/// Fails with [`Error::InvalidRequest`] when `till` is before `from`.
pub(crate) fn check_window(
    from: Option<&Timestamp>,
    till: Option<&Timestamp>,
) -> Result<(), Error> {
    if let (Some(from), Some(till)) = (from, till)
        && let (Some(f), Some(t)) = (from.unix_millis(), till.unix_millis())
        && t < f
    {
        return Err(Error::invalid(
            "validTill",
            format!("({till}) must not be before `validFrom` ({from})"),
        ));
    }
    Ok(())
}
