//! Record and replay: a cassette is the API requests a simulator forwarded to an upstream (a
//! real account: [`SimulatorBuilder::record_from`](crate::SimulatorBuilder::record_from),
//! `buzzin simulate --record-from URL --cassette FILE`) with their answers, redacted; a
//! simulator that [replays](crate::SimulatorBuilder::replay) it serves those answers, matching
//! a request by method, path (with its query) and body.
//!
//! What a cassette never holds: the API key (no header is recorded, and the key's value is
//! replaced wherever it appears), the upstream's credentials (only its origin is kept), and the
//! values of the fields in [`REDACTED_FIELDS`], wherever they appear in a body, replaced with
//! [`REDACTED`].
//!
//! ```json
//! {"format": "buzzin-sim-cassette", "version": 1, "upstream": "https://api.buzz-in.co",
//!  "interactions": [{"method": "GET", "path": "/permits/66f0…", "request": null,
//!                    "status": 200, "response": {"_id": "66f0…", …}}]}
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The fields whose values a cassette never holds: those `openapi/buzzin.yaml` marks
/// `x-buzzin-secret` or `x-buzzin-personal-data` (a test holds the two equal), matched by name
/// anywhere in a request or an answer (so a contractor's `email` and `phone` are redacted too).
pub const REDACTED_FIELDS: [&str; 4] = ["deviceSecret", "documentId", "phone", "email"];

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// What a cassette says it is.
const FORMAT: &str = "buzzin-sim-cassette";

/// The version of the cassette format this simulator reads and writes.
const VERSION: u64 = 1;

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Interaction {
    pub method: String,
    /// The path with its query string, if any.
    pub path: String,
    /// The request's JSON body, redacted (`null` without one).
    pub request: Value,
    pub status: u16,
    /// The answer's JSON body, redacted, or its text when it was not JSON.
    pub response: Value,
}

#[derive(Serialize, Deserialize)]
struct Document {
    format: String,
    version: u64,
    upstream: String,
    interactions: Vec<Interaction>,
}

/// `value` with the fields of [`REDACTED_FIELDS`] and every occurrence of `secrets` replaced.
pub(crate) fn redact(value: &mut Value, secrets: &[String]) {
    match value {
        Value::Object(map) => {
            for (name, field) in map.iter_mut() {
                if REDACTED_FIELDS.contains(&name.as_str()) && !field.is_null() {
                    *field = Value::from(REDACTED);
                } else {
                    redact(field, secrets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, secrets)),
        Value::String(text) => {
            for secret in secrets.iter().filter(|s| !s.is_empty()) {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), REDACTED);
                }
            }
        }
        _ => {}
    }
}

/// A body as JSON (`null` when empty; its text when it is not JSON).
pub(crate) fn body_value(bytes: &[u8]) -> Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(bytes).into_owned()))
}

/// A recording simulator's cassette: the interactions so far, written out whole after each.
pub(crate) struct Recorder {
    pub upstream: url::Url,
    path: PathBuf,
    interactions: Mutex<Vec<Interaction>>,
}

impl Recorder {
    /// A recorder to `path` (written at the first interaction; an existing file is replaced).
    pub fn new(upstream: url::Url, path: PathBuf) -> Self {
        Recorder {
            upstream,
            path,
            interactions: Mutex::new(Vec::new()),
        }
    }

    /// Records one interaction and writes the cassette (atomically).
    pub fn record(&self, interaction: Interaction) -> std::io::Result<()> {
        let mut interactions = self
            .interactions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        interactions.push(interaction);
        let document = serde_json::json!({
            "format": FORMAT,
            "version": VERSION,
            "upstream": self.upstream.origin().ascii_serialization(),
            "interactions": *interactions,
        });
        let bytes = serde_json::to_vec_pretty(&document).expect("a cassette serializes");
        crate::atomic::write(&self.path, &bytes)
    }
}

/// A replaying simulator's cassette: the recorded answers of each request, and how many of
/// each were served.
pub(crate) struct Player {
    interactions: Vec<Interaction>,
    /// By request (method, path, body): the positions of its interactions, in order.
    by_request: HashMap<(String, String, String), Vec<usize>>,
    served: Mutex<HashMap<(String, String, String), usize>>,
}

impl Player {
    /// Reads a cassette; a file of another format or version is refused, naming both.
    pub fn load(path: &std::path::Path) -> Result<Player, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read the cassette {}: {e}", path.display()))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the cassette {} is not JSON: {e}", path.display()))?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(format!(
                "{} is not a cassette (its `format` is not \"{FORMAT}\")",
                path.display()
            ));
        }
        let version = value.get("version").and_then(Value::as_u64);
        if version != Some(VERSION) {
            return Err(format!(
                "the cassette {} is format version {}; this simulator reads version {VERSION}",
                path.display(),
                version.map_or("(none)".to_owned(), |v| v.to_string())
            ));
        }
        let document: Document = serde_json::from_value(value)
            .map_err(|e| format!("the cassette {} is malformed: {e}", path.display()))?;
        let mut by_request: HashMap<_, Vec<usize>> = HashMap::new();
        for (at, i) in document.interactions.iter().enumerate() {
            by_request
                .entry(Self::key(&i.method, &i.path, &i.request))
                .or_default()
                .push(at);
        }
        Ok(Player {
            interactions: document.interactions,
            by_request,
            served: Mutex::new(HashMap::new()),
        })
    }

    fn key(method: &str, path: &str, body: &Value) -> (String, String, String) {
        (method.to_owned(), path.to_owned(), body.to_string())
    }

    /// The recorded answer to a request (its body redacted as a recording would): the n-th
    /// time a request is made, its n-th recording (the last one again once they run out).
    pub fn answer(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, Value)> {
        let mut body = body_value(body);
        redact(&mut body, &[]);
        let key = Self::key(method, path, &body);
        let positions = self.by_request.get(&key)?;
        let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        let count = served.entry(key).or_insert(0);
        let at = positions[(*count).min(positions.len() - 1)];
        *count += 1;
        let interaction = &self.interactions[at];
        Some((interaction.status, interaction.response.clone()))
    }
}
