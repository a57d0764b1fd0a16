//! A local, stateful Buzz-In for the tests and examples of [`buzzin`] users: [`Simulator`].
//!
//! ```toml
//! [dev-dependencies]
//! buzzin-sim = "0.1"
//! ```
//!
//! `cargo install buzzin-sim` gives the `buzzin` binary: `buzzin simulate` (this simulator
//! standalone, with its dashboard) and `buzzin webhooks sign|verify`.
//!
//! Buzz-In documents no sandbox. The simulator is an in-process HTTP server on `127.0.0.1`
//! that serves all 11 operations of the spec with the documented business rules, plays the
//! parts a person or a gate would play through hooks, delivers webhooks over real HTTP, and
//! can inject failures.
//!
//! | Who | In the real world | In the simulator |
//! |---|---|---|
//! | Your code | calls the API | calls [`base_url`](Simulator::base_url) with [`api_key`](Simulator::api_key), or [`client`](Simulator::client) |
//! | A community admin | approves contractors and permits in the dashboard | [`approve_contractor`](Simulator::approve_contractor), [`fill_permit_details`](Simulator::fill_permit_details), [`approve_permit`](Simulator::approve_permit) |
//! | A gate | scans a pass's QR code | [`scan`](Simulator::scan), [`scan_at`](Simulator::scan_at) |
//! | Time | passes | [`advance`](Simulator::advance) |
//! | Buzz-In's webhooks | POST events to your endpoints | [`add_webhook`](Simulator::add_webhook), inspected with [`deliveries`](Simulator::deliveries) |
//! | A bad day | 500s, 429s, slow answers, dropped connections | [`fail_next`](Simulator::fail_next), [`add_fault_rule`](Simulator::add_fault_rule) |
//! | A restart | keeps the records | [`state_file`](SimulatorBuilder::state_file), [`export_state`](Simulator::export_state), [`import_state`](Simulator::import_state) |
//! | Your real account | answers as it does | [`record_from`](SimulatorBuilder::record_from), [`replay`](SimulatorBuilder::replay), [`drift`](SimulatorBuilder::drift) and `buzzin check` ([`drift`](mod@drift)) |
//!
//! # Rules enforced
//!
//! Documented (REFERENCE A.2): a wrong or missing API key gets `401` `NotAuthenticated`; errors
//! are Feathers bodies `{name, message, code, className}`; a new contractor is pending
//! (`approved: false`); contractor emails are unique across Buzz-In, phones and Salesforce ids
//! per community (`409`); a permit is created as a DRAFT (status 10) with its contractor,
//! property and unit resolved by Salesforce/external id or Buzz-In id (`404` when unknown, the
//! unit must belong to the property), `validTill` in the future and not before `validFrom`
//! (`400`), a duplicate `salesforcePermitId` is `409`; a validity change keeps the QR code and
//! sends `passes.permits.updated`; `replaceNoc` moves the current NOC into `nocHistory`;
//! `submit` needs a DRAFT with `timeIn`, `timeOut`, a representative and at least one employee;
//! approval makes the permit ACCEPTED (status 1) and sends `passes.permits.issued` with a new
//! access code; `reissuePass` needs an ACCEPTED permit and replaces the code (the old one is
//! refused at once); a pass `revoke` kills the code; a contractor `revoke` archives each of its
//! live permits (one `passes.permits.updated` each) and then sends
//! `communityContractors.removed`; gates refuse expired, inactive, revoked, archived passes and
//! passes at the wrong property; the external NFC visit answers the documented `400`s.
//!
//! The request bodies are those `openapi/buzzin.yaml` describes.
//!
//! Assumed (the documentation is silent; a real account may differ):
//! - a request with no API key at all gets the `401` message "No API key: …", a wrong key
//!   "Invalid API key" (the documentation names only the `401`);
//! - the status numbers of PENDING, REVOKED, ARCHIVED and EXPIRED (see [`status`]);
//! - an unapproved contractor is refused with `400` `BadRequest`;
//! - `passes.permits.updated` on a validity change is sent only once the permit has a pass
//!   (ACCEPTED); a DRAFT has none;
//! - a pass revoke sends no event (the documentation names none);
//! - `passes.permits.expiring` is sent once, [`expiring_notice`](SimulatorBuilder::expiring_notice)
//!   (24 h by default) before `validTill`; `passes.permits.expired` when the clock passes
//!   `validTill`;
//! - every accepted scan sends `passes.permits.scanned`; the first ever also
//!   `passes.permits.firstScanned`; an exit scan also `passes.permits.lastScanned`;
//! - approving a revoked contractor is `400`; revoking twice, or approving twice, is a no-op;
//! - the validity of a REVOKED, ARCHIVED or EXPIRED permit cannot change (`400`);
//! - the four assumed operations (event logs, QR accesses, property managers, get permit)
//!   behave as the spec's assumed shapes say; `GET /events` pages default to 10 records
//!   (at most 50), newest first, and an unknown or malformed query parameter is `400`; a QR
//!   access follows the permit validity rule; an unknown property or unit is `404` for QR
//!   accesses and property managers; a property manager's
//!   email is unique among users (`409`, also on update);
//! - an external NFC visit with an unknown `deviceSecret` is `400` "Device not found"; each
//!   seeded tag is an entry or an exit ([`GateDirection`]); a leave event's duration runs from
//!   the resident's last entry at that property (0 without one);
//! - an accepted gate scan and an NFC visit appear in `GET /events` (`communityPass` /
//!   `externalNfc`) with `direction` (and the scan's `permitId`) as extra fields;
//! - QR images are a 1×1 PNG placeholder, not a scannable QR code; the access code is 24
//!   characters of `0-9A-Z`.

