//! Webhook deliveries as records: the destinations, the events the simulator emits, the queue
//! of jobs for each interested destination, and every attempt. No HTTP here: the sender
//! (`sender.rs`, in the HTTP layer) POSTs the jobs and records the attempts.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

use buzzin::models::{Timestamp, WebhookEnvelope, WebhookEventId, WebhookEventName};

/// Where the simulator delivers webhooks: a URL, the events it wants, and its secret.
///
/// With a [token](Self::token) the secret is sent as is in `X-Buzzin-Token` (the documented
/// scheme of work-permit deliveries); with a [signing secret](Self::signing_secret) each
/// delivery carries `buzzin-signature` (lowercase hex HMAC-SHA256 of `<timestamp>-<body>`) and
/// `buzzin-signature-timestamp` (Unix milliseconds, from the real clock, not the simulated one,
/// so a receiver's freshness check passes). Every delivery also carries `X-Buzzin-Event` and
/// `X-Buzzin-Delivery`. [`Debug`](fmt::Debug) never shows the secret.
///
/// ```
/// use buzzin::models::WebhookEventName;
/// use buzzin_sim::WebhookDestination;
///
/// let destination = WebhookDestination::new("http://127.0.0.1:9000/hooks")
///     .event(WebhookEventName::PermitIssued)
///     .event(WebhookEventName::PermitUpdated)
///     .signing_secret("whsec-test");
/// assert!(!format!("{destination:?}").contains("whsec-test"));
/// ```
#[derive(Clone)]
pub struct WebhookDestination {
    pub(crate) url: String,
    /// `url` as the simulator shows it: userinfo and query values redacted.
    pub(crate) shown: String,
    events: Vec<WebhookEventName>,
    pub(crate) secret: Secret,
}

#[derive(Clone)]
pub(crate) enum Secret {
    None,
    Token(String),
    Signing(String),
}

impl WebhookDestination {
    /// A destination for every event, without a secret.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        WebhookDestination {
            shown: redacted_url(&url),
            url,
            events: Vec::new(),
            secret: Secret::None,
        }
    }

    /// Limits the destination to this event (call again for more). Without a call, every event
    /// is delivered.
    pub fn event(mut self, event: WebhookEventName) -> Self {
        self.events.push(event);
        self
    }

    /// Sends this secret as is in `X-Buzzin-Token`.
    pub fn token(mut self, secret: impl Into<String>) -> Self {
        self.secret = Secret::Token(secret.into());
        self
    }

    /// Signs each delivery with this secret (`buzzin-signature`, `buzzin-signature-timestamp`).
    pub fn signing_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Secret::Signing(secret.into());
        self
    }

    /// The URL deliveries are POSTed to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL as the simulator shows it everywhere (its state, dashboard, banner, logs and
    /// [`DeliveryAttempt::url`]): its userinfo and the value of every query parameter are
    /// `REDACTED`, its fragment dropped, since a webhook URL often carries a credential.
    ///
    /// ```
    /// use buzzin_sim::WebhookDestination;
    ///
    /// let destination = WebhookDestination::new("https://user:pass@hooks.example/in?auth=s3cret");
    /// assert_eq!(destination.shown_url(), "https://REDACTED@hooks.example/in?auth=REDACTED");
    /// ```
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    fn wants(&self, event: &WebhookEventName) -> bool {
        self.events.is_empty() || self.events.contains(event)
    }
}

/// `url` with its userinfo and query values redacted and its fragment dropped; a text that is
/// not a URL is not shown at all. A URL with none of these is shown as given (not normalized:
/// `http://127.0.0.1:9000` stays without a trailing `/`, so it equals the URL a test passed).
fn redacted_url(url: &str) -> String {
    const REDACTED: &str = "REDACTED";
    let Ok(mut shown) = url::Url::parse(url) else {
        return "<not a valid URL>".into();
    };
    if shown.username().is_empty()
        && shown.password().is_none()
        && shown.query().is_none()
        && shown.fragment().is_none()
    {
        return url.to_owned();
    }
    if !shown.username().is_empty() || shown.password().is_some() {
        // Only a URL that cannot have userinfo refuses these, and it had none.
        let _ = shown.set_password(None);
        let _ = shown.set_username(REDACTED);
    }
    if shown.query().is_some() {
        let names: Vec<String> = shown
            .query_pairs()
            .map(|(name, _)| name.into_owned())
            .collect();
        shown
            .query_pairs_mut()
            .clear()
            .extend_pairs(names.iter().map(|name| (name.as_str(), REDACTED)));
    }
    shown.set_fragment(None);
    shown.into()
}

