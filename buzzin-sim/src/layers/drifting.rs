//! Layer 7, drift (`--drift`): API answers changed as a drifting Buzz-In would give them, to
//! try [`drift`](crate::drift) and `buzzin check` out.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use crate::shared::Shared;
use crate::state::Failure;

/// The longest answer that drifts (the simulator's own answers are far shorter).
const DRIFT_LIMIT: usize = 16 * 1024 * 1024;

/// Runs an API request and, when the simulator drifts, changes its answer.
pub(crate) async fn layer(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    if !shared.drift || !super::is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let operation = crate::routes::operation_of(request.method(), request.uri().path());
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let Ok(mut bytes) = axum::body::to_bytes(body, DRIFT_LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Some((status, drifted)) = drifted(operation, parts.status.as_u16(), &bytes) {
        parts.status = StatusCode::from_u16(status).unwrap_or(parts.status);
        parts.headers.remove(header::CONTENT_LENGTH);
        bytes = Bytes::from(drifted);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// An answer as a drifting Buzz-In would give it (`--drift`): fields the spec does not
/// describe, enum values it does not list, and a status it does not document (`410` for an
/// unknown permit, where the spec says `404`). `None` leaves the answer as it is.
fn drifted(operation: Option<&str>, status: u16, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    match (operation, status) {
        (Some("getPermit"), 404) => {
            let gone = Failure::new(410, "Permit is gone (drift: an undocumented status)");
            return Some((410, gone.body().to_string().into_bytes()));
        }
        (Some("getPermit"), 200) => {
            value["approvalChain"] = serde_json::json!([{ "step": 1, "by": "community-admin" }]);
            value["permitType"] = Value::from("maintenance");
            if let Some(damac) = value.pointer_mut("/integrations/damac") {
                damac["sapReference"] = Value::from("SAP-000123");
            }
        }
        (Some("listEvents"), 200) => {
            let records = value.get_mut("data").and_then(Value::as_array_mut)?;
            for record in records.iter_mut() {
                record["deviceName"] = Value::from("Gate 3 (drift)");
            }
            records.push(serde_json::json!({
                "_id": "5f1d0000000000000000d21f",
                "visitType": "faceRecognition",
                "propertyId": "66e0000000000000000000a1",
                "createdAt": "2026-01-01T00:00:00.000Z",
            }));
            value["nextCursor"] = Value::from("drift-cursor-1");
        }
        (_, 200..=299) if value.is_object() => {
            value["simDrift"] = Value::from("a field the spec does not describe");
        }
        _ => return None,
    }
    Some((status, value.to_string().into_bytes()))
}
