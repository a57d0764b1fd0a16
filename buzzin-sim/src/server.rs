//! The HTTP face of the simulator: the API routes (one per operation of the spec, from the
//! generated operations table), the `/public/` files, the gatekeeper (injected faults, the API
//! key, the request log), and the router that puts them together with the control hooks and the
//! dashboard.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawPathParams, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, on, MethodFilter};
use axum::Router;
use serde_json::Value;

use crate::cassette::{Player, Recorder};
use crate::generated::operations::{self, HttpMethod, Operation};
use crate::log::Fault;
use crate::shared::{body_json, json_answer, respond, Shared, Upstream};
use crate::state::{Answer, Failure, State as Records};
use crate::validate;
use crate::{control, dashboard};

/// What an API route hands its rule: the path's `{id}`, the query's pairs, the checked body.
struct Call {
    id: String,
    query: Vec<(String, String)>,
    body: Value,
}

/// A check of a request body.
type Check = fn(&Value) -> Result<(), Failure>;

/// How one operation is answered.
struct Route {
    /// The spec's operation: its id, method and path come from the generated table.
    operation: Operation,
    /// A check of the raw body before the schema's (the documentation's own messages first).
    first: Option<Check>,
    /// The rule, run on the records.
    rule: fn(&mut Records, &Call) -> Answer,
}

/// Every API route: one per operation of the generated table (a test holds the two equal).
const ROUTES: [Route; 11] = [
    Route {
        operation: operations::LIST_EVENTS,
        first: None,
        rule: |r, c| r.list_events(&c.query),
    },
    Route {
        operation: operations::CREATE_QR_ACCESS,
        first: None,
        rule: |r, c| r.create_access(&c.body),
    },
    Route {
        operation: operations::CREATE_PROPERTY_MANAGER,
        first: None,
        rule: |r, c| r.create_user(&c.body),
    },
    Route {
        operation: operations::UPDATE_PROPERTY_MANAGER,
        first: None,
        rule: |r, c| r.update_user(&c.id, &c.body),
    },
    Route {
        operation: operations::CREATE_EXTERNAL_NFC_VISIT,
        first: Some(|body| Records::nfc_visit_documented_checks(body).map(|_| ())),
        rule: |r, c| r.create_visit(&c.body),
    },
    Route {
        operation: operations::CREATE_CONTRACTOR,
        first: None,
        rule: |r, c| r.create_contractor(&c.body),
    },
    Route {
        operation: operations::UPDATE_CONTRACTOR,
        first: None,
        rule: |r, c| r.update_contractor(&c.id, &c.body),
    },
    Route {
        operation: operations::CREATE_PERMIT,
        first: None,
        rule: |r, c| r.create_permit(&c.body),
    },
    Route {
        operation: operations::GET_PERMIT,
        first: None,
        rule: |r, c| r.get_permit(&c.id),
    },
    Route {
        operation: operations::UPDATE_PERMIT,
        first: None,
        rule: |r, c| r.update_permit(&c.id, &c.body),
    },
    Route {
        operation: operations::UPDATE_PASS,
        first: None,
        rule: |r, c| r.update_pass(&c.id, &c.body),
    },
];

/// Whether an operation takes a request body (its schema is then checked).
fn has_body(operation: &Operation) -> bool {
    operation.method != HttpMethod::Get
}

fn method_filter(method: HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Patch => MethodFilter::PATCH,
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut api = Router::new();
    for (index, route) in ROUTES.iter().enumerate() {
        let handler = move |State(s): S,
                            params: RawPathParams,
                            RawQuery(query): RawQuery,
                            body: Bytes| async move {
            api_call(&s, &ROUTES[index], &params, query, &body)
        };
        api = api.route(
            route.operation.path,
            on(method_filter(route.operation.method), handler),
        );
    }
    api.route("/public/{*path}", get(public_file))
        .merge(control::router(operation_ids()))
        .merge(dashboard::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(shared.clone(), gatekeeper))
        .with_state(shared)
}

