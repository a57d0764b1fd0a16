//! Spans, metrics and the retry event of a call: everything the client records, recorded here.
//!
//! Spans follow the OpenTelemetry HTTP client semantic conventions (see the
//! [client documentation](super#tracing)); with the `metrics` feature, attempts and retries are
//! measured through the `metrics` facade.

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use tracing::Instrument;

use super::attempt::Attempt;
use super::call::Call;
use crate::Error;

/// Runs `call` (the whole call, all its attempts) in its `buzzin.call` span, and records the
/// `error.type` of the error it ends with.
pub(crate) async fn in_call_span<T>(
    call: &Call,
    run: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    // Entered while the call is polled, so that its busy and idle times (which
    // tracing-opentelemetry exports) are the call's.
    let span = tracing::info_span!(
        "buzzin.call",
        otel.name = %call.operation,
        buzzin.operation = %call.operation,
        "error.type" = tracing::field::Empty,
    );
    let result = run.instrument(span.clone()).await;
    if let Err(error) = &result {
        span.record("error.type", tracing::field::display(&*error_type(error)));
    }
    result
}

/// Runs attempt number `attempt` of `call` in its `buzzin.request` span, and records its
/// status and `error.type` there and (feature `metrics`) its duration.
pub(crate) async fn in_attempt_span(
    call: &Call,
    attempt: u32,
    run: impl Future<Output = Attempt>,
) -> Attempt {
    #[cfg(feature = "metrics")]
    let started = std::time::Instant::now();
    // Awaited in place, so that the span is read back afterwards without a clone.
    let mut traced = std::pin::pin!(run.instrument(attempt_span(call, attempt)));
    let outcome = traced.as_mut().await;
    let span = traced.span();
    let (status, error) = outcome.labels();
    if let Some(status) = status {
        span.record("http.response.status_code", status.as_u16());
    }
    if let Some(error) = error {
        span.record("error.type", tracing::field::display(error));
    }
    #[cfg(feature = "metrics")]
    record_attempt_duration(call, started, status, error);
    outcome
}

/// The span of one attempt, by the OpenTelemetry HTTP client semantic conventions: named
/// `{method} {url.template}` through `otel.name` (`GET /permits/{id}`; the method alone for a
/// raw request, whose path may hold ids), never with an id, a query or a header.
///
/// Text fields are recorded as `Display` values: a subscriber that formats fields then writes
/// them as they are, without escaping each character (each is a method, a host or a template,
/// none of which comes from a response).
fn attempt_span(call: &Call, attempt: u32) -> tracing::Span {
    let method = call.method.as_str();
    let span = tracing::info_span!(
        "buzzin.request",
        otel.name = %call.span_name.unwrap_or(method),
        otel.kind = %"client",
        http.request.method = %method,
        server.address = %call.url.host_str().unwrap_or_default(),
        server.port = call.url.port_or_known_default(),
        url.template = call.url_template.map(tracing::field::display),
        http.response.status_code = tracing::field::Empty,
        http.request.resend_count = tracing::field::Empty,
        "error.type" = tracing::field::Empty,
    );
    if attempt > 1 {
        span.record("http.request.resend_count", attempt - 1);
    }
    span
}

/// Records that attempt number `attempt` of `call`, which failed with `error_type`, is
/// followed by another after `delay`: a `DEBUG` event and (feature `metrics`) the
/// `buzzin.client.retries` counter.
pub(crate) fn retrying(call: &Call, attempt: u32, delay: Duration, error_type: &str) {
    tracing::debug!(
        buzzin.operation = call.operation,
        http.request.resend_count = attempt,
        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        "error.type" = error_type,
        "buzzin: retrying"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "buzzin.client.retries",
        "buzzin.operation" => call.operation,
        "reason" => error_type.to_owned()
    )
    .increment(1);
}

/// Records `http.client.request.duration` (seconds) of one attempt, by the OpenTelemetry
/// HTTP client conventions, with `buzzin.operation`; `error.type` on a failure.
#[cfg(feature = "metrics")]
fn record_attempt_duration(
    call: &Call,
    started: std::time::Instant,
    status: Option<http::StatusCode>,
    error: Option<&str>,
) {
    let mut labels = vec![
        metrics::Label::new("http.request.method", call.method.as_str().to_owned()),
        metrics::Label::new("buzzin.operation", call.operation),
    ];
    if let Some(status) = status {
        labels.push(metrics::Label::new(
            "http.response.status_code",
            status.as_str().to_owned(),
        ));
    }
    if let Some(error) = error {
        labels.push(metrics::Label::new("error.type", error.to_owned()));
    }
    metrics::histogram!("http.client.request.duration", labels)
        .record(started.elapsed().as_secs_f64());
}

/// The `error.type` of a failed attempt or call, by the OpenTelemetry conventions: the status
/// code for an answer, else a short fixed name (`timeout`, `connect`, …).
pub(crate) fn error_type(error: &Error) -> Cow<'static, str> {
    if let Some(api) = error.api_error() {
        return api.status().as_str().to_owned().into();
    }
    match error {
        Error::Timeout { .. } => "timeout",
        Error::Connect { .. } => "connect",
        Error::Transport { .. } => "transport",
        Error::Redirected { .. } => "redirected",
        Error::ResponseTooLarge { .. } => "response_too_large",
        Error::Decode(_) => "decode",
        Error::Throttled { .. } => "throttled",
        Error::MissingApiKey { .. } => "missing_api_key",
        _ => "_OTHER",
    }
    .into()
}
