//! The simulated community's records and the business rules of every operation.
//!
//! Everything here is synchronous and runs under one lock: an operation checks its rules,
//! changes the records and emits its webhook events in order, or fails and changes nothing.
//!
//! This file holds the records and the indexes; the clock is in [`clock`], the answers in
//! [`failure`], the state as a document in [`persist`]; the rules live by resource:
//! [`contractors`], [`permits`] (and their passes), [`gates`], [`visitor_management`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::delivery::Outbox;
use super::seed::{GateDirection, Seed};
use super::status;
use buzzin::models::{
    AccessId, Company, Contractor, ContractorAction, ContractorId, ContractorIntegrations,
    ContractorRef, CreateContractorRequest, CreatePermitRequest, CreatePropertyManagerRequest,
    CreateQrAccessRequest, DamacContractor, DamacPermit, EventLogId, EventLogPage, EventLogRecord,
    ExternalNfcVisitResponse, FileInput, FlatId, FlatRef, LeaveEvent, NfcResponseCode, NocInput,
    NocRecord, Permit, PermitEmployee, PermitEventData, PermitId, PermitIntegrations, PermitStatus,
    PermitType, PropertyId, PropertyManager, PropertyRef, QrAccess, StoredFile, Timestamp,
    UpdateContractorRequest, UpdatePropertyManagerRequest, UserId, VisitType, WebhookEventName,
};

/// A 1×1 transparent PNG: the simulator's stand-in for a QR image.
/// A server-owned model of the SDK (`#[non_exhaustive]` and `Default`, so another crate cannot
/// write it as a struct literal) with the fields given, written as the literal would be.
macro_rules! record {
    ($ty:ident { $($body:tt)* }) => {{
        #[allow(unused_mut)]
        let mut record = <$ty>::default();
        record!(@fields record; $($body)*);
        record
    }};
    (@fields $r:ident; ) => {};
    (@fields $r:ident; ..Default::default() $(,)?) => {};
    (@fields $r:ident; $field:ident : $value:expr $(, $($rest:tt)*)?) => {
        $r.$field = $value;
        record!(@fields $r; $($($rest)*)?);
    };
    (@fields $r:ident; $field:ident $(, $($rest:tt)*)?) => {
        $r.$field = $field;
        record!(@fields $r; $($($rest)*)?);
    };
}

mod clock;
mod contractors;
mod failure;
mod gates;
mod permits;
pub(crate) mod persist;

pub(crate) use clock::{Clock, MAX_CLOCK_MS};
pub use failure::SimulatorError;
pub(crate) use failure::{Answer, Failure, Reply};
mod snapshot;
mod visitor_management;

/// A one-page PDF that says what it stands for: the permit documents a pass's issue mints.
const PLACEHOLDER_PDF: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 58 >> stream
BT /F1 12 Tf 10 50 Td (Buzz-In simulator: permit) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

const PLACEHOLDER_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// What the dashboard fills in on a permit before it can be submitted (see
/// [`Simulator::fill_permit_details`](super::Simulator::fill_permit_details)). Only the fields
/// that are set change.
///
/// Assumed: the documentation names `timeIn`, `timeOut`, `representativeName`,
/// `representativeContact` and the employees as `submit` preconditions but does not show their
/// shapes: times are `HH:MM` text and an employee is `{"name": …}`.
///
/// ```
/// use buzzin_sim::PermitDetails;
///
/// let details = PermitDetails::new()
///     .time_in("08:00")
///     .time_out("18:00")
///     .representative("Bilal Site Lead", "+971503334455")
///     .employee("Bilal")
///     .employee("Karim");
/// assert_eq!(details, PermitDetails::typical());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermitDetails {
    time_in: Option<String>,
    time_out: Option<String>,
    representative_name: Option<String>,
    representative_contact: Option<String>,
    employees: Vec<String>,
}

impl PermitDetails {
    /// Nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything a submission needs: 08:00–18:00, a representative and two employees.
    pub fn typical() -> Self {
        Self::new()
            .time_in("08:00")
            .time_out("18:00")
            .representative("Bilal Site Lead", "+971503334455")
            .employee("Bilal")
            .employee("Karim")
    }

    /// The daily start of work, such as `08:00`.
    pub fn time_in(mut self, time: impl Into<String>) -> Self {
        self.time_in = Some(time.into());
        self
    }

    /// The daily end of work, such as `18:00`.
    pub fn time_out(mut self, time: impl Into<String>) -> Self {
        self.time_out = Some(time.into());
        self
    }

    /// The contractor's representative on site and how to reach them.
    pub fn representative(mut self, name: impl Into<String>, contact: impl Into<String>) -> Self {
        self.representative_name = Some(name.into());
        self.representative_contact = Some(contact.into());
        self
    }