impl fmt::Debug for WebhookDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = match self.secret {
            Secret::None => "none",
            Secret::Token(_) => "token(<redacted>)",
            Secret::Signing(_) => "signing(<redacted>)",
        };
        f.debug_struct("WebhookDestination")
            .field("url", &self.shown)
            .field("events", &self.events)
            .field("secret", &secret)
            .finish()
    }
}

/// One HTTP attempt at delivering an event to a destination.
///
/// Its JSON (`Serialize`), the one shape of `GET /_simulator/deliveries` and of the dashboard's
/// deliveries: `deliveryId`, `eventId`, `event`, `url`, `attempt`, `headers` (`[name, value]`
/// pairs, a token header as `<redacted>`), `body` (as text) and `status` or `error`.
#[derive(Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// The delivery id (`X-Buzzin-Delivery`), the same on every attempt of one delivery.
    ///
    /// Assumed: the documentation does not state whether a retried delivery keeps its id; the
    /// simulator keeps it.
    pub delivery_id: String,
    /// The event's id (the envelope's `id`).
    pub event_id: WebhookEventId,
    /// The event's name.
    pub event: WebhookEventName,
    /// Where it was POSTed, as [`WebhookDestination::shown_url`] shows it (userinfo and query
    /// values redacted).
    pub url: String,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// The request headers, names in lowercase.
    #[serde(serialize_with = "shown_headers")]
    pub headers: Vec<(String, String)>,
    /// The request body, exactly as sent.
    #[serde(serialize_with = "as_text")]
    pub body: Vec<u8>,
    /// What came back.
    #[serde(flatten)]
    pub outcome: DeliveryOutcome,
    /// Which destination it went to (its position in the simulator's list), for a redelivery.
    #[serde(skip)]
    pub(crate) destination_index: usize,
}

/// What came back from one delivery attempt (in JSON, `{"status": 200}` or `{"error": "…"}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// The destination answered with this status code.
    #[serde(rename = "status")]
    Status(u16),
    /// No answer: the connection failed or timed out.
    #[serde(rename = "error")]
    Failed(String),
}

/// The headers as shown: a token header's value is `<redacted>` (a destination's secret never
/// leaves the simulator).
fn shown_headers<S: serde::Serializer>(
    headers: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(headers.iter().map(|(name, value)| {
        let shown = if name.eq_ignore_ascii_case("x-buzzin-token") {
            "<redacted>"
        } else {
            value.as_str()
        };
        (name.as_str(), shown)
    }))
}

fn as_text<S: serde::Serializer>(body: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(body))
}

impl DeliveryAttempt {
    /// Whether the destination acknowledged the delivery (any 2xx).
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, DeliveryOutcome::Status(s) if (200..300).contains(&s))
    }

    /// A request header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as an envelope.
    pub fn envelope(&self) -> WebhookEnvelope {
        serde_json::from_slice(&self.body).expect("the simulator sends valid envelopes")
    }
}

impl fmt::Debug for DeliveryAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if n == "x-buzzin-token" {
                    "<redacted>"
                } else {
                    v.as_str()
                };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("DeliveryAttempt")
            .field("delivery_id", &self.delivery_id)
            .field("event_id", &self.event_id)
            .field("event", &self.event)
            .field("url", &self.url)
            .field("attempt", &self.attempt)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("outcome", &self.outcome)
            .finish()
    }
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetrySettings {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub timeout: Duration,
}

/// One delivery to one destination, for the sender.
pub(crate) struct Job {
    /// Which destination (its position in the list): each has its own queue.
    pub destination_index: usize,
    pub delivery_id: String,
    pub event_id: WebhookEventId,
    pub event: WebhookEventName,
    pub body: Arc<Vec<u8>>,
    pub destination: WebhookDestination,
    /// A redelivery asked for by hand: its attempts are numbered after the delivery's last.
    pub redelivery: bool,
}