#![forbid(unsafe_code)]

// Layers, each importing only from the ones above it:
// records and rules, the state file's format (`state::persist`), fault rules, cassettes, the
// drift report and atomic file writes (no HTTP):
mod atomic;
pub mod cassette;
mod delivery;
pub mod drift;
mod faults;
mod log;
mod seed;
mod state;
pub mod status;
// HTTP: the shared guarded path, request validation, the control hooks, the dashboard, the
// state file's writer, the webhook sender, the router and gatekeeper (faults, forced answers,
// recording, replay, drift):
mod control;
mod dashboard;
mod persistence;
mod sender;
mod server;
mod shared;
mod validate;
// … and the `Simulator` facade, this file.

/// What `cargo xtask codegen` writes for the simulator from the spec.
mod generated {
    /// The spec's operations: id, method and path of each, and the names of its query
    /// parameters (generated, as the SDK's table is).
    pub(crate) mod operations;
}

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use delivery::{DeliveryAttempt, DeliveryOutcome, WebhookDestination};
pub use faults::{FaultRule, FaultRuleEntry, FaultTarget};
pub use log::{Cursor, DEFAULT_LOG_CAPACITY, DEFAULT_REQUEST_LOG_BYTES};
pub use log::{Fault, RecordedRequest, ResponseBody};
pub use seed::{
    GateDirection, Seed, SeedFlat, SeedNfcDevice, SeedOtherContractor, SeedProperty, SeedResident,
};
pub use state::{PermitDetails, Scan, ScanRefusal, SimulatorError};

use buzzin::models::{
    CommunityId, Contractor, ContractorId, Permit, PermitId, PropertyId, Timestamp, WebhookEnvelope,
};
use delivery::{Outbox, Pending, RetrySettings};
use log::{RequestLog, Ring};
use shared::Shared;

/// The API key a simulator accepts unless [`SimulatorBuilder::api_key`] says otherwise.
pub const DEFAULT_API_KEY: &str = "bz_test_simulator";

/// A local Buzz-In: an HTTP server on `127.0.0.1` with the seeded community of [`Seed`].
///
/// It stops when dropped (or at [`shutdown`](Self::shutdown)). See the
/// [module documentation](self) for the rules it enforces and what is assumed.
///
/// ```
/// use buzzin::models::{ContractorRef, CreatePermitRequest, FlatRef, PropertyRef, Timestamp};
/// use buzzin_sim::{PermitDetails, Simulator};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = Simulator::start().await?;
/// let http = reqwest::Client::new();
///
/// // Your code creates a contractor through the API …
/// let contractor: serde_json::Value = http
///     .post(format!("{}/communityContractors", sim.base_url()))
///     .header("x-api-key", sim.api_key())
///     .json(&serde_json::json!({
///         "name": "Ahmed", "email": "ops@ahmed.example", "phone": "+971500000000",
///         "company": {"companyName": "Ahmed LLC",
///                     "tradeLicense": {"type": "url", "url": "https://files.example.com/l.pdf"},
///                     "tradeLicenseExpiryDate": "2030-03-31"},
///         "integrations": {"damac": {"salesforceId": "a0B5g000000ABCDEAW"}}
///     }))
///     .send().await?.json().await?;
/// assert_eq!(contractor["approved"], false);
///
/// // … and the community admin approves it in the dashboard.
/// // (A hook takes the id as the client's calls do: a `&str`, a `String` or a `ContractorId`.)
/// let id = contractor["_id"].as_str().unwrap();
/// assert_eq!(sim.approve_contractor(id)?.approved, Some(true));
///
/// // A wrong key gets a Feathers 401.
/// let denied = http.get(format!("{}/permits/x", sim.base_url()))
///     .header("x-api-key", "wrong").send().await?;
/// assert_eq!(denied.status(), 401);
/// # Ok(()) }
/// ```
pub struct Simulator {
    shared: Arc<Shared>,
    pending: Arc<Pending>,
    attempts: Arc<Mutex<Ring<DeliveryAttempt>>>,
    base_url: String,
    addr: SocketAddr,
    community_id: CommunityId,
    seed: Seed,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// The state file's writer, when there is one.
    writer: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("community_id", &self.community_id)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`Simulator`] before it starts.