    /// Adds an employee to the permit.
    pub fn employee(mut self, name: impl Into<String>) -> Self {
        self.employees.push(name.into());
        self
    }
}

/// A gate scan that let the holder through (see [`Simulator::scan`](super::Simulator::scan)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scan {
    /// The permit whose pass was scanned.
    pub permit_id: PermitId,
    /// Entry or exit.
    pub direction: GateDirection,
    /// Whether this was the pass's first accepted scan (`passes.permits.firstScanned`).
    pub first: bool,
}

/// Why a gate refused a pass. The documentation lists expired/inactive, revoked, archived and
/// wrong location; an unknown code and the old code of a reissued pass are refused too. The
/// checks run in that order: code, status, validity window, location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ScanRefusal {
    /// No pass has this code.
    #[error("no pass has this access code")]
    UnknownCode,
    /// The code was replaced by a reissue; only the new code opens the gate.
    #[error("this access code was replaced when the pass was reissued")]
    Reissued,
    /// The permit is not active: its validity has not started yet.
    #[error("the permit is not active yet")]
    Inactive,
    /// The permit's validity is over.
    #[error("the permit has expired")]
    Expired,
    /// The permit's pass was revoked.
    #[error("the permit's pass was revoked")]
    Revoked,
    /// The permit was archived (its contractor was revoked).
    #[error("the permit was archived")]
    Archived,
    /// The gate is not at the permit's property.
    #[error("the pass is not valid at this location")]
    WrongLocation,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct ContractorRec {
    record: Contractor,
    revoked: bool,
}

