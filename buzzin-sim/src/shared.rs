//! What every HTTP route of the simulator shares: the records behind one lock, the logs, and
//! the one guarded path to the records ([`Shared::guarded`], [`Shared::answer`]) with the one
//! JSON-answer helper ([`json_answer`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::delivery::DeliveryAttempt;
use crate::faults::FaultRules;
use crate::log::{Fault, RequestLog, Ring};
use crate::persistence::Persist;
use crate::state::{Answer, Failure, State as Records};

/// The state of one simulator, shared by its routes and its [`Simulator`](crate::Simulator).
pub(crate) struct Shared {
    pub records: Mutex<Records>,
    pub attempts: Arc<Mutex<Ring<DeliveryAttempt>>>,
    pub control_api: bool,
    /// Whether the simulator listens on a loopback address (the dashboard's key rule).
    pub loopback: bool,
    pub api_key: String,
    pub faults: Mutex<VecDeque<Fault>>,
    pub fault_rules: Mutex<FaultRules>,
    pub requests: Mutex<RequestLog>,
    /// The state file, when there is one (`--state`).
    pub persist: Option<Arc<Persist>>,
    /// Whether answers drift from the spec (`--drift`).
    pub drift: bool,
    /// Where API requests are answered from instead of the records: an upstream that is
    /// recorded, or a cassette that is replayed.
    pub upstream: Option<Upstream>,
}

/// Where a recording or replaying simulator answers API requests from.
pub(crate) enum Upstream {
    /// Forwarded to an upstream (`--record-from URL --cassette FILE`) and recorded.
    Record {
        recorder: crate::cassette::Recorder,
        http: reqwest::Client,
    },
    /// Answered from a cassette (`--replay FILE`).
    Replay(crate::cassette::Player),
}

/// The message of the 500 a panic in the rules answers.
pub(crate) const PANIC_MESSAGE: &str =
    "The simulator failed on this request (a bug: please report it)";

impl Shared {
    /// Runs `f` on the records, the clock first brought up to date when `tick`: the one path by
    /// which an API route, a control hook, the dashboard and the [`Simulator`](crate::Simulator)
    /// facade reach them. A panic in `f` (a bug) is caught and comes back as a Feathers 500:
    /// the lock is not left poisoned, and the next request is served as if nothing happened.
    pub fn guarded<T>(&self, tick: bool, f: impl FnOnce(&mut Records) -> T) -> Result<T, Failure> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let events = records.outbox.events.len();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if tick {
                records.tick();
            }
            f(&mut records)
        }))
        .map_err(|_| Failure::new(500, PANIC_MESSAGE));
        // The clock's own changes (a permit that expired) emit events: they count as changes.
        if records.outbox.events.len() != events {
            self.changed();
        }
        outcome
    }

    /// Notes that the records may have changed: the state file (if any) is written within
    /// its bound.
    pub fn changed(&self) {
        if let Some(persist) = &self.persist {
            persist.changed();
        }
    }

    /// Takes a snapshot under the records' lock and writes it to `persist`'s file after it;
    /// `Ok(false)` when a newer snapshot was already written.
    pub fn write_state(&self, persist: &Persist) -> Result<bool, String> {
        let started = Instant::now();
        let (number, snapshot) = self
            .guarded(false, |records| {
                (persist.number_snapshot(), records.snapshot())
            })
            .map_err(|f| f.message)?;
        let bytes = snapshot.to_bytes();
        drop(snapshot);
        persist.write(number, &bytes, started)
    }

    /// Answers one request from the records (the clock brought up to date first), through
    /// [`guarded`](Self::guarded): a panic answers 500 for this request alone.
    pub fn answer(&self, f: impl FnOnce(&mut Records) -> Answer) -> Response {
        respond(self.guarded(true, f).and_then(|answer| answer))
    }
}

/// The one JSON answer of the simulator: `body` with `status`, `Content-Type:
/// application/json` and `Cache-Control: no-store` (an answer reflects the state of a moment).
pub(crate) fn json_answer(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (status, headers, body.to_string()).into_response()
}

/// An answer of the rules as an HTTP answer: the reply, or the Feathers error body.
pub(crate) fn respond(answer: Answer) -> Response {
    match answer {
        Ok(reply) => json_answer(reply.status, &reply.body),
        Err(failure) => json_answer(failure.status, &failure.body()),
    }
}

/// The largest request body the simulator reads: 1 MiB (a base64 NOC or trade licence fits).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// The Feathers `413` of a body over [`BODY_LIMIT`].
pub(crate) fn too_large() -> Response {
    respond(Err(Failure::new(
        413,
        format!("The request body is larger than {BODY_LIMIT} bytes"),
    )))
}

/// The key a request sends, if any: `x-api-key`, else `Authorization: Bearer <key>` (the
/// scheme's name in any case), trimmed.
pub(crate) fn sent_key(request: &axum::extract::Request) -> Option<&str> {
    let headers = request.headers();
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim());
    }
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, key) = authorization.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

/// A request body as JSON, or a Feathers 400.
pub(crate) fn body_json(body: &Bytes) -> Result<Value, Failure> {
    serde_json::from_slice(body)
        .map_err(|e| Failure::bad_request(format!("The body is not valid JSON: {e}")))
}

/// The background writer of the state file: after a change, waits until the
/// [pause](Persist::pause) since the last write has passed, then writes. Runs until the
/// simulator is gone.
pub(crate) async fn write_state_in_background(shared: Weak<Shared>) {
    let mut last: Option<Instant> = None;
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let Some(persist) = strong.persist.clone() else {
            return;
        };
        drop(strong);
        persist.change().await;
        if let Some(last) = last {
            tokio::time::sleep_until((last + persist.pause()).into()).await;
        }
        if !persist.has_change() {
            continue;
        }
        last = Some(Instant::now());
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let outcome = tokio::task::spawn_blocking(move || strong.write_state(&persist)).await;
        if let Ok(Err(message)) = outcome {
            eprintln!("buzzin-sim: {message}");
        }
    }
}