///
/// ```
/// use std::time::Duration;
/// use buzzin::models::Timestamp;
/// use buzzin_sim::Simulator;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let start = Timestamp::parse("2026-06-29T10:15:00.000Z").unwrap();
/// let sim = Simulator::builder()
///     .api_key("bz_test_mine")
///     .clock_start(start.clone())
///     .freeze_clock()
///     .start()
///     .await?;
/// assert_eq!(sim.now(), start);
/// sim.advance(Duration::from_secs(60));
/// assert_eq!(sim.now().as_str(), "2026-06-29T10:16:00.000Z");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SimulatorBuilder {
    api_key: String,
    host: std::net::IpAddr,
    port: u16,
    clock_start: Option<Timestamp>,
    frozen: bool,
    expiring_notice: Duration,
    destinations: Vec<WebhookDestination>,
    retry: RetrySettings,
    control_api: bool,
    log_capacity: usize,
    request_log_bytes: usize,
    state_file: Option<std::path::PathBuf>,
    state_interval: Duration,
    drift: bool,
    upstream: Option<UpstreamSetting>,
}

/// Where a recording or replaying simulator answers from (see
/// [`SimulatorBuilder::record_from`], [`SimulatorBuilder::replay`]).
#[derive(Clone, Debug)]
enum UpstreamSetting {
    Record {
        url: String,
        cassette: std::path::PathBuf,
    },
    Replay(std::path::PathBuf),
}

/// How long after a change a state file is written at the soonest, unless
/// [`SimulatorBuilder::state_write_interval`] says otherwise: 1 s.
pub const DEFAULT_STATE_WRITE_INTERVAL: Duration = Duration::from_secs(1);

impl fmt::Debug for SimulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorBuilder")
            .field("api_key", &"<redacted>")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("clock_start", &self.clock_start)
            .field("frozen", &self.frozen)
            .field("expiring_notice", &self.expiring_notice)
            .field("destinations", &self.destinations)
            .field("control_api", &self.control_api)
            .field("log_capacity", &self.log_capacity)
            .field("request_log_bytes", &self.request_log_bytes)
            .field("state_file", &self.state_file)
            .field("state_interval", &self.state_interval)
            .field("drift", &self.drift)
            .field(
                "upstream",
                &self.upstream.as_ref().map(|u| match u {
                    UpstreamSetting::Record { .. } => "record",
                    UpstreamSetting::Replay(_) => "replay",
                }),
            )
            .finish_non_exhaustive()
    }
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            api_key: DEFAULT_API_KEY.to_owned(),
            host: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 0,
            clock_start: None,
            frozen: false,
            expiring_notice: Duration::from_secs(24 * 3600),
            destinations: Vec::new(),
            retry: RetrySettings {
                max_attempts: 5,
                base_delay: Duration::from_millis(100),
                timeout: Duration::from_secs(10),
            },
            control_api: false,
            log_capacity: DEFAULT_LOG_CAPACITY,
            request_log_bytes: DEFAULT_REQUEST_LOG_BYTES,
            state_file: None,
            state_interval: DEFAULT_STATE_WRITE_INTERVAL,
            drift: false,
            upstream: None,
        }
    }
}

