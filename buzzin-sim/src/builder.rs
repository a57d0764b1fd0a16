//! [`SimulatorBuilder`]: a simulator's settings, and its start (the state file read, the
//! upstream or cassette opened, the listener bound, the server and the writers spawned).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use buzzin::models::Timestamp;

use crate::delivery::{Outbox, RetrySettings, WebhookDestination};
use crate::layers::connections::{self, Limits};
use crate::log::{RequestLog, Ring, DEFAULT_LOG_CAPACITY, DEFAULT_REQUEST_LOG_BYTES};
use crate::seed::Seed;
use crate::shared::{self, Shared};
use crate::simulator::Simulator;
use crate::{cassette, faults, persistence, sender, server, state, DEFAULT_API_KEY};

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
    cassette_limit: u64,
    limits: Limits,
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
            .field("limits", &self.limits)
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
            cassette_limit: cassette::CASSETTE_LIMIT,
            limits: Limits {
                connections: connections::DEFAULT_CONNECTION_LIMIT,
                header_timeout: connections::DEFAULT_HEADER_TIMEOUT,
                idle_timeout: connections::DEFAULT_IDLE_TIMEOUT,
            },
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
    /// | `GET /_simulator/deliveries` ([`DeliveryAttempt`](crate::DeliveryAttempt)'s JSON: a token header `<redacted>`) | [`Simulator::deliveries`] |
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
    /// --drift`), to try [`drift`](crate::drift) and `buzzin check` out: `GET /permits/{id}` answers extra
    /// fields (`approvalChain`, `integrations.damac.sapReference`), an unknown `permitType`
    /// (`maintenance`), and `410` instead of the documented `404`; `GET /events` adds a
    /// `deviceName` to each record, a `nextCursor` to the page and a record whose `visitType`
    /// is `faceRecognition`; every other 2xx object answer gets a `simDrift` field.
    pub fn drift(mut self) -> Self {
        self.drift = true;
        self
    }

    /// Records: every API request to one of the spec's operations that carries a key is
    /// forwarded to `upstream` (a real account's base URL, such as `https://api.buzz-in.co`)
    /// with that key, answered with the upstream's answer, and appended with that answer to
    /// `cassette` (created at start, one JSON line per request), redacted as [`cassette`]
    /// says: no key, no secret, no personal data. A request without a key is a `401`, another
    /// path a `404`: neither is forwarded nor recorded. Upstream answers and the cassette have
    /// size limits ([`cassette::ANSWER_LIMIT`], [`cassette::CASSETTE_LIMIT`]). The
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

    /// The largest cassette [`record_from`](Self::record_from) writes, in bytes
    /// ([`cassette::CASSETTE_LIMIT`], 32 MiB, by default, which is also the most it takes):
    /// once reached, the simulator answers `507` and forwards nothing more.
    pub fn cassette_limit(mut self, bytes: u64) -> Self {
        self.cassette_limit = bytes.min(cassette::CASSETTE_LIMIT);
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

    /// The most connections served at once ([`DEFAULT_CONNECTION_LIMIT`](crate::DEFAULT_CONNECTION_LIMIT),
    /// 256, by default; at least 1): a connection over it is closed at once.
    pub fn connection_limit(mut self, connections: usize) -> Self {
        self.limits.connections = connections.max(1);
        self
    }

    /// How long a client has to send a request's headers
    /// ([`DEFAULT_HEADER_TIMEOUT`](crate::DEFAULT_HEADER_TIMEOUT), 10 s, by default; at least
    /// 1 ms), counted from when the connection starts waiting for a request: a half-sent
    /// request's connection is then closed, and so is a connection that sends nothing.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a connection may stay open with no request under way
    /// ([`DEFAULT_IDLE_TIMEOUT`](crate::DEFAULT_IDLE_TIMEOUT), 30 s, by default; at least
    /// 1 ms): it is then closed. The [header timeout](Self::header_timeout) also runs while a
    /// connection waits for its next request, so the shorter of the two applies.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout.max(Duration::from_millis(1));
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
        // The state file is claimed and read before anything listens: a file in use, one that
        // cannot be written and one refused stop the start.
        let claim = self
            .state_file
            .as_deref()
            .map(persistence::claim)
            .transpose()?;
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
                let limit = self.cassette_limit;
                let recorder =
                    cassette::Recorder::new(upstream, &cassette, limit).map_err(|e| {
                        std::io::Error::new(
                            e.kind(),
                            format!("cannot write the cassette {}: {e}", cassette.display()),
                        )
                    })?;
                Some(shared::Upstream::Record { recorder, http })
            }
            Some(UpstreamSetting::Replay(path)) => Some(shared::Upstream::Replay(
                cassette::Player::load(&path)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
            )),
        };
        let persist = self.state_file.zip(claim).map(|(path, claim)| {
            Arc::new(persistence::Persist::new(path, self.state_interval, claim))
        });
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
        let server = tokio::spawn(connections::serve(listener, app, self.limits, signal));
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