type S = State<Arc<Shared>>;

/// One API request: the body read as JSON and checked (the route's own check, then the spec's
/// schema) before any rule runs or any state changes, then the rule, all on the guarded path.
fn api_call(
    shared: &Shared,
    route: &Route,
    params: &RawPathParams,
    query: Option<String>,
    body: &Bytes,
) -> Response {
    let operation = &route.operation;
    let body = if has_body(operation) {
        match body_json(body) {
            Ok(body) => body,
            Err(failure) => return respond(Err(failure)),
        }
    } else {
        Value::Null
    };
    let call = Call {
        id: params
            .iter()
            .find(|(name, _)| *name == "id")
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default(),
        query: url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        body,
    };
    shared.answer(|records| {
        if has_body(operation) {
            if let Some(first) = route.first {
                first(&call.body)?;
            }
            validate::request(operation, &call.body)?;
        }
        (route.rule)(records, &call)
    })
}

/// Serves a stored file. Nothing from the simulator's origin may run as a page of it (a page
/// there could call the dashboard's hooks): only [`INLINE_TYPES`] are served as what they are;
/// anything else, SVG and HTML included, is an `application/octet-stream` attachment. Every
/// answer carries `nosniff` and a CSP sandbox with no sources.
async fn public_file(State(s): S, Path(path): Path<String>) -> Response {
    let stored = s.guarded(false, |records| records.files.get(&path).cloned());
    let mut response = match stored {
        Err(failure) => respond(Err(failure)),
        Ok(None) => respond(Err(Failure::not_found("File not found"))),
        Ok(Some((mime, bytes))) => {
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

/// Whether a request carries an API key at all (`x-api-key`, or an `Authorization` header):
/// a missing key and a wrong one get different messages.
fn sends_a_key(request: &Request) -> bool {
    let headers = request.headers();
    headers.contains_key("x-api-key") || headers.contains_key(header::AUTHORIZATION)
}

/// The message of the `401` a request without any key gets. Assumed: Buzz-In's documentation
/// (REFERENCE A.1) names only "`401 Unauthorized` for a bad key", not the wording of a missing
/// one; this is the simulator's own.
pub(crate) const MISSING_KEY_MESSAGE: &str =
    "No API key: send it as `x-api-key: <key>` or `Authorization: Bearer <key>`";

/// The message of the `401` a wrong key gets.
pub(crate) const WRONG_KEY_MESSAGE: &str = "Invalid API key";

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

/// The simulator's own header that forces one answer: `x-buzzin-sim-answer: 503` answers that
/// request with a Feathers `503` and no effect. The SDK never sends it (no Buzz-In header has
/// this name); a test sends it through [`buzzin::Client::request`]'s `header`, or any HTTP client.
pub(crate) const FORCE_ANSWER_HEADER: &str = "x-buzzin-sim-answer";

/// The operation id of an API request, from the routes' methods and paths.
pub(crate) fn operation_of(method: &axum::http::Method, path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .map(|r| r.operation)
        .find(|o| {
            let wanted = match o.method {
                HttpMethod::Get => axum::http::Method::GET,
                HttpMethod::Post => axum::http::Method::POST,
                HttpMethod::Patch => axum::http::Method::PATCH,
            };
            wanted == method && crate::faults::path_matches(o.path, path)
        })
        .map(|o| o.id)
}

/// The spec's operation ids, in the routes' order.
pub(crate) fn operation_ids() -> Vec<&'static str> {
    ROUTES.iter().map(|r| r.operation.id).collect()
}

/// The fault a request gets: its `x-buzzin-sim-answer` header (a `400` when the header is not a
/// status from 400 to 599), else the next [`fail_next`](crate::Simulator::fail_next) fault,
/// else the first fault rule that fires.
fn fault_of(shared: &Shared, request: &Request) -> Result<Option<Fault>, Failure> {
    if let Some(value) = request.headers().get(FORCE_ANSWER_HEADER) {
        return match value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
        {
            Some(status) if (400..=599).contains(&status) => Ok(Some(Fault::Status(status))),
            _ => Err(Failure::bad_request(format!(
                "`{FORCE_ANSWER_HEADER}` must be a status from 400 to 599"
            ))),
        };
    }
    let queued = shared
        .faults
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop_front();
    if queued.is_some() {
        return Ok(queued);
    }
    let mut rules = shared
        .fault_rules
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if rules.is_empty() {
        return Ok(None);
    }
    let path = request.uri().path();
    Ok(rules.fire(operation_of(request.method(), path), path))
}

/// A body that fails at once: hyper then drops the connection without an answer.
struct ResetBody;

impl futures_core::Stream for ResetBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))))
    }
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
    let fault = match fault_of(&shared, &request) {
        Ok(fault) => fault,
        Err(refusal) => return respond(Err(refusal)),
    };
    let response = match &fault {
        Some(Fault::ServerError) => respond(Err(Failure::new(500, "Injected server error"))),
        Some(Fault::Status(status)) => respond(Err(Failure::new(
            *status,
            format!("Injected {status} (a simulator fault)"),
        ))),
        Some(Fault::Reset) => {
            shared
                .requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(&method, &uri, 0, b"", fault);
            let mut response = Response::new(Body::from_stream(ResetBody));
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
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
            serve(&shared, request, next).await
        }
        Some(Fault::ServerErrorAfterEffect) => {
            let _ = serve(&shared, request, next).await;
            respond(Err(Failure::new(500, "Injected server error")))
        }
        None => serve(&shared, request, next).await,
    };
    let (mut parts, body) = response.into_parts();
    let mut bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if shared.drift {
        let operation = operation_of(&method, uri.path());
        if let Some((status, drifted)) = drifted(operation, parts.status.as_u16(), &bytes) {
            parts.status = StatusCode::from_u16(status).unwrap_or(parts.status);
            parts.headers.remove(header::CONTENT_LENGTH);
            bytes = Bytes::from(drifted);
        }
    }
    let status = parts.status.as_u16();
    shared
        .requests
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(&method, &uri, status, &bytes, fault);
    Response::from_parts(parts, Body::from(bytes)).into_response()
}

