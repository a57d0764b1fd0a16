//! The SDK calls, as errors and logs name them (`permits().create`): each written once.

pub(crate) const LOGS_EVENTS: &str = "logs().events";
pub(crate) const LOGS_EVENTS_STREAM: &str = "logs().events().stream";
pub(crate) const ACCESSES_CREATE_QR: &str = "accesses().create_qr";
pub(crate) const PROPERTY_MANAGERS_CREATE: &str = "property_managers().create";
pub(crate) const PROPERTY_MANAGERS_UPDATE: &str = "property_managers().update";
pub(crate) const VISITS_EXTERNAL_NFC: &str = "visits().external_nfc";
pub(crate) const CONTRACTORS_CREATE: &str = "community_contractors().create";
pub(crate) const CONTRACTORS_APPROVE: &str = "community_contractors().approve";
pub(crate) const CONTRACTORS_REVOKE: &str = "community_contractors().revoke";
pub(crate) const PERMITS_CREATE: &str = "permits().create";
pub(crate) const PERMITS_GET: &str = "permits().get";
pub(crate) const PERMITS_UPDATE_VALIDITY: &str = "permits().update_validity";
pub(crate) const PERMITS_REPLACE_NOC: &str = "permits().replace_noc";
pub(crate) const PASSES_REVOKE: &str = "passes().revoke";
pub(crate) const PASSES_REISSUE: &str = "passes().reissue";
pub(crate) const PASSES_SUBMIT: &str = "passes().submit";
