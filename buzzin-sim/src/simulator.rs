//! The [`Simulator`] facade: a running simulator, its hooks (what a person, a gate or time would
//! do), its logs, its faults and its state.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use buzzin::models::{
    CommunityId, Contractor, ContractorId, Permit, PermitId, PropertyId, Timestamp, WebhookEnvelope,
};

use crate::delivery::{DeliveryAttempt, Pending, WebhookDestination};
use crate::faults::{FaultRule, FaultRuleEntry};
use crate::log::{Cursor, Fault, RecordedRequest, Ring};
use crate::seed::{GateDirection, Seed};
use crate::shared::Shared;
use crate::state::{self, PermitDetails, Scan, ScanRefusal, SimulatorError};
use crate::{dashboard, SimulatorBuilder};

/// A local Buzz-In: an HTTP server on `127.0.0.1` with the seeded community of [`Seed`].
///
/// It stops when dropped (or at [`shutdown`](Self::shutdown)). See the
/// [crate documentation](crate) for the rules it enforces and what is assumed.
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
    pub(crate) shared: Arc<Shared>,
    pub(crate) pending: Arc<Pending>,
    pub(crate) attempts: Arc<Mutex<Ring<DeliveryAttempt>>>,
    pub(crate) base_url: String,
    pub(crate) addr: SocketAddr,
    pub(crate) community_id: CommunityId,
    pub(crate) seed: Seed,
    pub(crate) shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub(crate) server: Option<tokio::task::JoinHandle<()>>,
    /// The state file's writer, when there is one.
    pub(crate) writer: Option<tokio::task::JoinHandle<()>>,
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

    /// Makes the next `count` API requests with the right key fail with `fault` (after any
    /// faults already queued); a request without the key gets its `401` and uses none up.
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
    /// rule first, to the requests with the right key only; returns the rule's id. A simulator
    /// holds at most [`MAX_FAULT_RULES`](crate::MAX_FAULT_RULES) rules, each path at most
    /// [`MAX_FAULT_PATH`](crate::MAX_FAULT_PATH) bytes: beyond, the rule is refused
    /// ([`SimulatorError::InvalidState`]). Over HTTP: `POST /_simulator/faults`.
    ///
    /// ```
    /// use buzzin_sim::{Fault, FaultRule, Simulator};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// let id = sim.add_fault_rule(FaultRule::operation("getPermit", Fault::Status(503)).times(1))?;
    /// let get = || reqwest::Client::new()
    ///     .get(format!("{}/permits/none", sim.base_url()))
    ///     .header("x-api-key", sim.api_key())
    ///     .send();
    /// assert_eq!(get().await?.status(), 503);
    /// assert_eq!(get().await?.status(), 404); // used up, and gone
    /// assert!(!sim.remove_fault_rule(id));
    /// # Ok(()) }
    /// ```
    pub fn add_fault_rule(&self, rule: FaultRule) -> Result<u64, SimulatorError> {
        self.shared
            .fault_rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(rule)
            .map_err(SimulatorError::InvalidState)
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

    /// Finishes the cassette (when recording) and writes the state file one last time (at
    /// shutdown, or at drop without one): the background writer is stopped first, and a write
    /// of it still under way cannot replace this newer one. The write's error names the file.
    fn flush(&mut self) -> Result<(), String> {
        if let Some(crate::shared::Upstream::Record { recorder, .. }) = &self.shared.upstream {
            recorder.finish();
        }
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        writer.abort();
        match self.shared.persist.clone() {
            Some(persist) => {
                let written = self.shared.write_state(&persist).map(drop);
                persist.release();
                written
            }
            None => Ok(()),
        }
    }

    /// Stops serving, waits until the server has stopped, and writes the
    /// [state file](SimulatorBuilder::state_file) one last time; a failed write is printed to
    /// standard error ([`close`](Self::close) returns it).
    pub async fn shutdown(self) {
        if let Err(e) = self.close().await {
            eprintln!("buzzin-sim: {e}");
        }
    }

    /// [`shutdown`](Self::shutdown), returning the error of the state file's last write, which
    /// names the file (no temporary file is left behind).
    pub async fn close(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.flush().map_err(std::io::Error::other)
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Err(message) = self.flush() {
            eprintln!("buzzin-sim: {message}");
        }
    }
}