/// An API request answered: by the records, or by the upstream or cassette when recording or
/// replaying.
async fn serve(shared: &Shared, request: Request, next: Next) -> Response {
    match &shared.upstream {
        None => handle(shared, request, next).await,
        Some(Upstream::Record { recorder, http }) => forward(recorder, http, request).await,
        Some(Upstream::Replay(player)) => replay(player, request).await,
    }
}

/// The headers a recording simulator forwards to its upstream (and never records).
const FORWARDED: [header::HeaderName; 4] = [
    header::HeaderName::from_static("x-api-key"),
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
];

/// Forwards an API request to the upstream as it came (its key included), answers what the
/// upstream answered, and records both, redacted (see `cassette`).
async fn forward(recorder: &Recorder, http: &reqwest::Client, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return respond(Err(Failure::new(
            413,
            format!("The request body is larger than {BODY_LIMIT} bytes"),
        )));
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let target = format!("{}{path}", recorder.upstream.as_str().trim_end_matches('/'));
    let mut out = http
        .request(parts.method.clone(), target)
        .body(body.clone());
    let mut secrets = Vec::new();
    for name in &FORWARDED {
        if let Some(value) = parts.headers.get(name) {
            out = out.header(name, value);
            if *name == "x-api-key" || *name == header::AUTHORIZATION {
                if let Ok(text) = value.to_str() {
                    let text = text.trim();
                    secrets.push(
                        text.strip_prefix("Bearer ")
                            .unwrap_or(text)
                            .trim()
                            .to_owned(),
                    );
                }
            }
        }
    }
    let answer = match out.send().await {
        Ok(answer) => answer,
        // Without its URL: the upstream's may hold a credential.
        Err(e) => {
            return respond(Err(Failure::new(
                502,
                format!("The upstream did not answer: {}", e.without_url()),
            )))
        }
    };
    let status = answer.status().as_u16();
    let retry_after = answer.headers().get(header::RETRY_AFTER).cloned();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let answered = answer.bytes().await.unwrap_or_default();
    let mut request_body = crate::cassette::body_value(&body);
    crate::cassette::redact(&mut request_body, &secrets);
    let mut response_body = crate::cassette::body_value(&answered);
    crate::cassette::redact(&mut response_body, &secrets);
    let mut shown_path = Value::from(path);
    crate::cassette::redact(&mut shown_path, &secrets);
    let recorded = recorder.record(crate::cassette::Interaction {
        method: parts.method.to_string(),
        path: shown_path.as_str().unwrap_or_default().to_owned(),
        request: request_body,
        status,
        response: response_body,
    });
    if let Err(e) = recorded {
        eprintln!("buzzin-sim: cannot write the cassette: {e}");
    }
    let mut response = Response::new(Body::from(answered));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    if let Some(value) = content_type {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = retry_after {
        headers.insert(header::RETRY_AFTER, value);
    }
    response
}

/// Answers an API request from the cassette: the recorded answer to the same method, path
/// (with its query) and body, or a `501` that says the cassette has none.
async fn replay(player: &Player, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return respond(Err(Failure::new(
            413,
            format!("The request body is larger than {BODY_LIMIT} bytes"),
        )));
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    match player.answer(parts.method.as_str(), path, &body) {
        Some((status, answer)) => json_answer(status, &answer),
        None => respond(Err(Failure::new(
            501,
            format!(
                "The cassette has no answer for {} {path} with this body",
                parts.method
            ),
        ))),
    }
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

/// The largest request body the simulator reads: 1 MiB (a base64 NOC or trade licence fits).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

async fn handle(shared: &Shared, request: Request, next: Next) -> Response {
    if !authorized(shared, &request) && !dashboard::opens_without_key(shared, &request) {
        let message = if sends_a_key(&request) {
            WRONG_KEY_MESSAGE
        } else {
            MISSING_KEY_MESSAGE
        };
        return respond(Err(Failure::new(401, message)));
    }
    let changes = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let response = next.run(request).await;
    if changes {
        shared.changed();
    }
    // axum's body limit answers in plain text; the simulator answers as Buzz-In would.
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return respond(Err(Failure::new(
            413,
            format!("The request body is larger than {BODY_LIMIT} bytes"),
        )));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{has_body, ROUTES};

    /// The operation ids of the generated table, read from its source: every `id: "…"` field.
    fn generated_operation_ids() -> BTreeSet<&'static str> {
        include_str!("generated/operations.rs")
            .lines()
            .filter_map(|line| line.trim().strip_prefix("id: \""))
            .filter_map(|rest| rest.strip_suffix("\","))
            .collect()
    }

    #[test]
    fn every_operation_of_the_spec_has_a_route_and_every_route_an_operation() {
        let table = generated_operation_ids();
        assert_eq!(table.len(), 11, "{table:?}");
        let routed: BTreeSet<&str> = ROUTES.iter().map(|r| r.operation.id).collect();
        assert_eq!(routed.len(), ROUTES.len(), "an operation routed twice");
        let unrouted: Vec<_> = table.difference(&routed).collect();
        assert!(
            unrouted.is_empty(),
            "spec operations without a route: {unrouted:?}"
        );
        let unknown: Vec<_> = routed.difference(&table).collect();
        assert!(
            unknown.is_empty(),
            "routes naming no spec operation: {unknown:?}"
        );
    }

    #[test]
    fn every_operation_with_a_body_has_a_request_schema() {
        let schemas: serde_json::Value =
            serde_json::from_str(include_str!("generated/request_schemas.json")).unwrap();
        for route in ROUTES.iter().filter(|r| has_body(&r.operation)) {
            assert!(
                schemas["operations"].get(route.operation.id).is_some(),
                "{} has no request schema",
                route.operation.id
            );
        }
    }
}
