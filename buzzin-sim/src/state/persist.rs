//! The simulator's state as a document: what `--state FILE` keeps and `GET`/`PUT
//! /_simulator/snapshot` export and import.
//!
//! A snapshot holds the records (contractors, permits with their passes and NOCs, property
//! managers, QR accesses, event logs, the codes killed by a reissue, who is inside), the files
//! given to the API in base64, the webhook events emitted, the simulated time and the id
//! counters. It holds no API key, no webhook destination (URLs and secrets stay in the
//! simulator's settings), no delivery attempt, no request log and no fault rule.

use base64::Engine as _;
use buzzin::models::WebhookEnvelope;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

mod invariants;

/// What a state file says it is.
pub(crate) const FORMAT: &str = "buzzin-sim-state";

/// The version of the state file's format this simulator reads and writes.
pub(crate) const VERSION: u64 = 1;

/// [`PermitDetails`] in a snapshot (its fields stay private to the public type).
pub(crate) mod details {
    use super::PermitDetails;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Doc {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_in: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_out: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        representative_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        representative_contact: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        employees: Vec<String>,
    }

    pub fn serialize<S: Serializer>(d: &PermitDetails, s: S) -> Result<S::Ok, S::Error> {
        Doc {
            time_in: d.time_in.clone(),
            time_out: d.time_out.clone(),
            representative_name: d.representative_name.clone(),
            representative_contact: d.representative_contact.clone(),
            employees: d.employees.clone(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PermitDetails, D::Error> {
        let doc = Doc::deserialize(d)?;
        Ok(PermitDetails {
            time_in: doc.time_in,
            time_out: doc.time_out,
            representative_name: doc.representative_name,
            representative_contact: doc.representative_contact,
            employees: doc.employees,
        })
    }
}

/// A file given to the API, its bytes in base64.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileDoc {
    path: String,
    mime: String,
    base64: String,
}

/// A resident inside a property, since when.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InsideDoc {
    document_id: String,
    property_id: String,
    since: i64,
}

/// A copy of the state, taken under the lock and written out after it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Snapshot {
    format: String,
    version: u64,
    /// The simulated time, in Unix milliseconds.
    now: i64,
    /// The real time the snapshot was taken, in Unix milliseconds.
    saved_at: i64,
    frozen: bool,
    /// The base URL the records' file URLs start with.
    base_url: String,
    next_id: u64,
    next_pass: u64,
    next_delivery: u64,
    contractors: Vec<ContractorRec>,
    permits: Vec<PermitRec>,
    users: Vec<UserRec>,
    accesses: Vec<QrAccess>,
    logs: Vec<LogRec>,
    reissued_codes: Vec<String>,
    inside: Vec<InsideDoc>,
    files: Vec<FileDoc>,
    events: Vec<Value>,
}

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused(pub String);

fn real_now_ms() -> i64 {
    Timestamp::now().unix_millis().unwrap_or(0)
}

impl Snapshot {
    /// Reads a snapshot document: its format and version first (a clear refusal naming both
    /// versions), then the records.
    pub fn parse(bytes: &[u8]) -> Result<Snapshot, Refused> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Refused(format!("not a simulator state (not JSON: {e})")))?;
        let format = value.get("format").and_then(Value::as_str);
        if format != Some(FORMAT) {
            return Err(Refused(format!(
                "not a simulator state: `format` is {}, not \"{FORMAT}\"",
                value
                    .get("format")
                    .map_or("missing".to_owned(), Value::to_string)
            )));
        }
        match value.get("version").and_then(Value::as_u64) {
            Some(VERSION) => {}
            Some(other) => {
                return Err(Refused(format!(
                "the state is format version {other}; this simulator reads version {VERSION} only"
            )))
            }
            None => {
                return Err(Refused(format!(
                    "the state has no format `version` (this simulator reads version {VERSION})"
                )))
            }
        }
        serde_json::from_value(value)
            .map_err(|e| Refused(format!("the state (version {VERSION}) is malformed: {e}")))
    }

    /// The snapshot as JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a snapshot serializes")
    }

    /// How many contractors and permits it holds.
    pub fn counts(&self) -> (usize, usize) {
        (self.contractors.len(), self.permits.len())
    }
}

impl State {
    /// A copy of everything a snapshot holds (see the module documentation).
    pub fn snapshot(&self) -> Snapshot {
        let files = self
            .files
            .iter()
            .map(|(path, (mime, bytes))| FileDoc {
                path: path.clone(),
                mime: mime.clone(),
                base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            })
            .collect();
        Snapshot {
            format: FORMAT.to_owned(),
            version: VERSION,
            now: self.clock.now_ms(),
            saved_at: real_now_ms(),
            frozen: self.clock.frozen,
            base_url: self.base_url.clone(),
            next_id: self.next_id,
            next_pass: self.next_pass,
            next_delivery: self.outbox.next_delivery,
            contractors: self.contractors.clone(),
            permits: self.permits.clone(),
            users: self.users.clone(),
            accesses: self.accesses.clone(),
            logs: self.logs.clone(),
            reissued_codes: self.reissued_codes.iter().cloned().collect(),
            inside: self
                .inside
                .iter()
                .map(|((document_id, property_id), since)| InsideDoc {
                    document_id: document_id.clone(),
                    property_id: property_id.clone(),
                    since: *since,
                })
                .collect(),
            files,
            events: self
                .outbox
                .events
                .iter()
                .map(|e| serde_json::to_value(e).expect("events serialize"))
                .collect(),
        }
    }