impl ContractorRec {
    fn attached(&self, community: &str) -> bool {
        self.record
            .communities_ids
            .iter()
            .flatten()
            .any(|c| c.as_str() == community)
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermitRec {
    id: PermitId,
    status: i64,
    pass_number: String,
    contractor_id: ContractorId,
    property_id: PropertyId,
    flat_id: FlatId,
    additional_flat_ids: Vec<FlatId>,
    valid_from: Timestamp,
    valid_till: Timestamp,
    #[serde(with = "persist::details")]
    details: PermitDetails,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jobs_summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_code: Option<String>,
    /// Absolute, as in the webhooks; set when a pass is issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qr_image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documentation_url: Option<String>,
    salesforce_id: buzzin::models::SalesforceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    noc: Option<NocRecord>,
    noc_history: Vec<NocRecord>,
    expiring_sent: bool,
    scanned: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation: Option<Value>,
}

impl PermitRec {
    fn millis(t: &Timestamp) -> i64 {
        t.unix_millis().unwrap_or(0)
    }

    fn render(&self) -> Permit {
        let has_pass = self.access_code.is_some();
        let mut permit = record!(Permit {
            id: Some(self.id.clone()),
            status: Some(PermitStatus::from(self.status)),
            status_name: Some(status::name(self.status).to_owned()),
            pass_number: Some(self.pass_number.clone()),
            permit_type: Some(PermitType::BuildUp),
            community_contractor_id: Some(self.contractor_id.clone()),
            property_id: Some(self.property_id.clone()),
            flat_id: Some(self.flat_id.clone()),
            additional_flat_ids: Some(self.additional_flat_ids.clone()),
            valid_from: Some(self.valid_from),
            valid_till: Some(self.valid_till),
            time_in: self.details.time_in.clone(),
            time_out: self.details.time_out.clone(),
            representative_name: self.details.representative_name.clone(),
            representative_contact: self.details.representative_contact.clone(),
            employees: Some(
                self.details
                    .employees
                    .iter()
                    .map(|name| record!(PermitEmployee {
                        name: Some(name.clone()),
                        ..Default::default()
                    }))
                    .collect(),
            ),
            jobs_summary: self.jobs_summary.clone(),
            access_code: self.access_code.clone(),
            qr_token: self.access_code.clone(),
            qr_image_url: self.access_code.as_ref().and(self.qr_image_url.clone()),
            qr_image_base64: has_pass
                .then(|| base64::engine::general_purpose::STANDARD.encode(PLACEHOLDER_PNG)),
            permit_documentation_url: self.documentation_url.clone(),
            integrations: Some(record!(PermitIntegrations {
                damac: Some(record!(DamacPermit {
                    salesforce_id: Some(self.salesforce_id.clone()),
                    noc: self.noc.clone(),
                    noc_history: Some(self.noc_history.clone()),
                    ..Default::default()
                })),
                ..Default::default()
            })),
            ..Default::default()
        });
        permit.revocation = self
            .revocation
            .as_ref()
            .and_then(|revocation| serde_json::from_value(revocation.clone()).ok());
        permit
    }

    fn qr_image_path(&self) -> String {
        format!("/public/permits/permit-{}-qr.png", self.pass_number)
    }

    fn event_data(&self, community: &str) -> Value {
        let permit = self.render();
        let data = record!(PermitEventData {
            permit_id: permit.id,
            pass_number: permit.pass_number,
            status: permit.status,
            status_name: permit.status_name,
            r#type: Some("permits".into()),
            permit_type: permit.permit_type,
            community_id: Some(community.into()),
            property_id: permit.property_id,
            flat_id: permit.flat_id,
            community_contractor_id: permit.community_contractor_id,
            salesforce_id: Some(self.salesforce_id.clone()),
            valid_from: permit.valid_from,
            valid_till: permit.valid_till,
            access_code: permit.access_code,
            permit_documentation_url: permit.permit_documentation_url,
            qr_token: permit.qr_token,
            qr_image_base64: permit.qr_image_base64,
            qr_image_url: permit.qr_image_url,
            ..Default::default()
        });
        serde_json::to_value(data).expect("models serialize")
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct UserRec {
    record: PropertyManager,
}

/// A filter of `GET /events`.
type LogFilter = Box<dyn Fn(&LogRec) -> bool>;

#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogRec {
    id: EventLogId,
    visit_type: VisitType,
    property_id: PropertyId,
    flat_id: Option<FlatId>,
    at: i64,
    extra: Map<String, Value>,
}

/// The secret, document id, phone and email of an NFC visit.
pub(crate) type NfcVisitFields = (String, String, Option<String>, Option<String>);

/// Settings of the rules that the documentation leaves open.
pub(crate) struct Rules {
    pub expiring_notice: Duration,
}

/// Every record of the simulated community.
pub(crate) struct State {
    pub seed: Seed,
    pub base_url: String,
    pub clock: Clock,
    pub rules: Rules,
    pub outbox: Outbox,
    next_id: u64,
    next_pass: u64,
    contractors: Vec<ContractorRec>,
    permits: Vec<PermitRec>,
    users: Vec<UserRec>,
    accesses: Vec<QrAccess>,
    logs: Vec<LogRec>,
    /// Codes that died when their pass was reissued.
    reissued_codes: HashSet<String>,
    /// Residents inside, by (document id, property id): since when.
    inside: HashMap<(String, String), i64>,
    /// Files uploaded in base64, served under `/public/`.
    pub files: HashMap<String, (String, Vec<u8>)>,
    /// Lookups that would otherwise scan every record, so that a request costs the same at 100
    /// records and at 100k.
    index: Index,
}

/// The simulator's indexes over its records (positions in `State`'s vectors, which only grow).
#[derive(Default)]
struct Index {
    permit_by_id: HashMap<String, usize>,
    permit_by_code: HashMap<String, usize>,
    permit_salesforce_ids: HashSet<String>,
    contractor_by_id: HashMap<String, usize>,
    /// Lowercase: emails are unique across Buzz-In, whatever their case.
    contractor_emails: HashSet<String>,
    contractors_by_phone: HashMap<String, Vec<usize>>,
    contractors_by_salesforce_id: HashMap<String, Vec<usize>>,
    /// When an ACCEPTED permit next has something due on the clock (its expiring notice, then
    /// its end), so that `tick` looks only at what is due. An entry made stale by a validity
    /// change or a revoke is re-checked against the permit when it comes up.
    due: BTreeSet<(i64, usize)>,
}

fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, Failure> {
    serde_json::from_value(body.clone())
        .map_err(|e| Failure::bad_request(format!("Invalid request body: {e}")))
}

/// A partial update's rule for one field: a value given replaces the one kept; an absent one
/// leaves it as it was.
fn update<T>(kept: &mut Option<T>, given: Option<T>) {
    if given.is_some() {
        *kept = given;
    }
}

fn millis(t: &Timestamp, field: &str) -> Result<i64, Failure> {
    t.unix_millis()
        .ok_or_else(|| Failure::bad_request(format!("`{field}` is not a valid date-time")))
}

impl State {
    pub fn new(seed: Seed, base_url: String, clock: Clock, rules: Rules, outbox: Outbox) -> Self {
        State {
            seed,
            base_url,
            clock,
            rules,
            outbox,
            next_id: 1,
            next_pass: 1,
            contractors: Vec::new(),
            permits: Vec::new(),
            users: Vec::new(),
            accesses: Vec::new(),
            logs: Vec::new(),
            reissued_codes: HashSet::new(),
            inside: HashMap::new(),
            files: HashMap::new(),
            index: Index::default(),
        }
    }

    /// Puts the permit at `index` in the clock's queue at its next due instant, if it has one.
    fn schedule(&mut self, index: usize) {
        let permit = &self.permits[index];
        if permit.status != status::ACCEPTED_CODE {
            return;
        }
        let till = PermitRec::millis(&permit.valid_till);
        let notice = i64::try_from(self.rules.expiring_notice.as_millis()).unwrap_or(i64::MAX);
        let at = if permit.expiring_sent {
            till
        } else {
            till.saturating_sub(notice)
        };
        self.index.due.insert((at, index));
    }

    fn community(&self) -> String {
        self.seed.community_id.as_str().to_owned()
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.clock.now_ms())
    }

    /// A fresh 24-hex-digit object id.
    fn mint_id(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        format!("5f1d{n:020x}")
    }

    fn mint_code() -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        (0..24)
            .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
            .collect()
    }

    fn emit(&mut self, event: WebhookEventName, data: Value) {
        let id = self.mint_id();
        let now = self.now();
        let community = self.community();
        self.outbox.emit(id, event, community, now, data);
    }

    fn emit_permit(&mut self, event: WebhookEventName, index: usize) {
        let data = self.permits[index].event_data(&self.community());
        self.emit(event, data);
    }

    /// Stores a file given to the API and answers where Buzz-In serves it.
    fn store_file(&mut self, file: &FileInput, folder: &str) -> Result<StoredFile, Failure> {
        let public_url = match file {
            FileInput::Url { url } => {
                url::Url::parse(url)
                    .map_err(|_| Failure::bad_request(format!("`{url}` is not a valid URL")))?;
                url.clone()
            }
            FileInput::Base64 {
                data,
                file_name,
                mime_type,
            } => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data.trim())
                    .map_err(|_| Failure::bad_request("The file's `data` is not valid base64"))?;
                let name = file_name.clone().unwrap_or_else(|| "file".into());
                let name: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let path = format!("{folder}/{}-{name}", self.mint_id());
                let mime = mime_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into());
                self.files.insert(path.clone(), (mime, bytes));
                format!("{}/public/{path}", self.base_url)
            }
            // The spec leaves `type` open (the documentation lists no values), but a simulator
            // cannot know what Buzz-In makes of another type: it says so rather than guess.
            FileInput::Other(fields) => {
                let kind = fields.get("type").and_then(Value::as_str).unwrap_or("");
                let kind: String = kind.chars().take(40).filter(|c| !c.is_control()).collect();
                return Err(Failure::bad_request(format!(
                    "The simulator stores `url` and `base64` files only, not type `{kind}`"
                )));
            }
        };
        Ok(record!(StoredFile {
            public_url: Some(public_url),
            ..Default::default()
        }))
    }

    fn noc_record(&mut self, noc: &NocInput) -> Result<NocRecord, Failure> {
        if noc
            .noc_number
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return Err(Failure::bad_request("`noc.nocNumber` is empty"));
        }
        Ok(record!(NocRecord {
            document: Some(self.store_file(&noc.document, "permits")?),
            noc_number: noc.noc_number.clone(),
            issue_date: noc.issue_date,
            expiry_date: noc.expiry_date,
            ..Default::default()
        }))
    }

    /// Moves the clock's consequences forward: expiring and expired permits.
    pub fn tick(&mut self) {
        let now = self.clock.now_ms();
        let notice = i64::try_from(self.rules.expiring_notice.as_millis()).unwrap_or(i64::MAX);
        while let Some(&(at, index)) = self.index.due.first() {
            if at > now {
                break;
            }
            self.index.due.pop_first();
            let permit = &self.permits[index];
            if permit.status != status::ACCEPTED_CODE {
                continue;
            }
            let till = PermitRec::millis(&permit.valid_till);
            if now >= till.saturating_sub(notice) && !permit.expiring_sent {
                self.permits[index].expiring_sent = true;
                self.emit_permit(WebhookEventName::PermitExpiring, index);
            }
            if now >= till {
                self.permits[index].status = status::EXPIRED_CODE;
                self.emit_permit(WebhookEventName::PermitExpired, index);
            } else {
                // Its window moved, or its notice was sent: what is due next.
                self.schedule(index);
            }
        }
    }
}

/// `validTill` in the future and not before `validFrom`.
fn check_validity(from: i64, till: i64, now: i64) -> Result<(), Failure> {
    if till < from {
        return Err(Failure::bad_request(
            "validTill must not be before validFrom",
        ));
    }
    if till <= now {
        return Err(Failure::bad_request("validTill must be in the future"));
    }
    Ok(())
}
