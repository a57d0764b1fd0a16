//! The simulator's dashboard: a page at `/_simulator/` that shows the simulated community live
//! and plays the control hooks by button (embedded HTML, JavaScript and CSS: no build step,
//! nothing fetched from elsewhere, works offline).
//!
//! | Route | What |
//! |---|---|
//! | `GET /_simulator/`, `/_simulator/app.js`, `/_simulator/style.css` | the page (it carries no data) |
//! | `GET /_simulator/state` | what the page shows: clock, community, contractors, permits, events, deliveries, fault rules |
//! | `POST /_simulator/deliveries/{id}/redeliver` | [`Simulator::redeliver`](super::Simulator::redeliver) |
//! | `POST /_simulator/nfc/tap` with `{tag, resident}` | an external NFC visit by a seeded tag and resident |
//!
//! The page polls the snapshot and calls these routes and the other `/_simulator/` hooks
//! (`control`): its fault rules are `/_simulator/faults`, its Export and Import
//! `/_simulator/snapshot`. Who may call without the API key: [`opens_without_key`].

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::delivery::DeliveryAttempt;
use crate::seed::{SeedNfcDevice, SeedResident};
use crate::shared::{json_answer, respond, Shared};
use crate::state::{Failure, Reply, SimulatorError};

/// The header the page sends with every call. A page of another site cannot send it to the
/// simulator without a CORS preflight, which the simulator never grants.
pub(crate) const DASHBOARD_HEADER: &str = "x-buzzin-dashboard";

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("style.css");

/// The page's own files: they carry no data, so they are served without the API key.
const ASSETS: [&str; 3] = [
    "/_simulator/",
    "/_simulator/app.js",
    "/_simulator/style.css",
];

/// How many of the newest contractors, permits and events a snapshot shows.
const SHOWN: usize = 200;

/// How many of the newest delivery attempts a snapshot groups into deliveries.
const SHOWN_ATTEMPTS: usize = 1000;

/// What the page loads everything else under: scripts, styles, images and calls from the
/// simulator itself, images also as `data:` (the QR images); no framing, no inline script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page itself, at `/_simulator/` (a nested router's `/` would be `/_simulator` alone).
pub(crate) fn page() -> axum::routing::MethodRouter<Arc<Shared>> {
    get(|| async { asset("text/html; charset=utf-8", PAGE) })
}

/// The dashboard's routes under the nested `/_simulator` router: its files and its calls.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/state", get(snapshot))
        .route("/deliveries/{id}/redeliver", post(redeliver_hook))
        .route("/nfc/tap", post(nfc_tap))
}

/// Whether a request may reach a `/_simulator/` route without the API key:
///
/// - the page's own files, which carry no data;
/// - a call from the page (it sends [`DASHBOARD_HEADER`]) to a simulator bound to a loopback
///   address, addressed by a loopback name (`Host`, and an absolute-form target's authority,
///   are `127.0.0.1`, `[::1]` or `localhost` with at most a numeric port, so a page of another
///   site that rebinds its DNS name to `127.0.0.1` is refused).
///
/// Anything else needs the key, as every other route does. A simulator bound elsewhere
/// (`--host 0.0.0.0`) serves the page, which asks for the key and sends it with every call.
pub(crate) fn opens_without_key(shared: &Shared, request: &Request) -> bool {
    keyless(shared.loopback, request)
}

/// [`opens_without_key`] for a simulator bound to loopback or not.
fn keyless(loopback: bool, request: &Request) -> bool {
    let path = request.uri().path();
    if !path.starts_with("/_simulator/") {
        return false;
    }
    if request.method() == axum::http::Method::GET && ASSETS.contains(&path) {
        return true;
    }
    let headers = request.headers();
    // An absolute-form target's authority takes precedence over `Host` (RFC 9112 §3.2.2):
    // both must name loopback.
    let target_is_loopback = request
        .uri()
        .authority()
        .is_none_or(|authority| loopback_host(authority.as_str()));
    loopback
        && headers.contains_key(DASHBOARD_HEADER)
        && target_is_loopback
        && headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(loopback_host)
}

/// Whether an authority (a `Host` header, or an absolute-form target's) is a loopback name
/// with an empty or all-digit port: `127.0.0.1`, `localhost:8080`, `[::1]:`. Whatever else
/// follows the name is refused: `127.0.0.1:80@evil.com`, `[::1]evil.com`, `localhost:evil`.
fn loopback_host(host: &str) -> bool {
    let (is_loopback, port) = match host.strip_prefix('[') {
        Some(bracketed) => {
            let Some((name, rest)) = bracketed.split_once(']') else {
                return false;
            };
            let port = match rest.strip_prefix(':') {
                Some(port) => port,
                None if rest.is_empty() => "",
                None => return false,
            };
            let ip = name.parse::<std::net::Ipv6Addr>();
            (ip.is_ok_and(|ip| ip.is_loopback()), port)
        }
        None => {
            let (name, port) = host.split_once(':').unwrap_or((host, ""));
            let ip = name.parse::<std::net::Ipv4Addr>();
            let loopback =
                name.eq_ignore_ascii_case("localhost") || ip.is_ok_and(|ip| ip.is_loopback());
            (loopback, port)
        }
    };
    is_loopback && port.bytes().all(|b| b.is_ascii_digit())
}