    /// Replaces every record with the snapshot's (the settings, the destinations and the
    /// deliveries in flight stay). The clock resumes at the snapshot's time plus the real time
    /// since it was taken (just its time when the clock is frozen). File URLs under the
    /// snapshot's base URL move to this simulator's.
    pub fn restore(&mut self, snapshot: Snapshot) -> Result<(), Refused> {
        // Nothing changes unless every rule holds.
        invariants::check(&snapshot, &self.seed)?;
        let Snapshot {
            now,
            saved_at,
            base_url,
            next_id,
            next_pass,
            next_delivery,
            mut contractors,
            mut permits,
            users,
            accesses,
            logs,
            reissued_codes,
            inside,
            files,
            events,
            ..
        } = snapshot;
        // Counters the simulator goes on counting from: far from overflowing, so that no
        // snapshot makes a later request fail.
        const MAX_COUNTER: u64 = 1 << 53;
        for (name, value) in [
            ("nextId", next_id),
            ("nextPass", next_pass),
            ("nextDelivery", next_delivery),
        ] {
            if value > MAX_COUNTER {
                return Err(Refused(format!(
                    "`{name}` is {value}, above the largest a simulator counts to ({MAX_COUNTER})"
                )));
            }
        }
        let mut decoded = HashMap::new();
        for file in files {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&file.base64)
                .map_err(|_| Refused(format!("the file `{}` is not base64", file.path)))?;
            decoded.insert(file.path, (file.mime, bytes));
        }
        let mut envelopes = Vec::with_capacity(events.len());
        for event in events {
            envelopes.push(
                serde_json::from_value::<WebhookEnvelope>(event)
                    .map_err(|e| Refused(format!("an event is malformed: {e}")))?,
            );
        }
        // The records' own file URLs follow the simulator to its new address.
        if base_url != self.base_url {
            let moved = |url: &mut Option<String>| {
                if let Some(rest) = url.as_deref().and_then(|u| u.strip_prefix(&base_url)) {
                    *url = Some(format!("{}{rest}", self.base_url));
                }
            };
            let moved_file = |file: &mut Option<StoredFile>| {
                if let Some(file) = file {
                    moved(&mut file.public_url);
                }
            };
            for permit in &mut permits {
                moved(&mut permit.qr_image_url);
                moved(&mut permit.documentation_url);
                for noc in permit.noc.iter_mut().chain(permit.noc_history.iter_mut()) {
                    moved_file(&mut noc.document);
                }
            }
            for contractor in &mut contractors {
                if let Some(company) = &mut contractor.record.company {
                    moved_file(&mut company.trade_license);
                }
            }
        }
        let elapsed = if self.clock.frozen {
            0
        } else {
            real_now_ms().saturating_sub(saved_at).max(0)
        };
        self.clock = Clock {
            start_ms: now.saturating_add(elapsed).clamp(0, MAX_CLOCK_MS),
            started: std::time::Instant::now(),
            frozen: self.clock.frozen,
            offset_ms: 0,
        };
        self.next_id = next_id;
        self.next_pass = next_pass;
        self.outbox.next_delivery = self.outbox.next_delivery.max(next_delivery);
        self.contractors = contractors;
        self.permits = permits;
        self.users = users;
        self.accesses = accesses;
        self.logs = logs;
        self.reissued_codes = reissued_codes.into_iter().collect();
        self.inside = inside
            .into_iter()
            .map(|i| ((i.document_id, i.property_id), i.since))
            .collect();
        self.files = decoded;
        self.outbox.events = envelopes;
        self.reindex();
        Ok(())
    }

    /// Builds the indexes again from the records.
    fn reindex(&mut self) {
        let mut index = Index::default();
        for (at, rec) in self.contractors.iter().enumerate() {
            let record = &rec.record;
            if let Some(id) = &record.id {
                index.contractor_by_id.insert(id.as_str().to_owned(), at);
            }
            if let Some(email) = &record.email {
                index.contractor_emails.insert(email.trim().to_lowercase());
            }
            index
                .contractors_by_phone
                .entry(record.phone.clone().unwrap_or_default())
                .or_default()
                .push(at);
            let salesforce = record
                .integrations
                .as_ref()
                .and_then(|i| i.damac.as_ref())
                .and_then(|d| d.salesforce_id.as_ref())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            index
                .contractors_by_salesforce_id
                .entry(salesforce)
                .or_default()
                .push(at);
        }
        for (at, permit) in self.permits.iter().enumerate() {
            index.permit_by_id.insert(permit.id.as_str().to_owned(), at);
            index
                .permit_salesforce_ids
                .insert(permit.salesforce_id.as_str().to_owned());
            if let Some(code) = &permit.access_code {
                index.permit_by_code.insert(code.clone(), at);
            }
        }
        self.index = index;
        for at in 0..self.permits.len() {
            self.schedule(at);
        }
    }
}
