//! What an answer held that the spec does not know: the fields the SDK kept in its `extra`
//! maps, the enum values it kept as `Unknown`, and statuses the spec does not list for the
//! operation. `buzzin check` reports these from a real account (read-only calls only);
//! `buzzin simulate --drift` (and [`SimulatorBuilder::drift`](crate::SimulatorBuilder::drift))
//! makes the simulator answer with all three, to try the report out.
//!
//! ```
//! use buzzin::models::Permit;
//! use buzzin_sim::drift::{self, DriftKind};
//!
//! let permit: Permit = serde_json::from_str(
//!     r#"{"_id": "66f0a1b2c3d4e5f600000abc", "status": 77, "approvalChain": []}"#,
//! ).unwrap();
//! let found = drift::in_permit(&permit);
//! assert_eq!(found.len(), 2);
//! assert_eq!((found[0].kind, found[0].location.as_str()), (DriftKind::EnumValue, "status"));
//! assert_eq!(found[0].value, "77");
//! assert_eq!((found[1].kind, found[1].location.as_str()), (DriftKind::Field, "approvalChain"));
//! assert_eq!(found[1].value, "array"); // a field's type, never its value
//! ```

use buzzin::models::{
    EventLogPage, EventLogRecord, NocRecord, Permit, PermitStatus, PermitType, StoredFile,
    VisitType,
};
use serde_json::{Map, Value};

/// What kind of thing the spec does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DriftKind {
    /// A field the spec does not describe (the SDK kept it in an `extra` map).
    Field,
    /// A value of an open enum the spec does not list (the SDK kept it as `Unknown`).
    EnumValue,
    /// A status the spec does not list for the operation.
    Status,
}

impl DriftKind {
    /// `field`, `enum value` or `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Field => "field",
            DriftKind::EnumValue => "enum value",
            DriftKind::Status => "status",
        }
    }
}

/// One thing an answer held that the spec does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// The spec's operation id (`listEvents`, `getPermit`), once the finding is placed; empty
    /// from [`in_permit`] and [`in_event_page`].
    pub operation: String,
    /// What kind of thing.
    pub kind: DriftKind,
    /// Where: a JSON path in the answer (`data[0].deviceName`), or the request for a status.
    pub location: String,
    /// For a field, its JSON type (`string`, `object`, …: never its value, which may be
    /// personal data); for an enum value, the value; for a status, the code.
    pub value: String,
}

impl Drift {
    fn new(kind: DriftKind, location: String, value: String) -> Self {
        Drift {
            operation: String::new(),
            kind,
            location,
            value,
        }
    }

    /// The finding as JSON: `{operation, kind, location, value}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "operation": self.operation,
            "kind": self.kind.as_str(),
            "location": self.location,
            "value": self.value,
        })
    }
}

/// The statuses the spec lists for an operation (by its id), or `None` for an operation
/// `buzzin check` does not call. A test holds these equal to `openapi/buzzin.yaml`.
pub fn documented_statuses(operation: &str) -> Option<&'static [u16]> {
    match operation {
        "listEvents" => Some(&[200, 400, 401]),
        "getPermit" => Some(&[200, 401, 404]),
        _ => None,
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn at(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn fields(found: &mut Vec<Drift>, prefix: &str, extra: &Map<String, Value>) {
    for (name, value) in extra {
        found.push(Drift::new(
            DriftKind::Field,
            at(prefix, name),
            json_type(value).to_owned(),
        ));
    }
}

fn file(found: &mut Vec<Drift>, prefix: &str, file: &StoredFile) {
    fields(found, prefix, &file.extra);
}

fn noc(found: &mut Vec<Drift>, prefix: &str, noc: &NocRecord) {
    if let Some(document) = &noc.document {
        file(found, &at(prefix, "document"), document);
    }
    fields(found, prefix, &noc.extra);
}

/// What a permit (`GET /permits/{id}`) holds that the spec does not know.
pub fn in_permit(permit: &Permit) -> Vec<Drift> {
    let mut found = Vec::new();
    // A number the spec assumes (`x-buzzin-assumed-values`, the simulator's own) is drift only
    // when its `statusName` says another state.
    if let Some(PermitStatus::Unknown(code)) = &permit.status {
        let assumed = crate::status::assumed_name(*code);
        let agrees = assumed.is_some_and(|name| {
            permit
                .status_name
                .as_deref()
                .is_none_or(|sent| sent.trim().eq_ignore_ascii_case(name))
        });
        if !agrees {
            found.push(Drift::new(
                DriftKind::EnumValue,
                "status".into(),
                code.to_string(),
            ));
        }
    }
    if let Some(revocation) = &permit.revocation {
        fields(&mut found, "revocation", &revocation.extra);
    }
    if let Some(PermitType::Unknown(value)) = &permit.permit_type {
        found.push(Drift::new(
            DriftKind::EnumValue,
            "permitType".into(),
            value.clone(),
        ));
    }
    for (i, employee) in permit.employees.iter().flatten().enumerate() {
        fields(&mut found, &format!("employees[{i}]"), &employee.extra);
    }
    if let Some(integrations) = &permit.integrations {
        if let Some(damac) = &integrations.damac {
            let prefix = "integrations.damac";
            if let Some(current) = &damac.noc {
                noc(&mut found, &at(prefix, "noc"), current);
            }
            for (i, old) in damac.noc_history.iter().flatten().enumerate() {
                noc(&mut found, &format!("{prefix}.nocHistory[{i}]"), old);
            }
            fields(&mut found, prefix, &damac.extra);
        }
        fields(&mut found, "integrations", &integrations.extra);
    }
    fields(&mut found, "", &permit.extra);
    found
}

fn in_event(found: &mut Vec<Drift>, prefix: &str, record: &EventLogRecord) {
    if let Some(VisitType::Unknown(value)) = &record.visit_type {
        found.push(Drift::new(
            DriftKind::EnumValue,
            at(prefix, "visitType"),
            value.clone(),
        ));
    }
    fields(found, prefix, &record.extra);
}

/// What a page of event logs (`GET /events`) holds that the spec does not know.
pub fn in_event_page(page: &EventLogPage) -> Vec<Drift> {
    let mut found = Vec::new();
    for (i, record) in page.data.iter().flatten().enumerate() {
        in_event(&mut found, &format!("data[{i}]"), record);
    }
    fields(&mut found, "", &page.extra);
    found
}

/// A status the spec does not list for `operation`, as a finding (`None` when it is listed,
/// or for an operation [`documented_statuses`] does not know).
pub fn status(operation: &str, request: &str, status: u16) -> Option<Drift> {
    let listed = documented_statuses(operation)?;
    (!listed.contains(&status)).then(|| Drift {
        operation: operation.to_owned(),
        kind: DriftKind::Status,
        location: request.to_owned(),
        value: status.to_string(),
    })
}