/// Delivers `delivery_id` again (see [`Simulator::redeliver`](super::Simulator::redeliver)).
pub(crate) fn redeliver(shared: &Shared, delivery_id: &str) -> Result<(), SimulatorError> {
    let not_found = || SimulatorError::NotFound {
        kind: "delivery",
        id: delivery_id.to_owned(),
    };
    let last = shared
        .attempts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .rev()
        .find(|a| a.delivery_id == delivery_id)
        .cloned()
        .ok_or_else(not_found)?;
    // The attempts' lock is released before the records' is taken.
    match shared.guarded(false, |records| records.outbox.redeliver(&last)) {
        Ok(true) => Ok(()),
        Ok(false) => Err(not_found()),
        Err(_) => Err(SimulatorError::InvalidState(
            crate::shared::PANIC_MESSAGE.to_owned(),
        )),
    }
}

type S = State<Arc<Shared>>;

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    (headers, body).into_response()
}

fn failure(failure: Failure) -> Response {
    respond(Err(failure))
}

/// Everything the page shows, newest records last.
async fn snapshot(State(s): S) -> Response {
    let body = s.guarded(true, |records| {
        let seed = &records.seed;
        // The tags' secrets stay on the server (never serialized): the page names a tag, and
        // a resident, by its position.
        let tags: Vec<NumberedTag<'_>> = seed
            .nfc_devices
            .iter()
            .enumerate()
            .map(|(tag, record)| NumberedTag { tag, record })
            .collect();
        let residents: Vec<NumberedResident<'_>> = seed
            .residents
            .iter()
            .enumerate()
            .map(|(resident, record)| NumberedResident { resident, record })
            .collect();
        let (contractors, contractors_total) = records.newest_contractors(SHOWN);
        let contractors: Vec<Value> = contractors
            .into_iter()
            .map(|(contractor, state)| {
                let mut shown = serde_json::to_value(contractor).expect("models serialize");
                shown["state"] = json!(state.as_str());
                shown
            })
            .collect();
        let (permits, permits_total) = records.newest_permits(SHOWN);
        let events = &records.outbox.events;
        json!({
            "now": records.now(),
            "communityId": seed.community_id,
            "properties": seed.properties,
            "nfcTags": tags,
            "residents": residents,
            "contractors": contractors,
            "contractorsTotal": contractors_total,
            "permits": permits,
            "permitsTotal": permits_total,
            "events": events[events.len().saturating_sub(SHOWN)..],
            "eventsTotal": events.len(),
        })
    });
    let mut body = match body {
        Ok(body) => body,
        Err(refusal) => return failure(refusal),
    };
    let attempts: Vec<DeliveryAttempt> = {
        let log = s.attempts.lock().unwrap_or_else(PoisonError::into_inner);
        let mut newest: Vec<DeliveryAttempt> =
            log.iter().rev().take(SHOWN_ATTEMPTS).cloned().collect();
        newest.reverse();
        newest
    };
    body["deliveries"] = Value::Array(deliveries(&attempts));
    let faults = s
        .fault_rules
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .list();
    body["faults"] = Value::Array(faults.iter().map(|f| f.to_json()).collect());
    json_answer(200, &body)
}

/// An NFC tag with its position, which the page's Tap sends back:
/// `{"tag": 0, "propertyId": …, "direction": "entry"}`.
#[derive(serde::Serialize)]
struct NumberedTag<'a> {
    tag: usize,
    #[serde(flatten)]
    record: &'a SeedNfcDevice,
}

/// A resident with its position, which the page's Tap sends back:
/// `{"resident": 0, "documentId": …, …}`.
#[derive(serde::Serialize)]
struct NumberedResident<'a> {
    resident: usize,
    #[serde(flatten)]
    record: &'a SeedResident,
}

/// Attempts grouped by delivery, in the order of their first attempt, each in its one shape
/// (`DeliveryAttempt`'s JSON: a token header shows as `<redacted>`, so the page never receives
/// a destination's secret).
fn deliveries(attempts: &[DeliveryAttempt]) -> Vec<Value> {
    let mut order: Vec<Value> = Vec::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for a in attempts {
        let at = *position.entry(&a.delivery_id).or_insert_with(|| {
            order.push(json!({
                "deliveryId": a.delivery_id,
                "eventId": a.event_id,
                "event": a.event.as_str(),
                "url": a.url,
                "attempts": [],
            }));
            order.len() - 1
        });
        let mut attempt = serde_json::to_value(a).expect("attempts serialize");
        attempt["succeeded"] = json!(a.succeeded());
        if let Some(list) = order[at]["attempts"].as_array_mut() {
            list.push(attempt);
        }
    }
    order
}