impl SimulatorBuilder {
    /// The API key the simulator accepts ([`DEFAULT_API_KEY`] by default), sent as
    /// `x-api-key: <key>` or `Authorization: Bearer <key>`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// The address to listen on: `127.0.0.1` by default. Another address (`0.0.0.0` in a
    /// container, say) exposes the simulator, its `/_simulator/` hooks included, to whoever
    /// can reach it; every route but the QR images, the permit documents and the dashboard
    /// page's own files (which carry no data) needs the API key, so set your own ([`api_key`](Self::api_key)) before binding elsewhere. When the address is
    /// unspecified (`0.0.0.0`, `::`), [`Simulator::base_url`] names `127.0.0.1`.
    pub fn host(mut self, host: std::net::IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The port to listen on (`0`, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The simulated time at start (the real time by default).
    pub fn clock_start(mut self, start: Timestamp) -> Self {
        self.clock_start = Some(start);
        self
    }

    /// Stops the simulated clock: it moves only by [`Simulator::advance`]. By default it
    /// follows real time, plus whatever `advance` added.
    pub fn freeze_clock(mut self) -> Self {
        self.frozen = true;
        self
    }

    /// How long before `validTill` `passes.permits.expiring` is sent (24 h by default).
    ///
    /// Assumed: the documentation does not state when Buzz-In sends it.
    pub fn expiring_notice(mut self, notice: Duration) -> Self {
        self.expiring_notice = notice;
        self
    }

    /// A webhook destination from the start (more with [`Simulator::add_webhook`]).
    pub fn webhook(mut self, destination: WebhookDestination) -> Self {
        self.destinations.push(destination);
        self
    }

    /// Attempts per delivery, the first included (5 by default; at least 1). A delivery is
    /// retried on a non-2xx answer or no answer.
    pub fn webhook_attempts(mut self, attempts: u32) -> Self {
        self.retry.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry of a delivery, doubled for each further retry (100 ms
    /// by default).
    pub fn webhook_retry_delay(mut self, delay: Duration) -> Self {
        self.retry.base_delay = delay;
        self
    }

    /// Serves the hooks over HTTP too, under `/_simulator/` (with the API key), for a
    /// simulator driven from outside Rust (`buzzin simulate`):
    ///
    /// | Request | Hook |
    /// |---|---|
    /// | `POST /_simulator/contractors/{id}/approve` | [`Simulator::approve_contractor`] |
    /// | `POST /_simulator/permits/{id}/details` with `{timeIn, timeOut, representativeName, representativeContact, employees: [name]}` (`{}`: typical values) | [`Simulator::fill_permit_details`] |
    /// | `POST /_simulator/permits/{id}/approve` | [`Simulator::approve_permit`] |
    /// | `POST /_simulator/scan` with `{accessCode, propertyId?, direction?: "entry" \| "exit"}` (403 with the reason when refused) | [`Simulator::scan_at`] |
    /// | `POST /_simulator/clock/advance` with `{ms}` | [`Simulator::advance`] |
    /// | `GET /_simulator/events` | [`Simulator::events`] |
    /// | `GET /_simulator/deliveries` ([`DeliveryAttempt`]'s JSON: a token header `<redacted>`) | [`Simulator::deliveries`] |
    /// | `POST /_simulator/deliveries/{id}/redeliver` | [`Simulator::redeliver`] |
    /// | `POST /_simulator/nfc/tap` with `{tag, resident}` (positions in [`Seed::nfc_devices`] and [`Seed::residents`]) | an external NFC visit; answers the gate's status and body |
    /// | `GET /_simulator/state` | the dashboard's snapshot: clock, community, contractors, permits, events, deliveries with headers and bodies |
    ///
    /// With it comes the dashboard, a page at `/_simulator/` that shows the community, its
    /// contractors, permits, gates, clock and webhook deliveries live and plays these hooks by
    /// button (see the README). Bound to loopback (the default), the page needs no API key;
    /// bound elsewhere ([`host`](Self::host)), it asks for the key and sends it with every call.
    ///
    /// Off by default: a test's simulator answers `404` there, as Buzz-In would.
    pub fn control_api(mut self) -> Self {
        self.control_api = true;
        self
    }

    /// How many entries the request log ([`Simulator::requests`]) and the delivery log
    /// ([`Simulator::deliveries`]) each keep, the oldest dropped first
    /// ([`DEFAULT_LOG_CAPACITY`] by default; at least 1). Bounds the memory of a simulator
    /// under load; a test that checks its requests needs far fewer.
    pub fn log_capacity(mut self, entries: usize) -> Self {
        self.log_capacity = entries.max(1);
        self
    }

    /// How many bytes of paths, query strings and answer bodies the request log keeps, the
    /// oldest requests dropped first ([`DEFAULT_REQUEST_LOG_BYTES`] by default; at least 1). The
    /// last request is always kept whole, however long. With
    /// [`log_capacity`](Self::log_capacity), this bounds the log's memory whatever the size of
    /// the answers: it is one buffer that stops growing once full, so a simulator that has
    /// filled it serves any number of further requests in the same memory.
    ///
    /// ```
    /// use buzzin_sim::Simulator;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Room for about one 404 answer's texts: each request evicts the one before.
    /// let sim = Simulator::builder().request_log_bytes(100).start().await?;
    /// let http = reqwest::Client::new();
    /// for id in ["a", "b"] {
    ///     http.get(format!("{}/permits/{id}", sim.base_url()))
    ///         .header("x-api-key", sim.api_key()).send().await?;
    /// }
    /// let kept = sim.requests();
    /// assert_eq!(kept.len(), 1);
    /// assert_eq!(kept[0].path, "/permits/b");
    /// # Ok(()) }
    /// ```
    pub fn request_log_bytes(mut self, bytes: usize) -> Self {
        self.request_log_bytes = bytes.max(1);
        self
    }

    /// Keeps the state in `path` (`buzzin simulate --state FILE`): loaded at start when the
    /// file exists (a file of another format version, or not a state at all, is refused with
    /// an `InvalidData` error that names both versions, and left as it is), and written
    /// atomically (a temporary file, fsync, rename) in the background after each change and
    /// at [`shutdown`](Simulator::shutdown) or drop.
    ///
    /// The bound: a change is on disk within the [write interval](Self::state_write_interval)
    /// (1 s by default) plus the time of two writes; when one write takes more than a ninth of
    /// the interval (a large state: a write of 250,000 permits, 98 MB, takes about a second), the wait
    /// between writes stretches to nine times a write's time, so writing never takes more than
    /// about a tenth of the simulator's time.
    /// That is what a `kill -9` loses at most. The file holds what
    /// [`export_state`](Simulator::export_state) does: the records, the events and the clock,
    /// never the API key, the webhook destinations or their secrets.
    ///
    /// The clock resumes at the saved simulated time plus the real time since the save (the
    /// saved time itself when the clock is [frozen](Self::freeze_clock)); file URLs follow the
    /// simulator to its new port.
    ///
    /// ```
    /// use buzzin_sim::Simulator;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let path = std::env::temp_dir().join(format!("buzzin-sim-doc-{}.json", std::process::id()));
    /// let sim = Simulator::builder().state_file(&path).start().await?;
    /// let http = reqwest::Client::new();
    /// let created = http.post(format!("{}/permits", sim.base_url()))
    ///     .header("x-api-key", sim.api_key()).json(&serde_json::json!({})).send().await?;
    /// assert_eq!(created.status(), 400); // (a refused request changes nothing)
    /// sim.shutdown().await; // written now
    /// let again = Simulator::builder().state_file(&path).start().await?;
    /// # drop(again); std::fs::remove_file(&path)?; // (a drop writes the file again)
    /// # Ok(()) }
    /// ```
    pub fn state_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Makes the answers drift from the spec, as a real account's may (`buzzin simulate
    /// --drift`), to try [`drift`] and `buzzin check` out: `GET /permits/{id}` answers extra
    /// fields (`approvalChain`, `integrations.damac.sapReference`), an unknown `permitType`
    /// (`maintenance`), and `410` instead of the documented `404`; `GET /events` adds a
    /// `deviceName` to each record, a `nextCursor` to the page and a record whose `visitType`
    /// is `faceRecognition`; every other 2xx object answer gets a `simDrift` field.
    pub fn drift(mut self) -> Self {
        self.drift = true;
        self
    }

    /// Records: every API request is forwarded to `upstream` (a real account's base URL, such
    /// as `https://api.buzz-in.co`) with the key it came with, answered with the upstream's
    /// answer, and recorded with that answer in `cassette` (written whole after each
    /// request), redacted as [`cassette`] says: no key, no secret, no personal data. The
    /// [faults](Simulator::add_fault_rule) still apply; the control hooks act on the local
    /// records only. `buzzin simulate --record-from URL --cassette FILE`.
    pub fn record_from(
        mut self,
        upstream: impl Into<String>,
        cassette: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.upstream = Some(UpstreamSetting::Record {
            url: upstream.into(),
            cassette: cassette.into(),
        });
        self
    }

    /// Replays a cassette [`record_from`](Self::record_from) wrote: an API request gets the
    /// recorded answer to the same method, path (query included) and body (redacted as the
    /// recording was), the n-th such request the n-th answer (the last again once they run
    /// out); a request the cassette does not hold gets a `501` that says so. No API key is
    /// checked (the cassette holds none). `buzzin simulate --replay FILE`.
    pub fn replay(mut self, cassette: impl Into<std::path::PathBuf>) -> Self {
        self.upstream = Some(UpstreamSetting::Replay(cassette.into()));
        self
    }

    /// The shortest wait between two writes of the [state file](Self::state_file)
    /// ([`DEFAULT_STATE_WRITE_INTERVAL`], 1 s, by default; at least 1 ms).
    pub fn state_write_interval(mut self, interval: Duration) -> Self {
        self.state_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Binds the [host](Self::host) (`127.0.0.1` by default) and starts serving. Needs a Tokio
    /// runtime.
    pub async fn start(self) -> std::io::Result<Simulator> {
        // The state file is read before anything listens: a refused file stops the start.
        let saved = match &self.state_file {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => Some(state::persist::Snapshot::parse(&bytes).map_err(|refused| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("the state file {}: {}", path.display(), refused.0),
                    )
                })?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!("cannot read the state file {}: {e}", path.display()),
                    ))
                }
            },
            None => None,
        };
        let listener = tokio::net::TcpListener::bind((self.host, self.port)).await?;
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        }
        let base_url = format!("http://{addr}");
        let attempts = Arc::new(Mutex::new(Ring::new(self.log_capacity)));
        let (mut outbox, pending, jobs) = Outbox::new();
        outbox.destinations = self.destinations;
        tokio::spawn(sender::run(
            jobs,
            self.retry,
            attempts.clone(),
            pending.clone(),
        ));
        let seed = Seed::standard();
        let mut records = state::State::new(
            seed.clone(),
            base_url.clone(),
            state::Clock::new(self.clock_start, self.frozen),
            state::Rules {
                expiring_notice: self.expiring_notice,
            },
            outbox,
        );
        if let Some(saved) = saved {
            records.restore(saved).map_err(|refused| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, refused.0)
            })?;
        }
        let upstream = match self.upstream {
            None => None,
            Some(UpstreamSetting::Record { url, cassette }) => {
                let upstream = url::Url::parse(&url).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("the upstream to record from is not a URL: {e}"),
                    )
                })?;
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(60))
                    .build()
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                Some(shared::Upstream::Record {
                    recorder: cassette::Recorder::new(upstream, cassette),
                    http,
                })
            }
            Some(UpstreamSetting::Replay(path)) => Some(shared::Upstream::Replay(
                cassette::Player::load(&path)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
            )),
        };
        let persist = self
            .state_file
            .map(|path| Arc::new(persistence::Persist::new(path, self.state_interval)));
        let shared = Arc::new(Shared {
            records: Mutex::new(records),
            attempts: attempts.clone(),
            control_api: self.control_api,
            loopback: self.host.is_loopback(),
            api_key: self.api_key,
            faults: Mutex::new(VecDeque::new()),
            fault_rules: Mutex::new(faults::FaultRules::default()),
            requests: Mutex::new(RequestLog::new(self.log_capacity, self.request_log_bytes)),
            persist,
            drift: self.drift,
            upstream,
        });
        let writer = shared
            .persist
            .is_some()
            .then(|| tokio::spawn(shared::write_state_in_background(Arc::downgrade(&shared))));
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let app = server::router(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = signal.await;
                })
                .await;
        });
        Ok(Simulator {
            shared,
            pending,
            attempts,
            base_url,
            addr,
            community_id: seed.community_id.clone(),
            seed,
            shutdown: Some(shutdown),
            server: Some(server),
            writer,
        })
    }
}

