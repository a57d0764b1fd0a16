//! Record and replay on the request path: an API request forwarded to the upstream and
//! recorded (redacted) in the cassette, or answered from a cassette (see [`cassette`]).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use crate::cassette::{self, Interaction, Player, Recorder, Redactor};
use crate::shared::{respond, sent_key, too_large, BODY_LIMIT};
use crate::state::Failure;

/// The headers a recording simulator forwards to its upstream (and never records).
const FORWARDED: [header::HeaderName; 4] = [
    header::HeaderName::from_static("x-api-key"),
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
];

/// Forwards an API request (one of the spec's operations, with a key: the layers and the
/// routes saw to both) to the upstream as it came, answers what the upstream answered, and
/// records both, redacted. An answer over [`cassette::ANSWER_LIMIT`] is a `502`; once the
/// cassette is full, a `507`.
pub(crate) async fn record(
    recorder: &Recorder,
    http: &reqwest::Client,
    request: Request,
) -> Response {
    if recorder.is_full() {
        return respond(Err(Failure::new(
            507,
            format!(
                "The cassette is full ({} bytes): nothing more is forwarded",
                recorder.limit()
            ),
        )));
    }
    let key = sent_key(&request).map(str::to_owned);
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return too_large();
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
    for name in &FORWARDED {
        if let Some(value) = parts.headers.get(name) {
            out = out.header(name, value);
        }
    }
    let mut answer = match out.send().await {
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
    let mut answered = Vec::new();
    loop {
        match answer.chunk().await {
            Ok(Some(chunk)) if answered.len() + chunk.len() <= cassette::ANSWER_LIMIT => {
                answered.extend_from_slice(&chunk);
            }
            Ok(Some(_)) => {
                return respond(Err(Failure::new(
                    502,
                    format!(
                        "The upstream's answer is longer than {} bytes",
                        cassette::ANSWER_LIMIT
                    ),
                )))
            }
            Ok(None) => break,
            Err(e) => {
                return respond(Err(Failure::new(
                    502,
                    format!("The upstream's answer broke off: {}", e.without_url()),
                )))
            }
        }
    }
    let mut request_body = cassette::body_value(&body);
    let redactor = Redactor::new(key.as_deref(), &request_body);
    redactor.value(&mut request_body);
    let mut response_body = cassette::body_value(&answered);
    redactor.value(&mut response_body);
    if (200..=599).contains(&status) {
        recorder.record(&Interaction {
            method: parts.method.to_string(),
            path: redactor.path(&path),
            request: request_body,
            status,
            response: response_body,
        });
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
pub(crate) async fn replay(player: &Player, request: Request) -> Response {
    let key = sent_key(&request).map(str::to_owned);
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return too_large();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let redactor = Redactor::new(key.as_deref(), &cassette::body_value(&body));
    match player.answer(&redactor, parts.method.as_str(), path, &body) {
        Some((status, answer)) => {
            let mut response = Response::new(Body::from(answer));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => respond(Err(Failure::new(
            501,
            format!(
                "The cassette has no answer for {} {} with this body",
                parts.method,
                redactor.path(path)
            ),
        ))),
    }
}