async fn redeliver_hook(State(s): S, Path(id): Path<String>) -> Response {
    match redeliver(&s, &id) {
        Ok(()) => json_answer(202, &json!({ "deliveryId": id, "queued": true })),
        Err(e) => failure(Failure::not_found(e.to_string())),
    }
}

/// A seeded resident taps a seeded NFC tag: the external NFC visit its gate would send
/// (`POST /visits`), answered with the status and body Buzz-In gave the gate (a refusal is the
/// gate's outcome, not this call's, so it comes back as `200` with `status: 400`).
async fn nfc_tap(State(s): S, body: Bytes) -> Response {
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return failure(Failure::bad_request(format!(
                "The body is not valid JSON: {e}"
            )))
        }
    };
    let position = |field: &str| {
        body.get(field)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    };
    let (tag, resident) = (position("tag"), position("resident"));
    s.answer(|records| {
        let Some(tag) = tag.and_then(|i| records.seed.nfc_devices.get(i)) else {
            return Err(Failure::bad_request(format!(
                "`tag` must be the position of a seeded NFC tag (0 to {})",
                records.seed.nfc_devices.len().saturating_sub(1)
            )));
        };
        let Some(resident) = resident.and_then(|i| records.seed.residents.get(i)) else {
            return Err(Failure::bad_request(format!(
                "`resident` must be the position of a seeded resident (0 to {})",
                records.seed.residents.len().saturating_sub(1)
            )));
        };
        let visit = json!({
            "visitType": "externalNfc",
            "deviceSecret": tag.secret,
            "documentId": resident.document_id,
            "phone": resident.phone,
        });
        let (status, answer) = match records.create_visit(&visit) {
            Ok(reply) => (reply.status, reply.body),
            Err(refusal) => (refusal.status, refusal.body()),
        };
        Ok(Reply::json(
            200,
            &json!({ "status": status, "answer": answer }),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::{keyless, loopback_host};
    use axum::body::Body;
    use axum::extract::Request;

    fn request(method: &str, path: &str, host: &str, from_page: bool) -> Request {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", host);
        if from_page {
            request = request.header("x-buzzin-dashboard", "1");
        }
        request.body(Body::empty()).unwrap()
    }

    #[test]
    fn bound_to_loopback_the_page_and_its_calls_need_no_key() {
        let local = "127.0.0.1:8080";
        assert!(keyless(true, &request("GET", "/_simulator/", local, false)));
        assert!(keyless(
            true,
            &request("GET", "/_simulator/state", local, true)
        ));
        assert!(keyless(
            true,
            &request("POST", "/_simulator/scan", local, true)
        ));
        // Not from the page, or not to a loopback name, or not a dashboard route: the key.
        assert!(!keyless(
            true,
            &request("GET", "/_simulator/state", local, false)
        ));
        let rebound = "evil.example:8080";
        assert!(!keyless(
            true,
            &request("GET", "/_simulator/state", rebound, true)
        ));
        assert!(!keyless(true, &request("GET", "/permits/x", local, true)));
        // An absolute-form target names its own authority, which must be loopback too.
        assert!(keyless(
            true,
            &request("GET", "http://localhost:8080/_simulator/state", local, true)
        ));
        assert!(!keyless(
            true,
            &request("GET", "http://evil.example/_simulator/state", local, true)
        ));
        assert!(!keyless(
            true,
            &request("POST", "/_simulator/", local, false)
        ));
    }

    #[test]
    fn bound_elsewhere_only_the_pages_files_go_without_the_key() {
        let local = "127.0.0.1:8080";
        for asset in [
            "/_simulator/",
            "/_simulator/app.js",
            "/_simulator/style.css",
        ] {
            assert!(keyless(
                false,
                &request("GET", asset, "10.0.0.5:8080", false)
            ));
        }
        assert!(!keyless(
            false,
            &request("GET", "/_simulator/state", local, true)
        ));
        assert!(!keyless(
            false,
            &request("POST", "/_simulator/scan", local, true)
        ));
        assert!(!keyless(
            false,
            &request("POST", "/_simulator/deliveries/x/redeliver", local, true)
        ));
    }

    #[test]
    fn loopback_hosts_are_loopback_names_with_or_without_a_port() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "127.1.2.3:1",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "[::1]",
            "localhost:",
            "[::1]:",
        ] {
            assert!(loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:8080",
            "localhost.evil.example",
            "10.0.0.5:8080",
            "0.0.0.0:8080",
            "[::]:8080",
            "[::1",
            "",
            // Whatever follows the name must be a port of digits.
            "127.0.0.1:80@evil.com",
            "[::1]evil.com",
            "localhost:evil",
            "[::1]:x.evil.com",
            "localhost:80:80",
            "[127.0.0.1]:80",
        ] {
            assert!(!loopback_host(host), "{host}");
        }
    }
}
