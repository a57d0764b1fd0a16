//! The control API of a standalone simulator (`buzzin simulate`): the hooks of
//! [`Simulator`](crate::Simulator) over HTTP, in the nested `/_simulator` router. Every hook runs on the
//! records through [`Shared::answer`], the guarded path of the API routes: a panic answers 500
//! for that request alone.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use buzzin::models::{ContractorId, PermitId, PropertyId};
use serde_json::Value;

use crate::faults::RuleBody;
use crate::seed::GateDirection;
use crate::shared::{body_json, json_answer, respond, Shared};
use crate::state::{Answer, Failure, PermitDetails, SimulatorError};

type S = State<Arc<Shared>>;

/// The control routes (the dashboard's own are in `dashboard`); `operations` are the spec's
/// operation ids, which a fault rule may name.
pub(crate) fn router(operations: Vec<&'static str>) -> Router<Arc<Shared>> {
    let operations = Arc::new(operations);
    Router::new()
        .route(
            "/faults",
            get(list_faults)
                .post(move |s: S, body: Bytes| add_fault(s, body, operations.clone()))
                .delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
        .route(
            "/snapshot",
            get(export_snapshot)
                .put(import_snapshot)
                .layer(axum::extract::DefaultBodyLimit::max(SNAPSHOT_LIMIT)),
        )
        .route("/contractors/{id}/approve", post(approve_contractor))
        .route("/permits/{id}/details", post(permit_details))
        .route("/permits/{id}/approve", post(approve_permit))
        .route("/scan", post(scan))
        .route("/clock/advance", post(advance))
        .route("/events", get(events))
        .route("/deliveries", get(deliveries))
}

fn hook_failure(error: SimulatorError) -> Failure {
    match error {
        SimulatorError::NotFound { .. } => Failure::not_found(error.to_string()),
        SimulatorError::InvalidState(message) => Failure::bad_request(message),
    }
}

/// A hook's outcome as the rules' answer: `200` with the record, or the refusal.
fn reply<T: serde::Serialize>(outcome: Result<T, SimulatorError>) -> Answer {
    match outcome {
        Ok(value) => Ok(crate::state::Reply::json(200, &value)),
        Err(e) => Err(hook_failure(e)),
    }
}

fn text(body: &Value, field: &str) -> Option<String> {
    body.get(field).and_then(Value::as_str).map(str::to_owned)
}

pub(crate) async fn approve_contractor(State(s): S, Path(id): Path<String>) -> Response {
    let id = ContractorId::new(id);
    s.answer(|records| reply(records.approve_contractor_hook(&id)))
}

pub(crate) async fn permit_details(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
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
    let id = PermitId::new(id);
    s.answer(|records| reply(records.fill_permit_details(&id, details)))
}

pub(crate) async fn approve_permit(State(s): S, Path(id): Path<String>) -> Response {
    let id = PermitId::new(id);
    s.answer(|records| reply(records.approve_permit(&id)))
}

pub(crate) async fn scan(State(s): S, body: Bytes) -> Response {
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
    let property = text(&body, "propertyId").map(PropertyId::new);
    s.answer(|records| {
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
            Ok(scan) => Ok(crate::state::Reply::json(
                200,
                &serde_json::json!({
                    "permitId": scan.permit_id,
                    "direction": if scan.direction == GateDirection::Exit { "exit" } else { "entry" },
                    "first": scan.first,
                }),
            )),
            Err(refusal) => {
                let mut failure = Failure::new(403, refusal.to_string());
                failure.errors = Some(serde_json::json!({ "reason": format!("{refusal:?}") }));
                Err(failure)
            }
        }
    })
}

pub(crate) async fn advance(State(s): S, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(body) => body,
        Err(failure) => return respond(Err(failure)),
    };
    let Some(ms) = body.get("ms").and_then(Value::as_u64) else {
        return respond(Err(Failure::bad_request(
            "`ms` (milliseconds, a non-negative integer) is required",
        )));
    };
    // The clock moves first, then the rules catch up with it (no tick before).
    let answer = s.guarded(false, |records| {
        let moved = records.clock.advance(Duration::from_millis(ms));
        records.tick();
        if moved {
            Ok(crate::state::Reply::json(
                200,
                &serde_json::json!({ "now": records.now() }),
            ))
        } else {
            Err(Failure::bad_request(
                "`ms` moves the clock past 9999-12-31T23:59:59.999Z, the last instant it shows; \
                 it stopped there",
            ))
        }
    });
    respond(answer.and_then(|answer| answer))
}