impl Simulator {
    /// Starts a simulator with the default settings on a free port.
    pub async fn start() -> std::io::Result<Simulator> {
        SimulatorBuilder::default().start().await
    }

    /// Settings for a simulator.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Where it listens, such as `http://127.0.0.1:40123` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key it accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// The community the API key acts in.
    pub fn community_id(&self) -> &CommunityId {
        &self.community_id
    }

    /// The records it started with.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// A [`Client`](buzzin::Client) for this simulator, whose retries wait 10–100 ms instead
    /// of seconds (so fault-injection tests stay fast).
    pub fn client(&self) -> Result<buzzin::Client, buzzin::Error> {
        buzzin::Client::builder()
            .base_url(self.base_url.clone())
            .api_key(self.api_key())
            .retry_policy(
                buzzin::client::RetryPolicy::default()
                    .base_delay(Duration::from_millis(10))
                    .max_delay(Duration::from_millis(100)),
            )
            .build()
    }

    /// Runs `f` on the records, on the guarded path every route takes (the clock brought up to
    /// date first when `tick`). A panic in the rules (a bug) is raised again here, in the
    /// caller, once the lock is released: the simulator keeps serving, nothing is poisoned.
    fn with_records<T>(&self, tick: bool, f: impl FnOnce(&mut state::State) -> T) -> T {
        match self.shared.guarded(tick, f) {
            Ok(value) => value,
            Err(failure) => panic!("{}", failure.message),
        }
    }

