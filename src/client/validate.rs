//! Request validation: the rules a request body must meet before anything is sent.
//!
//! Each body the client sends is a [`RequestBody`]: its untyped fields, its `action` (which may
//! choose how the call is retried), and the rules the documentation states, checked by
//! `dispatch` before the call is made ([`Error::InvalidRequest`]).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::models::{
    ContractorRef, CreateContractorRequest, CreatePermitRequest, CreatePropertyManagerRequest,
    CreateQrAccessRequest, ExternalNfcVisitRequest, FlatRef, NocReplacement, PermitValidityUpdate,
    PropertyRef, Timestamp, UpdateContractorRequest, UpdatePropertyManagerRequest,
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

impl RequestBody for CreateQrAccessRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        require_text("visitor.name", &self.visitor.name)?;
        require_id("propertyId", self.property_id.as_str())?;
        require_id("flatId", self.flat_id.as_str())
    }
}

impl RequestBody for CreateContractorRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        let salesforce_id = self.integrations.damac.salesforce_id.as_str();
        require_id("integrations.damac.salesforceId", salesforce_id)
    }
}

impl RequestBody for CreatePermitRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        require_text("salesforcePermitId", self.salesforce_permit_id.as_str())?;
        match &self.contractor {
            ContractorRef::SalesforceId(id) => require_id("contractorSalesforceId", id.as_str())?,
            ContractorRef::Id(id) => require_id("communityContractorId", id.as_str())?,
        }
        match &self.property {
            PropertyRef::ExternalId(id) => require_id("propertyExternalId", id)?,
            PropertyRef::Id(id) => require_id("propertyId", id.as_str())?,
        }
        match &self.flat {
            FlatRef::ExternalId(id) => require_id("flatExternalId", id)?,
            FlatRef::Id(id) => require_id("flatId", id.as_str())?,
        }
        for id in self.additional_flat_external_ids.iter().flatten() {
            require_id("additionalFlatExternalIds", id)?;
        }
        for id in self.additional_flat_ids.iter().flatten() {
            require_id("additionalFlatIds", id.as_str())?;
        }
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

impl RequestBody for CreatePropertyManagerRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        (self.properties_ids.iter()).try_for_each(|id| require_id("propertiesIds", id.as_str()))
    }
}

impl RequestBody for UpdatePropertyManagerRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        (self.properties_ids.iter().flatten())
            .try_for_each(|id| require_id("propertiesIds", id.as_str()))
    }
}

impl RequestBody for ExternalNfcVisitRequest {
    fn extra(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra)
    }

    fn validate(&self) -> Result<(), Error> {
        require_text("deviceSecret", &self.device_secret)?;
        require_text("documentId", &self.document_id)?;
        let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !has(&self.phone) && !has(&self.email) {
            return Err(Error::invalid("phone", "or `email` is required"));
        }
        Ok(())
    }
}

/// Fails with [`Error::InvalidRequest`] naming `field` when `id` is empty or blank, or is `.`
/// or `..`: such an id would vanish from a URL path (`PATCH /passes/..` is `PATCH /`), and the
/// call would act on another resource. Every other id stays one path segment (it is
/// percent-encoded, `/` included).
pub(crate) fn require_id(field: &'static str, id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid(
            field,
            "must not be `.` or `..` (it would not stay one URL path segment)",
        ));
    }
    Ok(())
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

/// Fails with [`Error::InvalidRequest`] naming `field` when `value` is empty or blank.
pub(crate) fn require_text(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required and must not be empty"));
    }
    Ok(())
}

/// Fails with [`Error::InvalidRequest`] when `till` is before `from`.
pub(crate) fn check_window(
    from: Option<&Timestamp>,
    till: Option<&Timestamp>,
) -> Result<(), Error> {
    if let (Some(from), Some(till)) = (from, till) {
        if let (Some(f), Some(t)) = (from.unix_millis(), till.unix_millis()) {
            if t < f {
                return Err(Error::invalid(
                    "validTill",
                    format!("({till}) must not be before `validFrom` ({from})"),
                ));
            }
        }
    }
    Ok(())
}