pub(crate) async fn events(State(s): S) -> Response {
    s.answer(|records| Ok(crate::state::Reply::json(200, &records.outbox.events)))
}

pub(crate) async fn deliveries(State(s): S) -> Response {
    let attempts = s
        .attempts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .all();
    json_answer(
        200,
        &serde_json::to_value(attempts).expect("attempts serialize"),
    )
}

fn fault_list(s: &Shared) -> Value {
    let rules = s
        .fault_rules
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .list();
    Value::Array(rules.iter().map(|r| r.to_json()).collect())
}

/// `GET /_simulator/faults`: the rules in force, oldest first.
pub(crate) async fn list_faults(State(s): S) -> Response {
    json_answer(200, &fault_list(&s))
}

/// `POST /_simulator/faults`: adds a rule (see `RuleBody`); `201` with the rule as listed.
pub(crate) async fn add_fault(
    State(s): S,
    body: Bytes,
    operations: Arc<Vec<&'static str>>,
) -> Response {
    let body = match body_json(&body) {
        Ok(body) => body,
        Err(failure) => return respond(Err(failure)),
    };
    let rule = serde_json::from_value::<RuleBody>(body)
        .map_err(|e| format!("Invalid fault rule: {e}"))
        .and_then(|b| {
            b.into_rule(&operations)
                .map_err(|e| format!("Invalid fault rule: {e}"))
        });
    let rule = match rule {
        Ok(rule) => rule,
        Err(message) => return respond(Err(Failure::bad_request(message))),
    };
    let mut rules = s.fault_rules.lock().unwrap_or_else(PoisonError::into_inner);
    let id = match rules.add(rule) {
        Ok(id) => id,
        Err(message) => {
            return respond(Err(Failure::bad_request(format!(
                "Invalid fault rule: {message}"
            ))))
        }
    };
    let shown = rules
        .list()
        .into_iter()
        .find(|r| r.id == id)
        .map(|r| r.to_json())
        .unwrap_or(Value::Null);
    json_answer(201, &shown)
}

/// `DELETE /_simulator/faults/{id}`: removes a rule; `404` when none has that id.
pub(crate) async fn remove_fault(State(s): S, Path(id): Path<String>) -> Response {
    let removed = id.parse::<u64>().ok().is_some_and(|id| {
        s.fault_rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
    });
    if removed {
        json_answer(200, &fault_list(&s))
    } else {
        respond(Err(Failure::not_found(format!(
            "No fault rule has the id `{id}`"
        ))))
    }
}

/// `DELETE /_simulator/faults`: removes every rule (and the faults queued by `fail_next`).
pub(crate) async fn clear_faults(State(s): S) -> Response {
    s.fault_rules
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    s.faults
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    json_answer(200, &Value::Array(Vec::new()))
}

/// The largest snapshot `PUT /_simulator/snapshot` reads: 256 MiB.
pub(crate) const SNAPSHOT_LIMIT: usize = 256 * 1024 * 1024;

/// `GET /_simulator/snapshot`: the whole state (see `Simulator::export_state`), as a download.
pub(crate) async fn export_snapshot(State(s): S) -> Response {
    let snapshot = match s.guarded(false, |records| records.snapshot()) {
        Ok(snapshot) => snapshot,
        Err(failure) => return respond(Err(failure)),
    };
    let headers = [
        (
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        ),
        (
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ),
        (
            axum::http::header::CONTENT_DISPOSITION,
            axum::http::HeaderValue::from_static("attachment; filename=\"buzzin-sim-state.json\""),
        ),
    ];
    axum::response::IntoResponse::into_response((headers, snapshot.to_bytes()))
}

/// `PUT /_simulator/snapshot`: replaces the state with a snapshot; `200` with how many
/// contractors and permits it holds, or a `400` that says why it was refused (nothing changes).
pub(crate) async fn import_snapshot(State(s): S, body: Bytes) -> Response {
    let snapshot = match crate::state::persist::Snapshot::parse(&body) {
        Ok(snapshot) => snapshot,
        Err(refused) => {
            return respond(Err(Failure::bad_request(format!(
                "Invalid snapshot: {}",
                refused.0
            ))))
        }
    };
    let (contractors, permits) = snapshot.counts();
    let answer = s.guarded(false, |records| records.restore(snapshot));
    match answer {
        Ok(Ok(())) => json_answer(
            200,
            &serde_json::json!({ "contractors": contractors, "permits": permits }),
        ),
        Ok(Err(refused)) => respond(Err(Failure::bad_request(format!(
            "Invalid snapshot: {}",
            refused.0
        )))),
        Err(failure) => respond(Err(failure)),
    }
}