    // ---- the dashboard ----------------------------------------------------------------------

    /// Approves a pending contractor, as a community admin does in the dashboard; sends
    /// `communityContractors.approved`. Approving an approved contractor changes nothing.
    pub fn approve_contractor(
        &self,
        id: impl Into<ContractorId>,
    ) -> Result<Contractor, SimulatorError> {
        let id = id.into();
        self.with_records(true, |r| r.approve_contractor_hook(&id))
    }

    /// Fills in what a DRAFT permit needs before `submit`, as the dashboard does (only the
    /// fields set in `details` change; employees are added).
    pub fn fill_permit_details(
        &self,
        id: impl Into<PermitId>,
        details: PermitDetails,
    ) -> Result<Permit, SimulatorError> {
        let id = id.into();
        self.with_records(true, |r| r.fill_permit_details(&id, details))
    }

    /// Approves a submitted permit, as the approval workflow does: it becomes ACCEPTED
    /// (status 1), gets an access code and QR, and `passes.permits.issued` is sent.
    pub fn approve_permit(&self, id: impl Into<PermitId>) -> Result<Permit, SimulatorError> {
        let id = id.into();
        self.with_records(true, |r| r.approve_permit(&id))
    }

    // ---- gates and time ---------------------------------------------------------------------

    /// Scans a pass at the entry gate of its own property. An accepted scan sends
    /// `passes.permits.scanned` (and `passes.permits.firstScanned` the first time) and logs a
    /// `communityPass` visit.
    pub fn scan(&self, access_code: &str) -> Result<Scan, ScanRefusal> {
        self.with_records(true, |r| r.scan(access_code, None))
    }

    /// Scans a pass at a gate of `property`. An exit scan also sends
    /// `passes.permits.lastScanned`.
    pub fn scan_at(
        &self,
        access_code: &str,
        property: impl Into<PropertyId>,
        direction: GateDirection,
    ) -> Result<Scan, ScanRefusal> {
        let property = property.into();
        self.with_records(true, |r| r.scan(access_code, Some((&property, direction))))
    }

    /// The simulated time.
    pub fn now(&self) -> Timestamp {
        self.with_records(true, |r| r.now())
    }

    /// Moves the simulated clock forward; permits that reach their expiring notice or their
    /// `validTill` send `passes.permits.expiring` / `passes.permits.expired` (and expire). The
    /// clock stops at 9999-12-31T23:59:59.999Z (Buzz-In's timestamps have four-digit years).
    pub fn advance(&self, by: Duration) {
        self.with_records(false, |r| {
            let _ = r.clock.advance(by);
            r.tick();
        });
    }

    // ---- inspection -------------------------------------------------------------------------

    /// A contractor as the simulator holds it (revoked ones included).
    pub fn contractor(&self, id: impl Into<ContractorId>) -> Option<Contractor> {
        let id = id.into();
        self.with_records(true, |r| r.contractor(&id))
    }