/// Deliveries queued or in flight, and a way to wait until there are none.
#[derive(Default)]
pub(crate) struct Pending {
    count: AtomicUsize,
    idle: Notify,
}

impl Pending {
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// One queued delivery finished (delivered, or out of attempts).
    pub fn done(&self) {
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }
}

/// Where emitted events go: the event history, and a job per interested destination.
pub(crate) struct Outbox {
    pub events: Vec<WebhookEnvelope>,
    pub destinations: Vec<WebhookDestination>,
    /// The number in the next delivery id (kept in a state file, so that a restarted
    /// simulator never reuses a delivery id a receiver has seen).
    pub next_delivery: u64,
    jobs: mpsc::UnboundedSender<Job>,
    pending: Arc<Pending>,
}

impl Outbox {
    /// An outbox, what counts its pending deliveries, and the receiving end of its jobs (for
    /// the sender).
    pub fn new() -> (Self, Arc<Pending>, mpsc::UnboundedReceiver<Job>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let pending = Arc::new(Pending::default());
        (
            Outbox {
                events: Vec::new(),
                destinations: Vec::new(),
                next_delivery: 1,
                jobs: tx,
                pending: pending.clone(),
            },
            pending,
            rx,
        )
    }

    pub fn emit(
        &mut self,
        id: String,
        event: WebhookEventName,
        community: String,
        created_at: Timestamp,
        data: Value,
    ) {
        let body = json!({
            "id": id,
            "event": event.as_str(),
            "communityId": community,
            "createdAt": created_at,
            "data": data,
        });
        let bytes = Arc::new(serde_json::to_vec(&body).expect("JSON serializes"));
        self.events
            .push(serde_json::from_value(body).expect("the envelope parses"));
        for (destination_index, destination) in self
            .destinations
            .iter()
            .enumerate()
            .filter(|(_, d)| d.wants(&event))
        {
            let delivery_id = format!("de11{:020x}", self.next_delivery);
            self.next_delivery += 1;
            self.pending.count.fetch_add(1, Ordering::SeqCst);
            let job = Job {
                destination_index,
                delivery_id,
                event_id: WebhookEventId::new(id.clone()),
                event: event.clone(),
                body: bytes.clone(),
                destination: destination.clone(),
                redelivery: false,
            };
            if self.jobs.send(job).is_err() {
                // The worker is gone (the runtime is shutting down): nothing will deliver it.
                self.pending.done();
            }
        }
    }
}

impl Outbox {
    /// Queues the delivery of `last` (its latest attempt) again: the same delivery id, body
    /// and destination, fresh signature headers, the usual retries. `false` when its
    /// destination is unknown.
    pub fn redeliver(&mut self, last: &DeliveryAttempt) -> bool {
        let Some(destination) = self.destinations.get(last.destination_index) else {
            return false;
        };
        self.pending.count.fetch_add(1, Ordering::SeqCst);
        let job = Job {
            destination_index: last.destination_index,
            delivery_id: last.delivery_id.clone(),
            event_id: last.event_id.clone(),
            event: last.event.clone(),
            body: Arc::new(last.body.clone()),
            destination: destination.clone(),
            redelivery: true,
        };
        if self.jobs.send(job).is_err() {
            self.pending.done();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_url;

    #[test]
    fn a_shown_webhook_url_has_no_userinfo_query_value_or_fragment() {
        for (url, shown) in [
            ("http://127.0.0.1:9000/hooks", "http://127.0.0.1:9000/hooks"),
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
            (
                "http://user:pass@host.example/hook?auth=SECRET",
                "http://REDACTED@host.example/hook?auth=REDACTED",
            ),
            (
                "https://user@host.example/",
                "https://REDACTED@host.example/",
            ),
            (
                "https://:pass@host.example/",
                "https://REDACTED@host.example/",
            ),
            (
                "https://host.example/h?a=1&a=2&flag&t=%2Fx%3D#frag",
                "https://host.example/h?a=REDACTED&a=REDACTED&flag=REDACTED&t=REDACTED",
            ),
            ("not a url with pass=secret", "<not a valid URL>"),
        ] {
            assert_eq!(redacted_url(url), shown, "{url}");
        }
    }
}
