//! The HTTP face of the simulator: routes, API-key check, injected faults, request log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::Router;
use serde_json::Value;

use super::log::{RequestLog, Ring};
use super::state::{Answer, Failure, State as Records};
use super::validate;

/// A failure the simulator injects into the next request(s) (see
/// [`Simulator::fail_next`](super::Simulator::fail_next)). A faulted request is answered
/// before its API key is checked, as a proxy or a rate limiter in front of Buzz-In would.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `500` with a Feathers `GeneralError`; the request has no effect.
    ServerError,
    /// `429` with a Feathers `TooManyRequests` and `Retry-After` in whole seconds (rounded
    /// up); the request has no effect.
    TooManyRequests {
        /// The wait asked for.
        retry_after: Duration,
    },
    /// The request is handled normally after this delay (to trip a client's timeout).
    Delay(Duration),
    /// The request takes effect, but the answer is a `500`: the case of a response lost on the
    /// way back, after which a retried create meets its own record (409).
    ServerErrorAfterEffect,
}

/// One request the simulator answered, with its answer (see
/// [`Simulator::requests`](super::Simulator::requests)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// `GET`, `POST`, `PATCH`, …
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The status code of the answer.
    pub status: u16,
    /// The answer's body: its bytes as sent, read as JSON on first use (`Null` when it had
    /// none or it was not JSON).
    pub response: ResponseBody,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
}

/// The body of a recorded answer. The log keeps the bytes as sent; the JSON is parsed the first
/// time it is read (through `Deref` to [`Value`]: `request.response["message"]`), so only a
/// caller that looks pays for the parse.
///
/// ```
/// use buzzin_sim::Simulator;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = Simulator::start().await?;
/// reqwest::Client::new()
///     .get(format!("{}/permits/none", sim.base_url()))
///     .header("x-api-key", sim.api_key())
///     .send()
///     .await?;
/// let request = &sim.requests()[0];
/// assert_eq!(request.response["name"], "NotFound");
/// assert!(request.response.bytes().starts_with(b"{"));
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ResponseBody {
    bytes: Bytes,
    parsed: std::sync::OnceLock<Value>,
}

impl ResponseBody {
    pub(crate) fn new(bytes: Bytes) -> Self {
        ResponseBody {
            bytes,
            parsed: std::sync::OnceLock::new(),
        }
    }

    /// The body exactly as sent.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The body read as JSON (`Null` when empty or not JSON); parsed once, on first use.
    pub fn json(&self) -> &Value {
        self.parsed
            .get_or_init(|| serde_json::from_slice(&self.bytes).unwrap_or(Value::Null))
    }
}

impl std::ops::Deref for ResponseBody {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.json()
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.json(), f)
    }
}

impl std::fmt::Display for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.json(), f)
    }
}

impl PartialEq for ResponseBody {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

pub(crate) struct Shared {
    pub records: Mutex<Records>,
    pub attempts: Arc<Mutex<Ring<super::DeliveryAttempt>>>,
    pub control_api: bool,
    /// Whether the simulator listens on a loopback address (the dashboard's key rule).
    pub loopback: bool,
    pub api_key: String,
    pub faults: Mutex<VecDeque<Fault>>,
    pub requests: Mutex<RequestLog>,
}

impl Shared {
    /// Runs one request against the records. A panic in the rules (a bug) answers a Feathers
    /// 500 for this request alone: the lock is not left poisoned and the server keeps serving.
    fn answer(&self, f: impl FnOnce(&mut Records) -> Answer) -> Response {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            records.tick();
            f(&mut records)
        }));
        match outcome {
            Ok(answer) => respond(answer),
            Err(_) => respond(Err(Failure::new(
                500,
                "The simulator failed on this request (a bug: please report it)",
            ))),
        }
    }
}