    /// A permit as `GET /permits/{id}` would answer it.
    pub fn permit(&self, id: impl Into<PermitId>) -> Option<Permit> {
        let id = id.into();
        self.with_records(true, |r| r.permit(&id))
    }

    /// Every webhook event emitted so far, oldest first, whether or not a destination wanted
    /// it.
    pub fn events(&self) -> Vec<WebhookEnvelope> {
        self.with_records(true, |r| r.outbox.events.clone())
    }

    /// The API requests answered so far, oldest first, with their answers (the last
    /// [`log_capacity`](SimulatorBuilder::log_capacity) of them).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .page(Cursor::default(), usize::MAX)
            .0
    }

    /// The API requests answered since `cursor` (still kept: see
    /// [`log_capacity`](SimulatorBuilder::log_capacity)), oldest first, and the cursor to pass
    /// next time. Copies only what is new, so a reader that polls stays cheap however long the
    /// simulator runs.
    ///
    /// ```
    /// use buzzin_sim::{Cursor, Simulator};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// let http = reqwest::Client::new();
    /// http.get(format!("{}/permits/none", sim.base_url()))
    ///     .header("x-api-key", sim.api_key()).send().await?;
    /// let (first, cursor) = sim.requests_since(Cursor::default());
    /// assert_eq!(first.len(), 1);
    /// assert_eq!(first[0].status, 404);
    /// assert!(sim.requests_since(cursor).0.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn requests_since(&self, cursor: Cursor) -> (Vec<RecordedRequest>, Cursor) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .page(cursor, usize::MAX)
    }

    /// At most `max` of the requests [`requests_since`](Self::requests_since) returns, oldest
    /// first, and the cursor just past them: a reader that loops until a page is empty never
    /// copies more than `max` entries at once, however fast requests arrive.
    ///
    /// ```
    /// use buzzin_sim::{Cursor, Simulator};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// let http = reqwest::Client::new();
    /// for _ in 0..3 {
    ///     http.get(format!("{}/permits/none", sim.base_url()))
    ///         .header("x-api-key", sim.api_key()).send().await?;
    /// }
    /// let (page, cursor) = sim.requests_page(Cursor::default(), 2);
    /// assert_eq!(page.len(), 2);
    /// let (rest, cursor) = sim.requests_page(cursor, 2);
    /// assert_eq!(rest.len(), 1);
    /// assert!(sim.requests_page(cursor, 2).0.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn requests_page(&self, cursor: Cursor, max: usize) -> (Vec<RecordedRequest>, Cursor) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .page(cursor, max)
    }

    // ---- webhooks ---------------------------------------------------------------------------

    /// Delivers the events emitted from now on to `destination` too.
    pub fn add_webhook(&self, destination: WebhookDestination) {
        self.with_records(true, |r| r.outbox.destinations.push(destination));
    }

    /// Every delivery attempt made so far, in order.
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .all()
    }

    /// The delivery attempts made since `cursor` (still kept: see
    /// [`log_capacity`](SimulatorBuilder::log_capacity)), in order, and the cursor to pass
    /// next time.
    pub fn deliveries_since(&self, cursor: Cursor) -> (Vec<DeliveryAttempt>, Cursor) {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .since(cursor)
    }

    /// At most `max` of the attempts [`deliveries_since`](Self::deliveries_since) returns, in
    /// order, and the cursor just past them (see [`requests_page`](Self::requests_page)).
    pub fn deliveries_page(&self, cursor: Cursor, max: usize) -> (Vec<DeliveryAttempt>, Cursor) {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .page(cursor, max)
    }

    /// Delivers a delivery again, as the dashboard's Redeliver button does: the same delivery id
    /// (`X-Buzzin-Delivery`), body and destination, fresh signature headers, the usual retries;
    /// its attempts are numbered after the delivery's earlier ones.
    ///
    /// Assumed: the documentation describes no redelivery; the simulator keeps the delivery id,
    /// as it does on retries.
    ///
    /// ```
    /// use buzzin_sim::{Simulator, SimulatorError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sim = Simulator::start().await.unwrap();
    /// assert!(matches!(
    ///     sim.redeliver("de11nothing"),
    ///     Err(SimulatorError::NotFound { kind: "delivery", .. })
    /// ));
    /// # }
    /// ```
    pub fn redeliver(&self, delivery_id: &str) -> Result<(), SimulatorError> {
        dashboard::redeliver(&self.shared, delivery_id)
    }

    /// Waits until every queued delivery has succeeded or used all its attempts. Wrap it in
    /// `tokio::time::timeout` to bound the wait.
    pub async fn wait_for_deliveries(&self) {
        self.pending.wait_idle().await;
    }

    // ---- faults -----------------------------------------------------------------------------

    /// Makes the next `count` API requests fail with `fault` (after any faults already
    /// queued).
    ///
    /// ```
    /// use std::time::Duration;
    /// use buzzin_sim::{Fault, Simulator};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// sim.fail_next(1, Fault::TooManyRequests { retry_after: Duration::from_secs(2) });
    /// let answer = reqwest::Client::new()
    ///     .get(format!("{}/events", sim.base_url()))
    ///     .header("x-api-key", sim.api_key())
    ///     .send().await?;
    /// assert_eq!(answer.status(), 429);
    /// assert_eq!(answer.headers()["retry-after"], "2");
    /// # Ok(()) }
    /// ```
    pub fn fail_next(&self, count: usize, fault: Fault) {
        let mut faults = self
            .shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        faults.extend(std::iter::repeat_n(fault, count));
    }

    /// Drops the faults not yet used, and every fault rule.
    pub fn clear_faults(&self) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.shared
            .fault_rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Adds a fault rule: the API requests it matches (by operation id or path), the next N of
    /// them or each with a probability, get its [`Fault`] (a status, a delay, a reset
    /// connection). Rules apply after the faults of [`fail_next`](Self::fail_next), the oldest
    /// rule first; returns the rule's id. Over HTTP: `POST /_simulator/faults`.
    ///
    /// ```
    /// use buzzin_sim::{Fault, FaultRule, Simulator};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// let id = sim.add_fault_rule(FaultRule::operation("getPermit", Fault::Status(503)).times(1));
    /// let get = || reqwest::Client::new()
    ///     .get(format!("{}/permits/none", sim.base_url()))
    ///     .header("x-api-key", sim.api_key())
    ///     .send();
    /// assert_eq!(get().await?.status(), 503);
    /// assert_eq!(get().await?.status(), 404); // used up, and gone
    /// assert!(!sim.remove_fault_rule(id));
    /// # Ok(()) }
    /// ```
    pub fn add_fault_rule(&self, rule: FaultRule) -> u64 {
        self.shared
            .fault_rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(rule)
    }

    /// The fault rules still in force, oldest first, with how often each fired.
    pub fn fault_rules(&self) -> Vec<FaultRuleEntry> {
        self.shared
            .fault_rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .list()
    }

    /// Removes a fault rule; `false` when none has that id (it may have been used up).
    pub fn remove_fault_rule(&self, id: u64) -> bool {
        self.shared
            .fault_rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
    }

    // ---- state ------------------------------------------------------------------------------

    /// The whole state as a JSON document (`GET /_simulator/snapshot`, the dashboard's Export):
    /// the records (contractors, permits with their passes, property managers, QR accesses,
    /// event logs), the files given to the API, the webhook events emitted, the simulated time
    /// and the id counters. It holds no API key, no webhook destination or secret, no delivery
    /// attempt, no request log and no fault rule. [`import_state`](Self::import_state) (or a
    /// [state file](SimulatorBuilder::state_file)) reads it back.
    pub fn export_state(&self) -> Vec<u8> {
        self.with_records(false, |r| r.snapshot()).to_bytes()
    }

    /// Replaces every record with those of a document [`export_state`](Self::export_state)
    /// wrote (`PUT /_simulator/snapshot`, the dashboard's Import). The settings, the webhook
    /// destinations and the deliveries under way stay. A document of another format version is
    /// refused, naming both versions, and nothing changes.
    ///
    /// ```
    /// use buzzin_sim::{Simulator, SimulatorError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// let copy = Simulator::start().await?;
    /// copy.import_state(&sim.export_state())?;
    /// let newer = br#"{"format": "buzzin-sim-state", "version": 99}"#;
    /// let Err(SimulatorError::InvalidState(why)) = copy.import_state(newer) else { panic!() };
    /// assert!(why.contains("version 99") && why.contains("version 1"), "{why}");
    /// # Ok(()) }
    /// ```
    pub fn import_state(&self, document: &[u8]) -> Result<(), SimulatorError> {
        let snapshot = state::persist::Snapshot::parse(document)
            .map_err(|refused| SimulatorError::InvalidState(refused.0))?;
        self.with_records(false, |r| r.restore(snapshot))
            .map_err(|refused| SimulatorError::InvalidState(refused.0))?;
        self.shared.changed();
        Ok(())
    }

    /// How long the last write of the [state file](SimulatorBuilder::state_file) took (taking
    /// the snapshot, its JSON and the file), if there was one.
    pub fn last_state_write(&self) -> Option<Duration> {
        let persist = self.shared.persist.as_ref()?;
        let micros = persist
            .last_write_micros
            .load(std::sync::atomic::Ordering::Relaxed);
        (micros > 0).then(|| Duration::from_micros(micros))
    }

    /// Writes the state file one last time (at shutdown, or at drop without one): the
    /// background writer is stopped first, and a write of it still under way cannot replace
    /// this newer one.
    fn flush_state(&mut self) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        writer.abort();
        if let Some(persist) = self.shared.persist.clone() {
            if let Err(message) = self.shared.write_state(&persist) {
                eprintln!("buzzin-sim: {message}");
            }
        }
    }

    /// Stops serving, waits until the server has stopped, and writes the
    /// [state file](SimulatorBuilder::state_file) if a change is not on disk yet.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.flush_state();
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.flush_state();
    }
}
