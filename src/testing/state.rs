//! The simulated community's records and the business rules of every operation.
//!
//! Everything here is synchronous and runs under one lock: an operation checks its rules,
//! changes the records and emits its webhook events in order, or fails and changes nothing.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::delivery::Outbox;
use super::seed::{GateDirection, Seed};
use super::status;
use crate::models::{
    AccessId, Company, Contractor, ContractorAction, ContractorId, ContractorIntegrations,
    ContractorRef, CreateContractorRequest, CreatePermitRequest, CreatePropertyManagerRequest,
    CreateQrAccessRequest, DamacContractor, DamacPermit, EventLogId, EventLogPage, EventLogRecord,
    ExternalNfcVisitResponse, FileInput, FlatId, FlatRef, LeaveEvent, NfcResponseCode, NocInput,
    NocRecord, Permit, PermitEmployee, PermitEventData, PermitId, PermitIntegrations, PermitStatus,
    PermitType, PropertyId, PropertyManager, PropertyRef, QrAccess, StoredFile, Timestamp,
    UpdateContractorRequest, UpdatePropertyManagerRequest, UserId, VisitType, WebhookEventName,
};

/// A 1×1 transparent PNG: the simulator's stand-in for a QR image.
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

/// An error answer of the simulated API, in the Feathers shape.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: u16,
    pub message: String,
    pub errors: Option<Value>,
}

impl Failure {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
            errors: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    /// The Feathers `name` and `className` of a status.
    pub fn names(status: u16) -> (&'static str, &'static str) {
        match status {
            400 => ("BadRequest", "bad-request"),
            401 => ("NotAuthenticated", "not-authenticated"),
            403 => ("Forbidden", "forbidden"),
            404 => ("NotFound", "not-found"),
            405 => ("MethodNotAllowed", "method-not-allowed"),
            409 => ("Conflict", "conflict"),
            413 => ("PayloadTooLarge", "payload-too-large"),
            429 => ("TooManyRequests", "too-many-requests"),
            _ => ("GeneralError", "general-error"),
        }
    }

    /// The Feathers error body.
    pub fn body(&self) -> Value {
        let (name, class_name) = Self::names(self.status);
        let mut body = json!({
            "name": name,
            "message": self.message,
            "code": self.status,
            "className": class_name,
        });
        if let Some(errors) = &self.errors {
            body["errors"] = errors.clone();
        }
        body
    }
}

/// A successful answer of the simulated API.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    fn json<T: serde::Serialize>(status: u16, value: &T) -> Self {
        Reply {
            status,
            body: serde_json::to_value(value).expect("models serialize"),
        }
    }
}

pub(crate) type Answer = Result<Reply, Failure>;

/// Why a hook of the simulator (the dashboard or a gate) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// No record of that kind has that id.
    #[error("no {kind} has the id `{id}`")]
    NotFound {
        /// The kind of record: `contractor` or `permit`.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The record is not in a state that allows the action.
    #[error("{0}")]
    InvalidState(String),
}

/// What the dashboard fills in on a permit before it can be submitted (see
/// [`Simulator::fill_permit_details`](super::Simulator::fill_permit_details)). Only the fields
/// that are set change.
///
/// Assumed: the documentation names `timeIn`, `timeOut`, `representativeName`,
/// `representativeContact` and the employees as `submit` preconditions but does not show their
/// shapes: times are `HH:MM` text and an employee is `{"name": …}`.
///
/// ```
/// use buzzin::testing::PermitDetails;
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
    details: PermitDetails,
    jobs_summary: Option<String>,
    access_code: Option<String>,
    /// Absolute, as in the webhooks; set when a pass is issued.
    qr_image_url: Option<String>,
    documentation_url: Option<String>,
    salesforce_id: crate::models::SalesforceId,
    noc: Option<NocRecord>,
    noc_history: Vec<NocRecord>,
    expiring_sent: bool,
    scanned: bool,
    revocation: Option<Value>,
}

impl PermitRec {
    fn millis(t: &Timestamp) -> i64 {
        t.unix_millis().unwrap_or(0)
    }