fn json_response(status: u16, body: &Value) -> Response {
    let mut response = Response::new(Body::from(
        serde_json::to_vec(body).expect("JSON serializes"),
    ));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn respond(answer: Answer) -> Response {
    match answer {
        Ok(reply) => json_response(reply.status, &reply.body),
        Err(failure) => json_response(failure.status, &failure.body()),
    }
}

/// The body of `operation` as JSON, checked against the spec's schema for it: a Feathers 400
/// naming the field before any rule runs or any state changes.
fn checked(operation: &str, body: &Bytes) -> Result<Value, Failure> {
    let body = body_json(body)?;
    validate::request(operation, &body)?;
    Ok(body)
}

fn body_json(body: &Bytes) -> Result<Value, Failure> {
    serde_json::from_slice(body)
        .map_err(|e| Failure::bad_request(format!("The body is not valid JSON: {e}")))
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/events", get(list_events))
        .route("/accesses", post(create_access))
        .route("/users", post(create_user))
        .route("/users/{id}", patch(update_user))
        .route("/visits", post(create_visit))
        .route("/communityContractors", post(create_contractor))
        .route("/communityContractors/{id}", patch(update_contractor))
        .route("/permits", post(create_permit))
        .route("/permits/{id}", get(get_permit).patch(update_permit))
        .route("/passes/{id}", patch(update_pass))
        .route("/public/{*path}", get(public_file))
        .route(
            "/_simulator/contractors/{id}/approve",
            post(control::approve_contractor),
        )
        .route(
            "/_simulator/permits/{id}/details",
            post(control::permit_details),
        )
        .route(
            "/_simulator/permits/{id}/approve",
            post(control::approve_permit),
        )
        .route("/_simulator/scan", post(control::scan))
        .route("/_simulator/clock/advance", post(control::advance))
        .route("/_simulator/events", get(control::events))
        .route("/_simulator/deliveries", get(control::deliveries))
        .merge(super::dashboard::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(shared.clone(), gatekeeper))
        .with_state(shared)
}

type S = State<Arc<Shared>>;

async fn list_events(State(s): S, RawQuery(query): RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    s.answer(|r| r.list_events(&pairs))
}

async fn create_access(State(s): S, body: Bytes) -> Response {
    match checked("createQrAccess", &body) {
        Ok(body) => s.answer(|r| r.create_access(&body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn create_user(State(s): S, body: Bytes) -> Response {
    match checked("createPropertyManager", &body) {
        Ok(body) => s.answer(|r| r.create_user(&body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn update_user(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
    match checked("updatePropertyManager", &body) {
        Ok(body) => s.answer(|r| r.update_user(&id, &body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn create_visit(State(s): S, body: Bytes) -> Response {
    // The documentation's own messages first, then the schema.
    let body = body_json(&body).and_then(|body| {
        Records::nfc_visit_documented_checks(&body)?;
        validate::request("createExternalNfcVisit", &body)?;
        Ok(body)
    });
    match body {
        Ok(body) => s.answer(|r| r.create_visit(&body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn create_contractor(State(s): S, body: Bytes) -> Response {
    match checked("createContractor", &body) {
        Ok(body) => s.answer(|r| r.create_contractor(&body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn update_contractor(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
    match checked("updateContractor", &body) {
        Ok(body) => s.answer(|r| r.update_contractor(&id, &body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn create_permit(State(s): S, body: Bytes) -> Response {
    match checked("createPermit", &body) {
        Ok(body) => s.answer(|r| r.create_permit(&body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn get_permit(State(s): S, Path(id): Path<String>) -> Response {
    s.answer(|r| r.get_permit(&id))
}

async fn update_permit(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
    match checked("updatePermit", &body) {
        Ok(body) => s.answer(|r| r.update_permit(&id, &body)),
        Err(failure) => respond(Err(failure)),
    }
}

async fn update_pass(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
    match checked("updatePass", &body) {
        Ok(body) => s.answer(|r| r.update_pass(&id, &body)),
        Err(failure) => respond(Err(failure)),
    }
}

/// Serves a stored file. Nothing from the simulator's origin may run as a page of it (a page
/// there could call the dashboard's hooks): only [`INLINE_TYPES`] are served as what they are;
/// anything else, SVG and HTML included, is an `application/octet-stream` attachment. Every
/// answer carries `nosniff` and a CSP sandbox with no sources.
async fn public_file(State(s): S, Path(path): Path<String>) -> Response {
    let stored = {
        let records = s.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.files.get(&path).cloned()
    };
    let mut response = match stored {
        Some((mime, bytes)) => {
            let mut response = Response::new(Body::from(bytes));
            let headers = response.headers_mut();
            match inline_type(&mime) {
                Some(inline) => {
                    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(inline));
                }
                None => {
                    headers.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    );
                    headers.insert(
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_static("attachment"),
                    );
                }
            }
            response
        }
        None => respond(Err(Failure::not_found("File not found"))),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PUBLIC_FILE_POLICY),
    );
    response
}

/// The media types a stored file is served as, inline; any other is an attachment.
pub(crate) const INLINE_TYPES: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

/// The policy of every `/public/` answer: no script, no plugin, no fetch, a unique origin.
const PUBLIC_FILE_POLICY: &str = "sandbox; default-src 'none'";

/// The allowed inline type that `mime` names (case and parameters aside), if any.
fn inline_type(mime: &str) -> Option<&'static str> {
    let essence = mime.split(';').next().unwrap_or("").trim();
    INLINE_TYPES
        .into_iter()
        .find(|allowed| allowed.eq_ignore_ascii_case(essence))
}

async fn not_found() -> Response {
    respond(Err(Failure::not_found("Page not found")))
}

async fn method_not_allowed() -> Response {
    respond(Err(Failure::new(405, "Method not allowed")))
}

fn authorized(shared: &Shared, request: &Request) -> bool {
    let headers = request.headers();
    let key = shared.api_key.as_bytes();
    if headers.get("x-api-key").map(HeaderValue::as_bytes) == Some(key) {
        return true;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|v| v.as_bytes() == key)
}

/// Faults, then the API key, then the route; every API request and its answer is recorded.
async fn gatekeeper(State(shared): S, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/public/") {
        return next.run(request).await;
    }
    if path.starts_with("/_simulator/") {
        if !shared.control_api {
            return respond(Err(Failure::not_found("Page not found")));
        }
        return handle(&shared, request, next).await;
    }
    // Only API requests are logged: they alone need their method and URI kept.
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let fault = shared
        .faults
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front();
    let response = match &fault {
        Some(Fault::ServerError) => respond(Err(Failure::new(500, "Injected server error"))),
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut response = respond(Err(Failure::new(429, "Too many requests")));
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            handle(&shared, request, next).await
        }
        Some(Fault::ServerErrorAfterEffect) => {
            let _ = handle(&shared, request, next).await;
            respond(Err(Failure::new(500, "Injected server error")))
        }
        None => handle(&shared, request, next).await,
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let status = parts.status.as_u16();
    shared
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(&method, &uri, status, &bytes, fault);
    Response::from_parts(parts, Body::from(bytes)).into_response()
}

/// The largest request body the simulator reads: 1 MiB (a base64 NOC or trade licence fits).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

async fn handle(shared: &Shared, request: Request, next: Next) -> Response {
    if !authorized(shared, &request) && !super::dashboard::opens_without_key(shared, &request) {
        return respond(Err(Failure::new(401, "Invalid API key")));
    }
    let response = next.run(request).await;
    // axum's body limit answers in plain text; the simulator answers as Buzz-In would.
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return respond(Err(Failure::new(
            413,
            format!("The request body is larger than {BODY_LIMIT} bytes"),
        )));
    }
    response
}

/// The control API of a standalone simulator (`buzzin simulate`): the dashboard, the gates and
/// the clock over HTTP, under `/_simulator/`.
mod control {
    use super::*;
    use crate::{GateDirection, PermitDetails, SimulatorError};
    use buzzin::models::{ContractorId, PermitId, PropertyId};

    fn hook_failure(error: SimulatorError) -> Failure {
        match error {
            SimulatorError::NotFound { .. } => Failure::not_found(error.to_string()),
            SimulatorError::InvalidState(message) => Failure::bad_request(message),
        }
    }

    fn reply<T: serde::Serialize>(value: &T) -> Response {
        json_response(200, &serde_json::to_value(value).expect("models serialize"))
    }

    fn text(body: &Value, field: &str) -> Option<String> {
        body.get(field).and_then(Value::as_str).map(str::to_owned)
    }

    pub async fn approve_contractor(State(s): S, Path(id): Path<String>) -> Response {
        let mut records = s.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.tick();
        match records.approve_contractor_hook(&ContractorId::new(id)) {
            Ok(contractor) => reply(&contractor),
            Err(e) => respond(Err(hook_failure(e))),
        }
    }

    pub async fn permit_details(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
        // No body at all means `{}`: the typical details.
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            Ok(Value::Object(serde_json::Map::new()))
        } else {
            body_json(&body)
        };
        let body = match body {
            Ok(body) => body,
            Err(failure) => return respond(Err(failure)),
        };
        let mut details = PermitDetails::new();
        if let Some(time) = text(&body, "timeIn") {
            details = details.time_in(time);
        }
        if let Some(time) = text(&body, "timeOut") {
            details = details.time_out(time);
        }
        if let (Some(name), Some(contact)) = (
            text(&body, "representativeName"),
            text(&body, "representativeContact"),
        ) {
            details = details.representative(name, contact);
        }
        for employee in body
            .get("employees")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = employee
                .as_str()
                .or_else(|| employee.get("name").and_then(Value::as_str));
            if let Some(name) = name {
                details = details.employee(name);
            }
        }
        if body.as_object().is_some_and(|o| o.is_empty()) {
            details = PermitDetails::typical();
        }
        let mut records = s.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.tick();
        match records.fill_permit_details(&PermitId::new(id), details) {
            Ok(permit) => reply(&permit),
            Err(e) => respond(Err(hook_failure(e))),
        }
    }

    pub async fn approve_permit(State(s): S, Path(id): Path<String>) -> Response {
        let mut records = s.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.tick();
        match records.approve_permit(&PermitId::new(id)) {
            Ok(permit) => reply(&permit),
            Err(e) => respond(Err(hook_failure(e))),
        }
    }

    pub async fn scan(State(s): S, body: Bytes) -> Response {
        let body = match body_json(&body) {
            Ok(body) => body,
            Err(failure) => return respond(Err(failure)),
        };
        let Some(code) = text(&body, "accessCode") else {
            return respond(Err(Failure::bad_request("`accessCode` is required")));
        };
        let direction = match text(&body, "direction").as_deref() {
            None | Some("entry") => GateDirection::Entry,
            Some("exit") => GateDirection::Exit,
            Some(other) => {
                return respond(Err(Failure::bad_request(format!(
                    "`direction` must be entry or exit, not `{other}`"
                ))))
            }
        };
        let mut records = s.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.tick();
        let property = text(&body, "propertyId").map(PropertyId::new);
        let outcome = match &property {
            Some(property) => records.scan(&code, Some((property, direction))),
            None if direction == GateDirection::Exit => {
                // The exit of the pass's own property.
                let own = records.permit_of_code(&code).and_then(|p| p.property_id);
                match own {
                    Some(own) => records.scan(&code, Some((&own, direction))),
                    None => records.scan(&code, None),
                }
            }
            None => records.scan(&code, None),
        };
        match outcome {
            Ok(scan) => json_response(
                200,
                &serde_json::json!({
                    "permitId": scan.permit_id,
                    "direction": if scan.direction == GateDirection::Exit { "exit" } else { "entry" },
                    "first": scan.first,
                }),
            ),
            Err(refusal) => {
                let mut failure = Failure::new(403, refusal.to_string());
                failure.errors = Some(serde_json::json!({ "reason": format!("{refusal:?}") }));
                respond(Err(failure))
            }
        }
    }

    pub async fn advance(State(s): S, body: Bytes) -> Response {
        let body = match body_json(&body) {
            Ok(body) => body,
            Err(failure) => return respond(Err(failure)),
        };
        let Some(ms) = body.get("ms").and_then(Value::as_u64) else {
            return respond(Err(Failure::bad_request(
                "`ms` (milliseconds, a non-negative integer) is required",
            )));
        };
        let mut records = s.records.lock().unwrap_or_else(PoisonError::into_inner);
        if !records.clock.advance(Duration::from_millis(ms)) {
            records.tick();
            return respond(Err(Failure::bad_request(
                "`ms` moves the clock past 9999-12-31T23:59:59.999Z, the last instant it shows; \
                 it stopped there",
            )));
        }
        records.tick();
        json_response(200, &serde_json::json!({ "now": records.now() }))
    }

    pub async fn events(State(s): S) -> Response {
        let records = s.records.lock().unwrap_or_else(PoisonError::into_inner);
        reply(&records.outbox.events)
    }

    pub async fn deliveries(State(s): S) -> Response {
        let attempts = s
            .attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .all();
        let shown: Vec<Value> = attempts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "deliveryId": a.delivery_id,
                    "eventId": a.event_id,
                    "event": a.event.as_str(),
                    "url": a.url,
                    "attempt": a.attempt,
                    "outcome": match &a.outcome {
                        crate::DeliveryOutcome::Status(code) => serde_json::json!({"status": code}),
                        crate::DeliveryOutcome::Failed(e) => serde_json::json!({"error": e}),
                    },
                })
            })
            .collect();
        json_response(200, &Value::Array(shown))
    }
}
