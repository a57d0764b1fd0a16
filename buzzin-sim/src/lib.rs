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
//! # A first test
//!
//! Offline, no account and no key of yours: the simulator plays Buzz-In and the community
//! admin, and the SDK's client talks to it over real HTTP.
//!
//! ```
//! use buzzin::client::Contact;
//! use buzzin::models::{CompanyInput, Date, FileInput};
//! use buzzin_sim::Simulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = Simulator::start().await?;
//! let client = sim.client()?; // the simulator's URL and key
//! let contact = Contact {
//!     name: "Ahmed Al Mansoori".into(),
//!     email: "ops@ahmed-contracting.example".into(),
//!     phone: "+971501234567".into(),
//! };
//! let license = FileInput::Url { url: "https://files.example.com/license.pdf".into() };
//! let company = CompanyInput::new("Ahmed Contracting LLC", license, Date::parse("2027-12-31")?);
//! let created = client
//!     .community_contractors()
//!     .create(contact, company, "a0B5g00000XYZ12")
//!     .send()
//!     .await?
//!     .into_record();
//! assert_eq!(created.approved, Some(false)); // pending, as documented
//! let id = created.id.unwrap();
//! sim.approve_contractor(id.clone())?; // the admin's part
//! assert_eq!(sim.contractor(id).unwrap().approved, Some(true));
//! # Ok(())
//! # }
//! ```
//!
//! # Where to go next
//!
//! - [`Simulator`] and [`SimulatorBuilder`]: hooks, clock, faults, state files, record and
//!   replay.
//! - `buzzin simulate --help`: the same simulator as a process, with its dashboard, for teams
//!   outside Rust.
//! - The repository's [README](https://github.com/buzzin-rs/buzzin#the-simulator-and-the-buzzin-binary):
//!   the rules it enforces, the control routes and the dashboard in full.
//!
//! # Features
//!
#![doc = document_features::document_features!()]
//!
//! # How a request is served
//!
//! Every request passes the same layers in a fixed order: a limit on open connections and
//! timeouts on reading headers and on idle connections
//! ([`connection_limit`](SimulatorBuilder::connection_limit),
//! [`header_timeout`](SimulatorBuilder::header_timeout),
//! [`idle_timeout`](SimulatorBuilder::idle_timeout)); the `Host` and authority checks; the API
//! key; the body limit; forced answers, queued faults and fault rules; the request log; drift;
//! then the routes. A request without the right key is answered `401` before any fault rule
//! sees it.
//!
//! # Rules enforced
//!
//! Documented (the API's pages): a wrong or missing API key gets `401` `NotAuthenticated`; errors
//! are Feathers bodies `{name, message, code, className}`; a new contractor is pending
//! (`approved: false`); contractor emails are unique across Buzz-In, phones and Salesforce ids
//! per community (`409`); a permit is created as a DRAFT (status 10) with its contractor,
//! property and unit resolved by Salesforce/external id or Buzz-In id (`404` when unknown, the
//! unit must belong to the property), `validTill` in the future and not before `validFrom`
//! (`400`), a duplicate `salesforcePermitId` is `409`; a validity change keeps the QR code and
//! sends `passes.permits.updated` (a DRAFT's too); `replaceNoc` moves the current NOC into `nocHistory`;
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
//! - `POST /visits` (the NFC visit) is taken without a key: the NFC page shows none, the tag's
//!   `deviceSecret` being the proof; a key that is sent must be right;
//! - the status numbers of PENDING, REVOKED, ARCHIVED and EXPIRED (see [`status`]);
//! - an unapproved contractor is refused with `400` `BadRequest`;
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
//!   `externalNfc`), with only the fields the spec describes;
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
// HTTP, each importing only from those before it in this list (the declarations are sorted):
// `shared` (the guarded path, the body limit, the key's reading), `validate` (request bodies),
// `persistence` (the state file's writer), `sender` (webhooks), `control` (the hooks),
// `dashboard`, `public` (the `/public/` files), `forward` (record and replay), `routes` (the
// API's), `layers` (what every request passes, in their order), `server` (the router):
mod control;
mod dashboard;
mod forward;
mod layers;
mod persistence;
mod public;
mod routes;
mod sender;
mod server;
mod shared;
mod validate;
// … and the builder and the `Simulator` facade.
mod builder;
mod simulator;

/// What `cargo xtask codegen` writes for the simulator from the spec.
mod generated {
    /// The fields the spec marks secret or personal, which a cassette never holds.
    pub(crate) mod redacted;
}

pub use builder::{SimulatorBuilder, DEFAULT_STATE_WRITE_INTERVAL};
pub use delivery::{DeliveryAttempt, DeliveryOutcome, WebhookDestination};
pub use faults::{FaultRule, FaultRuleEntry, FaultTarget, MAX_FAULT_PATH, MAX_FAULT_RULES};
pub use layers::connections::{
    DEFAULT_CONNECTION_LIMIT, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
};
pub use log::{Cursor, DEFAULT_LOG_CAPACITY, DEFAULT_REQUEST_LOG_BYTES};
pub use log::{Fault, RecordedRequest, ResponseBody};
pub use seed::{
    GateDirection, Seed, SeedFlat, SeedNfcDevice, SeedOtherContractor, SeedProperty, SeedResident,
};
pub use simulator::Simulator;
pub use state::{PermitDetails, Scan, ScanRefusal, SimulatorError};

/// The API key a simulator accepts unless [`SimulatorBuilder::api_key`] says otherwise.
pub const DEFAULT_API_KEY: &str = "bz_test_simulator";