    fn render(&self) -> Permit {
        let has_pass = self.access_code.is_some();
        let mut permit = Permit {
            id: Some(self.id.clone()),
            status: Some(PermitStatus::from(self.status)),
            status_name: Some(status::name(self.status).to_owned()),
            pass_number: Some(self.pass_number.clone()),
            permit_type: Some(PermitType::BuildUp),
            community_contractor_id: Some(self.contractor_id.clone()),
            property_id: Some(self.property_id.clone()),
            flat_id: Some(self.flat_id.clone()),
            additional_flat_ids: Some(self.additional_flat_ids.clone()),
            valid_from: Some(self.valid_from.clone()),
            valid_till: Some(self.valid_till.clone()),
            time_in: self.details.time_in.clone(),
            time_out: self.details.time_out.clone(),
            representative_name: self.details.representative_name.clone(),
            representative_contact: self.details.representative_contact.clone(),
            employees: Some(
                self.details
                    .employees
                    .iter()
                    .map(|name| PermitEmployee {
                        name: Some(name.clone()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            jobs_summary: self.jobs_summary.clone(),
            access_code: self.access_code.clone(),
            qr_token: self.access_code.clone(),
            qr_image_url: self.access_code.as_ref().and(self.qr_image_url.clone()),
            qr_image_base64: has_pass
                .then(|| base64::engine::general_purpose::STANDARD.encode(PLACEHOLDER_PNG)),
            permit_documentation_url: self.documentation_url.clone(),
            integrations: Some(PermitIntegrations {
                damac: Some(DamacPermit {
                    salesforce_id: Some(self.salesforce_id.clone()),
                    noc: self.noc.clone(),
                    noc_history: Some(self.noc_history.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        if let Some(revocation) = &self.revocation {
            permit.extra.insert("revocation".into(), revocation.clone());
        }
        permit
    }

    fn qr_image_path(&self) -> String {
        format!("/public/permits/permit-{}-qr.png", self.pass_number)
    }

    fn event_data(&self, community: &str) -> Value {
        let permit = self.render();
        let data = PermitEventData {
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
        };
        serde_json::to_value(data).expect("models serialize")
    }
}

struct UserRec {
    record: PropertyManager,
}

/// A filter of `GET /events`.
type LogFilter = Box<dyn Fn(&LogRec) -> bool>;

struct LogRec {
    id: EventLogId,
    visit_type: VisitType,
    property_id: PropertyId,
    flat_id: Option<FlatId>,
    at: i64,
    extra: Map<String, Value>,
}

/// The simulated clock: real time plus whatever [`advance`](Clock::advance) added, or frozen.
pub(crate) struct Clock {
    start_ms: i64,
    started: std::time::Instant,
    frozen: bool,
    offset_ms: i64,
}

impl Clock {
    pub fn new(start: Option<Timestamp>, frozen: bool) -> Self {
        let start_ms = start
            .and_then(|t| t.unix_millis())
            .unwrap_or_else(|| Timestamp::now().unix_millis().unwrap_or(0));
        Clock {
            start_ms,
            started: std::time::Instant::now(),
            frozen,
            offset_ms: 0,
        }
    }

    pub fn now_ms(&self) -> i64 {
        let elapsed = if self.frozen {
            0
        } else {
            i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
        };
        self.start_ms
            .saturating_add(elapsed)
            .saturating_add(self.offset_ms)
            .min(MAX_CLOCK_MS)
    }

    /// Moves the clock forward by `by`, stopping at [`MAX_CLOCK_MS`]; `false` when it stopped
    /// there short of `by`.
    pub fn advance(&mut self, by: Duration) -> bool {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let fits = self
            .now_ms()
            .checked_add(by)
            .is_some_and(|t| t <= MAX_CLOCK_MS);
        self.offset_ms = self.offset_ms.saturating_add(by).min(MAX_CLOCK_MS);
        fits
    }
}

/// The secret, document id, phone and email of an NFC visit.
pub(crate) type NfcVisitFields = (String, String, Option<String>, Option<String>);

/// The last instant the simulated clock shows, 9999-12-31T23:59:59.999Z: Buzz-In's timestamps
/// have four-digit years, so the clock stops there rather than overflow.
pub(crate) const MAX_CLOCK_MS: i64 = 253_402_300_799_999;

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
        };
        Ok(StoredFile {
            public_url: Some(public_url),
            ..Default::default()
        })
    }

    fn noc_record(&mut self, noc: &NocInput) -> Result<NocRecord, Failure> {
        if noc.noc_number.trim().is_empty() {
            return Err(Failure::bad_request("`noc.nocNumber` is required"));
        }
        Ok(NocRecord {
            document: Some(self.store_file(&noc.document, "permits")?),
            noc_number: Some(noc.noc_number.clone()),
            issue_date: Some(noc.issue_date.clone()),
            expiry_date: Some(noc.expiry_date.clone()),
            ..Default::default()
        })
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

    // ---- contractors ----------------------------------------------------------------------

    fn contractor_index(&self, id: &str) -> Option<usize> {
        self.index.contractor_by_id.get(id).copied()
    }

    /// The contractors of this community with `key` in `by` (a phone or Salesforce index).
    fn attached_among<'a>(
        &'a self,
        by: &'a HashMap<String, Vec<usize>>,
        key: &str,
    ) -> impl Iterator<Item = &'a ContractorRec> + 'a {
        let community = self.community();
        by.get(key)
            .into_iter()
            .flatten()
            .map(|&i| &self.contractors[i])
            .filter(move |c| c.attached(&community))
    }

    pub fn create_contractor(&mut self, body: &Value) -> Answer {
        let request: CreateContractorRequest = parse(body)?;
        for (field, value) in [
            ("name", &request.name),
            ("email", &request.email),
            ("phone", &request.phone),
            ("company.companyName", &request.company.company_name),
        ] {
            if value.trim().is_empty() {
                return Err(Failure::bad_request(format!("`{field}` is required")));
            }
        }
        if request.company.trade_license_expiry_date.ymd().is_none() {
            return Err(Failure::bad_request(
                "`company.tradeLicenseExpiryDate` is not a valid date",
            ));
        }
        let email = request.email.trim().to_lowercase();
        let email_taken = self.index.contractor_emails.contains(&email)
            || self
                .seed
                .other_community_contractors
                .iter()
                .any(|c| c.email.eq_ignore_ascii_case(&email));
        if email_taken {
            return Err(Failure::conflict(
                "A contractor with this email already exists",
            ));
        }
        if self
            .attached_among(&self.index.contractors_by_phone, &request.phone)
            .next()
            .is_some()
        {
            return Err(Failure::conflict(
                "A contractor with this phone already exists in the community",
            ));
        }
        let salesforce_id = request.integrations.damac.salesforce_id.clone();
        if self
            .attached_among(
                &self.index.contractors_by_salesforce_id,
                salesforce_id.as_str(),
            )
            .next()
            .is_some()
        {
            return Err(Failure::conflict(
                "A contractor with this Salesforce id already exists in the community",
            ));
        }
        let trade_license =
            self.store_file(&request.company.trade_license, "communityContractors")?;
        let id = ContractorId::new(self.mint_id());
        let id_text = id.as_str().to_owned();
        let sf_text = salesforce_id.as_str().to_owned();
        let record = Contractor {
            id: Some(id),
            name: Some(request.name),
            email: Some(request.email),
            phone: Some(request.phone),
            approved: Some(false),
            communities_ids: Some(vec![self.seed.community_id.clone()]),
            company: Some(Company {
                company_name: Some(request.company.company_name),
                trade_license: Some(trade_license),
                trade_license_expiry_date: Some(request.company.trade_license_expiry_date),
                ..Default::default()
            }),
            integrations: Some(ContractorIntegrations {
                damac: Some(DamacContractor {
                    salesforce_id: Some(salesforce_id),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            extra: request.extra,
        };
        let at = self.contractors.len();
        let index = &mut self.index;
        index.contractor_by_id.insert(id_text, at);
        index.contractor_emails.insert(email);
        index
            .contractors_by_phone
            .entry(record.phone.clone().unwrap_or_default())
            .or_default()
            .push(at);
        index
            .contractors_by_salesforce_id
            .entry(sf_text)
            .or_default()
            .push(at);
        self.contractors.push(ContractorRec {
            record: record.clone(),
            revoked: false,
        });
        Ok(Reply::json(201, &record))
    }

    pub fn update_contractor(&mut self, id: &str, body: &Value) -> Answer {
        let request: UpdateContractorRequest = parse(body)?;
        let index = self
            .contractor_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        match request.action {
            ContractorAction::Approve => self.approve_contractor_at(index)?,
            ContractorAction::Revoke => self.revoke_contractor_at(index),
        }
        Ok(Reply {
            status: 200,
            body: json!({ "message": "Contractor updated." }),
        })
    }

    fn approve_contractor_at(&mut self, index: usize) -> Result<(), Failure> {
        let rec = &mut self.contractors[index];
        if rec.revoked {
            return Err(Failure::bad_request(
                "The contractor was revoked and cannot be approved",
            ));
        }
        if rec.record.approved == Some(true) {
            return Ok(());
        }
        rec.record.approved = Some(true);
        let data = serde_json::to_value(&rec.record).expect("models serialize");
        self.emit(WebhookEventName::ContractorApproved, data);
        Ok(())
    }

    fn revoke_contractor_at(&mut self, index: usize) {
        if self.contractors[index].revoked {
            return;
        }
        let contractor_id = self.contractors[index].record.id.clone().expect("minted");
        for p in 0..self.permits.len() {
            let permit = &self.permits[p];
            if permit.contractor_id == contractor_id && status::is_live(permit.status) {
                let permit = &mut self.permits[p];
                permit.status = status::ARCHIVED_CODE;
                self.emit_permit(WebhookEventName::PermitUpdated, p);
            }
        }
        let community = self.community();
        let rec = &mut self.contractors[index];
        rec.revoked = true;
        if let Some(communities) = rec.record.communities_ids.as_mut() {
            communities.retain(|c| c.as_str() != community);
        }
        let data = serde_json::to_value(&rec.record).expect("models serialize");
        self.emit(WebhookEventName::ContractorRemoved, data);
    }

    pub fn approve_contractor_hook(
        &mut self,
        id: &ContractorId,
    ) -> Result<Contractor, SimulatorError> {
        let index = self
            .contractor_index(id.as_str())
            .ok_or_else(|| SimulatorError::NotFound {
                kind: "contractor",
                id: id.to_string(),
            })?;
        self.approve_contractor_at(index)
            .map_err(|f| SimulatorError::InvalidState(f.message))?;
        Ok(self.contractors[index].record.clone())
    }

    pub fn contractor(&self, id: &ContractorId) -> Option<Contractor> {
        self.contractor_index(id.as_str())
            .map(|i| self.contractors[i].record.clone())
    }

    // ---- permits --------------------------------------------------------------------------

    fn permit_index(&self, id: &str) -> Option<usize> {
        self.index.permit_by_id.get(id).copied()
    }

    fn resolve_flat(&self, property: &PropertyId, flat: &FlatRef) -> Result<FlatId, Failure> {
        let found = match flat {
            FlatRef::ExternalId(external) => self
                .seed
                .flat(external)
                .filter(|f| &f.property_id == property),
            FlatRef::Id(id) => self
                .seed
                .flat_by_id(id.as_str())
                .filter(|f| &f.property_id == property),
        };
        found.map(|f| f.id.clone()).ok_or_else(|| {
            let shown = match flat {
                FlatRef::ExternalId(e) => e.clone(),
                FlatRef::Id(i) => i.to_string(),
            };
            Failure::not_found(format!("Flat `{shown}` not found in the property"))
        })
    }

    pub fn create_permit(&mut self, body: &Value) -> Answer {
        let request: CreatePermitRequest = parse(body)?;
        let now = self.clock.now_ms();
        let from = millis(&request.valid_from, "validFrom")?;
        let till = millis(&request.valid_till, "validTill")?;
        check_validity(from, till, now)?;

        // References: the contractor, the property, the units.
        let community = self.community();
        let contractor = match &request.contractor {
            ContractorRef::SalesforceId(sf) => self
                .attached_among(&self.index.contractors_by_salesforce_id, sf.as_str())
                .next(),
            ContractorRef::Id(id) => self
                .contractor_index(id.as_str())
                .map(|i| &self.contractors[i])
                .filter(|c| c.attached(&community)),
        }
        .ok_or_else(|| Failure::not_found("Contractor not found in the community"))?;
        if contractor.record.approved != Some(true) {
            return Err(Failure::bad_request("The contractor is not approved"));
        }
        let contractor_id = contractor.record.id.clone().expect("minted");
        let property = match &request.property {
            PropertyRef::ExternalId(external) => self.seed.property(external),
            PropertyRef::Id(id) => self.seed.property_by_id(id.as_str()),
        }
        .ok_or_else(|| Failure::not_found("Property not found in the community"))?
        .id
        .clone();
        let flat_id = self.resolve_flat(&property, &request.flat)?;
        let mut additional = Vec::new();
        for external in request.additional_flat_external_ids.iter().flatten() {
            additional.push(self.resolve_flat(&property, &FlatRef::ExternalId(external.clone()))?);
        }
        for id in request.additional_flat_ids.iter().flatten() {
            additional.push(self.resolve_flat(&property, &FlatRef::Id(id.clone()))?);
        }
        additional.retain(|f| f != &flat_id);
        additional.dedup();

        if self
            .index
            .permit_salesforce_ids
            .contains(request.salesforce_permit_id.as_str())
        {
            return Err(Failure::conflict(
                "A permit with this salesforcePermitId already exists",
            ));
        }
        let noc = request
            .noc
            .as_ref()
            .map(|n| self.noc_record(n))
            .transpose()?;
        let id = PermitId::new(self.mint_id());
        let pass_number = format!("WP-{:06}", self.next_pass);
        self.next_pass += 1;
        self.index
            .permit_by_id
            .insert(id.as_str().to_owned(), self.permits.len());
        self.index
            .permit_salesforce_ids
            .insert(request.salesforce_permit_id.as_str().to_owned());
        self.permits.push(PermitRec {
            id,
            status: status::DRAFT_CODE,
            pass_number,
            contractor_id,
            property_id: property,
            flat_id,
            additional_flat_ids: additional,
            valid_from: request.valid_from,
            valid_till: request.valid_till,
            details: PermitDetails::default(),
            jobs_summary: request.jobs_summary,
            access_code: None,
            qr_image_url: None,
            documentation_url: None,
            salesforce_id: request.salesforce_permit_id,
            noc,
            noc_history: Vec::new(),
            expiring_sent: false,
            scanned: false,
            revocation: None,
        });
        Ok(Reply::json(
            201,
            &self.permits.last().expect("pushed").render(),
        ))
    }

    pub fn get_permit(&self, id: &str) -> Answer {
        let index = self
            .permit_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        Ok(Reply::json(200, &self.permits[index].render()))
    }

    pub fn update_permit(&mut self, id: &str, body: &Value) -> Answer {
        let index = self
            .permit_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        match body.get("action").and_then(Value::as_str) {
            Some("replaceNoc") => {
                let request: crate::models::NocReplacement = parse(body)?;
                let record = self.noc_record(&request.noc)?;
                let permit = &mut self.permits[index];
                if let Some(current) = permit.noc.replace(record) {
                    permit.noc_history.push(current);
                }
            }
            Some(other) => {
                return Err(Failure::bad_request(format!(
                    "Unknown action `{other}`; expected `replaceNoc` or a validity change"
                )))
            }
            None => {
                let request: crate::models::PermitValidityUpdate = parse(body)?;
                if request.valid_from.is_none() && request.valid_till.is_none() {
                    return Err(Failure::bad_request(
                        "Give `validFrom`, `validTill`, or `action: replaceNoc`",
                    ));
                }
                let permit = &self.permits[index];
                if !status::is_live(permit.status) {
                    return Err(Failure::bad_request(format!(
                        "The validity of a {} permit cannot change",
                        status::name(permit.status)
                    )));
                }
                let from = request
                    .valid_from
                    .clone()
                    .unwrap_or_else(|| permit.valid_from.clone());
                let till = request
                    .valid_till
                    .clone()
                    .unwrap_or_else(|| permit.valid_till.clone());
                check_validity(
                    millis(&from, "validFrom")?,
                    millis(&till, "validTill")?,
                    self.clock.now_ms(),
                )?;
                let permit = &mut self.permits[index];
                if permit.valid_till != till {
                    permit.expiring_sent = false;
                }
                permit.valid_from = from;
                permit.valid_till = till;
                if permit.access_code.is_some() {
                    self.emit_permit(WebhookEventName::PermitUpdated, index);
                }
                self.schedule(index);
            }
        }
        Ok(Reply::json(200, &self.permits[index].render()))
    }

    pub fn update_pass(&mut self, id: &str, body: &Value) -> Answer {
        let index = self
            .permit_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        let action: crate::models::PassAction = parse(body)?;
        let now = self.now();
        let permit = &mut self.permits[index];
        match action {
            crate::models::PassAction::Revoke { reason } => {
                if permit.status == status::ARCHIVED_CODE {
                    return Err(Failure::bad_request("The permit is archived"));
                }
                if permit.status != status::REVOKED_CODE {
                    permit.status = status::REVOKED_CODE;
                    permit.revocation = Some(json!({
                        "actor": "api",
                        "reason": reason,
                        "revokedAt": now,
                    }));
                }
            }
            crate::models::PassAction::Reissue => {
                if permit.status != status::ACCEPTED_CODE {
                    return Err(Failure::bad_request(format!(
                        "Only an ACCEPTED permit's pass can be reissued; this one is {}",
                        status::name(permit.status)
                    )));
                }
                if let Some(old) = permit.access_code.take() {
                    self.reissued_codes.insert(old);
                }
                self.issue_pass(index);
            }
            crate::models::PassAction::Submit => {
                if permit.status != status::DRAFT_CODE {
                    return Err(Failure::bad_request(format!(
                        "Only a DRAFT permit can be submitted; this one is {}",
                        status::name(permit.status)
                    )));
                }
                let d = &permit.details;
                let mut missing = Vec::new();
                for (field, set) in [
                    ("timeIn", d.time_in.is_some()),
                    ("timeOut", d.time_out.is_some()),
                    ("representativeName", d.representative_name.is_some()),
                    ("representativeContact", d.representative_contact.is_some()),
                    ("employees", !d.employees.is_empty()),
                ] {
                    if !set {
                        missing.push(field);
                    }
                }
                if !missing.is_empty() {
                    let mut failure = Failure::bad_request(format!(
                        "The permit cannot be submitted: missing {}",
                        missing.join(", ")
                    ));
                    failure.errors = Some(json!(missing
                        .iter()
                        .map(|f| (f.to_string(), json!("required")))
                        .collect::<Map<_, _>>()));
                    return Err(failure);
                }
                permit.status = status::PENDING_CODE;
            }
        }
        Ok(Reply {
            status: 200,
            body: json!({}),
        })
    }

    /// Mints a pass for the permit at `index` and emits `passes.permits.issued`.
    fn issue_pass(&mut self, index: usize) {
        let base_url = self.base_url.clone();
        let doc_id = self.mint_id();
        let permit = &mut self.permits[index];
        let code = Self::mint_code();
        if let Some(old) = permit.access_code.replace(code.clone()) {
            self.index.permit_by_code.remove(&old);
        }
        self.index.permit_by_code.insert(code, index);
        let doc_path = format!("permits/{}-{doc_id}.pdf", permit.pass_number);
        permit.documentation_url = Some(format!("{base_url}/public/{doc_path}"));
        let qr_path = permit.qr_image_path();
        permit.qr_image_url = Some(format!("{base_url}{qr_path}"));
        let qr_path = qr_path.trim_start_matches("/public/").to_owned();
        self.files
            .insert(qr_path, ("image/png".into(), PLACEHOLDER_PNG.to_vec()));
        self.files.insert(
            doc_path,
            ("application/pdf".into(), PLACEHOLDER_PDF.to_vec()),
        );
        self.emit_permit(WebhookEventName::PermitIssued, index);
    }

    pub fn fill_permit_details(
        &mut self,
        id: &PermitId,
        details: PermitDetails,
    ) -> Result<Permit, SimulatorError> {
        let index = self.permit_hook_index(id)?;
        let permit = &mut self.permits[index];
        if permit.status != status::DRAFT_CODE {
            return Err(SimulatorError::InvalidState(format!(
                "only a DRAFT permit's details can be filled in; this one is {}",
                status::name(permit.status)
            )));
        }
        let d = &mut permit.details;
        if details.time_in.is_some() {
            d.time_in = details.time_in;
        }
        if details.time_out.is_some() {
            d.time_out = details.time_out;
        }
        if details.representative_name.is_some() {
            d.representative_name = details.representative_name;
        }
        if details.representative_contact.is_some() {
            d.representative_contact = details.representative_contact;
        }
        d.employees.extend(details.employees);
        Ok(permit.render())
    }

    pub fn approve_permit(&mut self, id: &PermitId) -> Result<Permit, SimulatorError> {
        let index = self.permit_hook_index(id)?;
        let permit = &mut self.permits[index];
        if permit.status != status::PENDING_CODE {
            return Err(SimulatorError::InvalidState(format!(
                "only a submitted permit can be approved; this one is {}",
                status::name(permit.status)
            )));
        }
        permit.status = status::ACCEPTED_CODE;
        self.issue_pass(index);
        self.schedule(index);
        self.tick();
        Ok(self.permits[index].render())
    }

    fn permit_hook_index(&self, id: &PermitId) -> Result<usize, SimulatorError> {
        self.permit_index(id.as_str())
            .ok_or_else(|| SimulatorError::NotFound {
                kind: "permit",
                id: id.to_string(),
            })
    }

    pub fn permit_of_code(&self, code: &str) -> Option<Permit> {
        self.index
            .permit_by_code
            .get(code)
            .map(|&i| self.permits[i].render())
    }

    pub fn permit(&self, id: &PermitId) -> Option<Permit> {
        self.permit_index(id.as_str())
            .map(|i| self.permits[i].render())
    }

    // ---- gates ----------------------------------------------------------------------------

    pub fn scan(
        &mut self,
        code: &str,
        gate: Option<(&PropertyId, GateDirection)>,
    ) -> Result<Scan, ScanRefusal> {
        if self.reissued_codes.contains(code) {
            return Err(ScanRefusal::Reissued);
        }
        let index = *self
            .index
            .permit_by_code
            .get(code)
            .ok_or(ScanRefusal::UnknownCode)?;
        let now = self.clock.now_ms();
        let permit = &self.permits[index];
        let (property, direction) = match gate {
            Some((property, direction)) => (property.clone(), direction),
            None => (permit.property_id.clone(), GateDirection::Entry),
        };
        match permit.status {
            status::REVOKED_CODE => return Err(ScanRefusal::Revoked),
            status::ARCHIVED_CODE => return Err(ScanRefusal::Archived),
            status::EXPIRED_CODE => return Err(ScanRefusal::Expired),
            status::ACCEPTED_CODE => {}
            _ => return Err(ScanRefusal::Inactive),
        }
        if now >= PermitRec::millis(&permit.valid_till) {
            return Err(ScanRefusal::Expired);
        }
        if now < PermitRec::millis(&permit.valid_from) {
            return Err(ScanRefusal::Inactive);
        }
        if property != permit.property_id {
            return Err(ScanRefusal::WrongLocation);
        }
        let first = !permit.scanned;
        let permit_id = permit.id.clone();
        let flat_id = permit.flat_id.clone();
        self.permits[index].scanned = true;
        self.emit_permit(WebhookEventName::PermitScanned, index);
        if first {
            self.emit_permit(WebhookEventName::PermitFirstScanned, index);
        }
        if direction == GateDirection::Exit {
            self.emit_permit(WebhookEventName::PermitLastScanned, index);
        }
        let log_id = EventLogId::new(self.mint_id());
        let mut extra = Map::new();
        extra.insert("permitId".into(), json!(permit_id));
        extra.insert(
            "direction".into(),
            json!(match direction {
                GateDirection::Entry => "entry",
                GateDirection::Exit => "exit",
            }),
        );
        self.logs.push(LogRec {
            id: log_id,
            visit_type: VisitType::CommunityPass,
            property_id: property,
            flat_id: Some(flat_id),
            at: now,
            extra,
        });
        Ok(Scan {
            permit_id,
            direction,
            first,
        })
    }

    /// The NFC visit's documented refusals, in the documentation's own words; they come
    /// before the schema's (`server::create_visit`). Answers the secret, the document id, the
    /// phone and the email.
    pub fn nfc_visit_documented_checks(body: &Value) -> Result<NfcVisitFields, Failure> {
        let Some(object) = body.as_object() else {
            return Err(Failure::bad_request("The body must be a JSON object"));
        };
        let text = |field: &str| {
            object
                .get(field)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if text("visitType").as_deref() != Some("externalNfc") {
            return Err(Failure::bad_request("visitType must be externalNfc"));
        }
        let Some(secret) = text("deviceSecret") else {
            return Err(Failure::bad_request("Device secret is required"));
        };
        let Some(document_id) = text("documentId") else {
            return Err(Failure::bad_request("Document ID is required"));
        };
        let (phone, email) = (text("phone"), text("email"));
        if phone.is_none() && email.is_none() {
            return Err(Failure::bad_request("Email or phone is required"));
        }
        Ok((secret, document_id, phone, email))
    }

    pub fn create_visit(&mut self, body: &Value) -> Answer {
        let (secret, document_id, phone, email) = Self::nfc_visit_documented_checks(body)?;
        let device = self
            .seed
            .nfc_devices
            .iter()
            .find(|d| d.secret == secret)
            .cloned()
            .ok_or_else(|| Failure::bad_request("Device not found"))?;
        let resident = self
            .seed
            .residents
            .iter()
            .find(|r| {
                r.document_id == document_id
                    && (phone.as_deref() == Some(r.phone.as_str())
                        || email
                            .as_deref()
                            .is_some_and(|e| e.eq_ignore_ascii_case(&r.email)))
            })
            .cloned()
            .ok_or_else(|| Failure::bad_request("User doesn't exists"))?;
        if resident.property_id != device.property_id {
            return Err(Failure::bad_request(
                "User doesn't have unit in the building",
            ));
        }
        let now = self.clock.now_ms();
        let key = (document_id, device.property_id.to_string());
        let mut extra = Map::new();
        let response = match device.direction {
            GateDirection::Entry => {
                self.inside.insert(key, now);
                extra.insert("direction".into(), json!("entry"));
                ExternalNfcVisitResponse {
                    response_code: Some(NfcResponseCode::EntryEventCreated),
                    ..Default::default()
                }
            }
            GateDirection::Exit => {
                let since = self.inside.remove(&key).unwrap_or(now);
                let duration = now - since;
                extra.insert("direction".into(), json!("exit"));
                extra.insert("duration".into(), json!(duration));
                ExternalNfcVisitResponse {
                    response_code: Some(NfcResponseCode::LeaveEventCreated),
                    leave_event: Some(LeaveEvent {
                        duration: Some(duration),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            }
        };
        let id = EventLogId::new(self.mint_id());
        self.logs.push(LogRec {
            id,
            visit_type: VisitType::ExternalNfc,
            property_id: device.property_id,
            flat_id: Some(resident.flat_id),
            at: now,
            extra,
        });
        Ok(Reply::json(200, &response))
    }

    // ---- visitor management ---------------------------------------------------------------

    pub fn list_events(&self, query: &[(String, String)]) -> Answer {
        let mut limit: u64 = 10;
        let mut skip: u64 = 0;
        let mut newest_first = true;
        let mut filters: Vec<LogFilter> = Vec::new();
        for (name, value) in query {
            let number = || {
                value.parse::<i64>().map_err(|_| {
                    Failure::bad_request(format!("`{name}` must be an integer, not `{value}`"))
                })
            };
            let instant = || {
                Timestamp::parse(value)
                    .ok()
                    .and_then(|t| t.unix_millis())
                    .ok_or_else(|| {
                        Failure::bad_request(format!("`{name}` must be a date-time, not `{value}`"))
                    })
            };
            match name.as_str() {
                "$limit" => {
                    let n = number()?;
                    if n < 0 {
                        return Err(Failure::bad_request("`$limit` must not be negative"));
                    }
                    limit = n.min(50) as u64;
                }
                "$skip" => {
                    let n = number()?;
                    if n < 0 {
                        return Err(Failure::bad_request("`$skip` must not be negative"));
                    }
                    skip = n as u64;
                }
                "$sort[createdAt]" => match number()? {
                    -1 => newest_first = true,
                    1 => newest_first = false,
                    _ => return Err(Failure::bad_request("`$sort[createdAt]` must be 1 or -1")),
                },
                "propertyId" => {
                    let v = value.clone();
                    filters.push(Box::new(move |r| r.property_id.as_str() == v));
                }
                "flatId" => {
                    let v = value.clone();
                    filters.push(Box::new(move |r| {
                        r.flat_id.as_ref().is_some_and(|f| f.as_str() == v)
                    }));
                }
                "visitType" => {
                    let v = value.clone();
                    filters.push(Box::new(move |r| r.visit_type.as_str() == v));
                }
                "createdAt[$gte]" => {
                    let t = instant()?;
                    filters.push(Box::new(move |r| r.at >= t));
                }
                "createdAt[$lte]" => {
                    let t = instant()?;
                    filters.push(Box::new(move |r| r.at <= t));
                }
                other => {
                    return Err(Failure::bad_request(format!(
                        "Unknown query parameter `{other}`"
                    )))
                }
            }
        }
        let mut matching: Vec<&LogRec> = self
            .logs
            .iter()
            .filter(|r| filters.iter().all(|f| f(r)))
            .collect();
        // Records are stored oldest first; equal instants keep their order.
        if newest_first {
            matching.reverse();
        }
        let total = matching.len() as u64;
        let data = matching
            .into_iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|r| EventLogRecord {
                id: Some(r.id.clone()),
                visit_type: Some(r.visit_type.clone()),
                property_id: Some(r.property_id.clone()),
                flat_id: r.flat_id.clone(),
                created_at: Some(Timestamp::from_unix_millis(r.at)),
                extra: r.extra.clone(),
            })
            .collect();
        Ok(Reply::json(
            200,
            &EventLogPage {
                total: Some(total),
                limit: Some(limit),
                skip: Some(skip),
                data: Some(data),
                ..Default::default()
            },
        ))
    }

    pub fn create_access(&mut self, body: &Value) -> Answer {
        let request: CreateQrAccessRequest = parse(body)?;
        if request.visitor.name.trim().is_empty() {
            return Err(Failure::bad_request("`visitor.name` is required"));
        }
        if request.visitor.phone.is_none() && request.visitor.email.is_none() {
            return Err(Failure::bad_request(
                "The visitor's phone or email is required",
            ));
        }
        let from = millis(&request.valid_from, "validFrom")?;
        let till = millis(&request.valid_till, "validTill")?;
        check_validity(from, till, self.clock.now_ms())?;
        let property = self
            .seed
            .property_by_id(request.property_id.as_str())
            .ok_or_else(|| Failure::not_found("Property not found in the community"))?
            .id
            .clone();
        self.resolve_flat(&property, &FlatRef::Id(request.flat_id.clone()))?;
        let code = Self::mint_code();
        let id = AccessId::new(self.mint_id());
        let image_path = format!("accesses/{id}-qr.png");
        self.files.insert(
            image_path.clone(),
            ("image/png".into(), PLACEHOLDER_PNG.to_vec()),
        );
        let mut access = QrAccess {
            id: Some(id),
            access_code: Some(code.clone()),
            qr_token: Some(code),
            qr_image_url: Some(format!("{}/public/{image_path}", self.base_url)),
            qr_image_base64: Some(
                base64::engine::general_purpose::STANDARD.encode(PLACEHOLDER_PNG),
            ),
            valid_from: Some(request.valid_from),
            valid_till: Some(request.valid_till),
            ..Default::default()
        };
        access.extra.insert("propertyId".into(), json!(property));
        access.extra.insert("flatId".into(), json!(request.flat_id));
        access.extra.insert(
            "visitor".into(),
            serde_json::to_value(&request.visitor).expect("models serialize"),
        );
        self.accesses.push(access.clone());
        Ok(Reply::json(201, &access))
    }

    fn check_properties(&self, ids: &[PropertyId]) -> Result<(), Failure> {
        match ids
            .iter()
            .find(|id| self.seed.property_by_id(id.as_str()).is_none())
        {
            Some(id) => Err(Failure::not_found(format!(
                "Property `{id}` not found in the community"
            ))),
            None => Ok(()),
        }
    }

    fn email_taken_by_user(&self, email: &str, except: Option<usize>) -> bool {
        self.users.iter().enumerate().any(|(i, u)| {
            Some(i) != except
                && u.record
                    .email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    pub fn create_user(&mut self, body: &Value) -> Answer {
        let request: CreatePropertyManagerRequest = parse(body)?;
        for (field, value) in [
            ("name", &request.name),
            ("email", &request.email),
            ("phone", &request.phone),
        ] {
            if value.trim().is_empty() {
                return Err(Failure::bad_request(format!("`{field}` is required")));
            }
        }
        if request.role.as_str() != "propertyManager" {
            return Err(Failure::bad_request("`role` must be propertyManager"));
        }
        self.check_properties(&request.properties_ids)?;
        if self.email_taken_by_user(&request.email, None) {
            return Err(Failure::conflict("A user with this email already exists"));
        }
        let record = PropertyManager {
            id: Some(UserId::new(self.mint_id())),
            name: Some(request.name),
            email: Some(request.email),
            phone: Some(request.phone),
            role: Some(request.role),
            properties_ids: Some(request.properties_ids),
            ..Default::default()
        };
        self.users.push(UserRec {
            record: record.clone(),
        });
        Ok(Reply::json(201, &record))
    }

    pub fn update_user(&mut self, id: &str, body: &Value) -> Answer {
        let request: UpdatePropertyManagerRequest = parse(body)?;
        let index = self
            .users
            .iter()
            .position(|u| u.record.id.as_ref().is_some_and(|i| i.as_str() == id))
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        if let Some(ids) = &request.properties_ids {
            self.check_properties(ids)?;
        }
        if let Some(email) = &request.email {
            if self.email_taken_by_user(email, Some(index)) {
                return Err(Failure::conflict("A user with this email already exists"));
            }
        }
        if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Failure::bad_request("`name` must not be empty"));
        }
        if request
            .role
            .as_ref()
            .is_some_and(|r| r.as_str() != "propertyManager")
        {
            return Err(Failure::bad_request("`role` must be propertyManager"));
        }
        let record = &mut self.users[index].record;
        if request.name.is_some() {
            record.name = request.name;
        }
        if request.email.is_some() {
            record.email = request.email;
        }
        if request.phone.is_some() {
            record.phone = request.phone;
        }
        if request.role.is_some() {
            record.role = request.role;
        }
        if request.properties_ids.is_some() {
            record.properties_ids = request.properties_ids;
        }
        Ok(Reply::json(200, record))
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
