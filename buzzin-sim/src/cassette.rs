//! Record and replay: a cassette is the API requests a simulator forwarded to an upstream (a
//! real account: [`SimulatorBuilder::record_from`](crate::SimulatorBuilder::record_from),
//! `buzzin simulate --record-from URL --cassette FILE`) with their answers, redacted; a
//! simulator that [replays](crate::SimulatorBuilder::replay) it serves those answers, matching
//! a request by method, path (with its query) and body.
//!
//! What a cassette never holds:
//! - the API key: no header is recorded, and the key's value, as sent and percent-decoded, is
//!   replaced wherever it appears, in any case;
//! - the upstream's credentials: only its origin is kept;
//! - personal data and secrets: the values of the fields in [`REDACTED_FIELDS`] (every field
//!   the spec marks `x-buzzin-secret`, `x-buzzin-personal-data` or `x-buzzin-personal`),
//!   wherever they appear: in JSON bodies, as `field: value` or `field=value` in any other
//!   text (a body that is not JSON, an upstream's error message), and as query parameters;
//!   the values a request sent in those fields, wherever its answer repeats them; and any email
//!   address or `+`-prefixed phone number in a text. Each is replaced with [`REDACTED`]. (A
//!   Feathers error keeps its `name`, such as `BadRequest`: a class, not a person.)
//!
//! A cassette is JSON Lines, appended to as requests are recorded: a first line that says what
//! it is, then one line per request and its answer.
//!
//! ```json
//! {"format": "buzzin-sim-cassette", "version": 2, "upstream": "https://api.buzz-in.co"}
//! {"method": "GET", "path": "/permits/66f0…", "request": null, "status": 200, "response": {"_id": "66f0…", …}}
//! ```

use std::collections::HashMap;
use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The fields whose values a cassette never holds: those `openapi/buzzin.yaml` marks
/// `x-buzzin-secret`, `x-buzzin-personal-data` or `x-buzzin-personal` (generated from the
/// spec), matched by name anywhere in a request or an answer.
pub const REDACTED_FIELDS: &[&str] = &crate::generated::redacted::FIELDS;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// The largest cassette a simulator writes: 32 MiB. Once it is reached, a recording simulator
/// answers `507` and forwards nothing more.
pub const CASSETTE_LIMIT: u64 = 32 * 1024 * 1024;

/// The largest upstream answer a recording simulator takes: 8 MiB (a longer one is a `502`).
pub const ANSWER_LIMIT: usize = 8 * 1024 * 1024;

/// The largest cassette a simulator replays: the recording limit plus one request and answer
/// of the largest size.
pub const REPLAY_LIMIT: u64 = CASSETTE_LIMIT + 2 * ANSWER_LIMIT as u64 + 1024 * 1024;

/// What a cassette says it is.
const FORMAT: &str = "buzzin-sim-cassette";

/// The version of the cassette format this simulator reads and writes.
const VERSION: u64 = 2;

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Interaction {
    pub method: String,
    /// The path with its query string, if any, redacted.
    pub path: String,
    /// The request's JSON body, redacted (`null` without one; its text when not JSON).
    pub request: Value,
    pub status: u16,
    /// The answer's JSON body, redacted, or its text when it was not JSON.
    pub response: Value,
}

/// What is redacted from one request and its answer: the key as sent, and the values the
/// request gave the marked fields.
#[derive(Default)]
pub(crate) struct Redactor {
    /// The key's forms (as sent, percent-decoded, percent-encoded), matched in any case.
    key: Option<regex_lite::Regex>,
    /// The marked fields' values (four characters or more), replaced as they are.
    values: Vec<String>,
}

/// The patterns of a text's personal data: a marked field's `name: value` (or `name=value`),
/// an email address, a `+`-prefixed phone number.
fn patterns() -> &'static [regex_lite::Regex; 3] {
    static PATTERNS: OnceLock<[regex_lite::Regex; 3]> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let names: Vec<String> = REDACTED_FIELDS
            .iter()
            .map(|n| regex_lite::escape(n))
            .collect();
        let field = format!(
            r#"(?i)(\b(?:{})\b["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}}\]]+)"#,
            names.join("|")
        );
        [
            regex_lite::Regex::new(&field).expect("a valid pattern"),
            regex_lite::Regex::new(
                r"[^\s@<>()\[\]{}:;,'&=?/]+@[^\s@<>()\[\]{}:;,'&=?/]+\.[A-Za-z0-9-]+",
            )
            .expect("a valid pattern"),
            regex_lite::Regex::new(r"\+[0-9][0-9 ().-]{5,}[0-9]").expect("a valid pattern"),
        ]
    })
}

impl Redactor {
    /// A redactor of `key` (the API key a request sent: its percent-decoded form too) and of the
    /// values `request` gives the marked fields.
    pub fn new(key: Option<&str>, request: &Value) -> Self {
        let mut redactor = Redactor::default();
        if let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) {
            let decoded: String = url::form_urlencoded::parse(format!("k={key}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
                .unwrap_or_default();
            let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
            let mut forms = vec![key.to_owned(), decoded, encoded];
            forms.retain(|form| !form.is_empty());
            // The longest first: a form inside another is not left half replaced.
            forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
            forms.dedup();
            let forms: Vec<String> = forms.iter().map(|f| regex_lite::escape(f)).collect();
            redactor.key = regex_lite::Regex::new(&format!("(?i){}", forms.join("|"))).ok();
        }
        redactor.collect(request);
        redactor
    }

    /// Adds the values of the marked fields of `value` (four characters or more: a shorter one
    /// could be part of an id) to those replaced.
    fn collect(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (name, field) in map {
                    if is_marked(name) && !is_feathers_error(map) {
                        let mut texts = Vec::new();
                        strings(field, &mut texts);
                        self.values
                            .extend(texts.into_iter().filter(|t| t.chars().count() >= 4));
                    } else {
                        self.collect(field);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            // A body that is not JSON: its form fields (`name=…&email=…`), if it has any.
            Value::String(text) => {
                for (name, value) in url::form_urlencoded::parse(text.trim().as_bytes()) {
                    if is_marked(&name) && value.chars().count() >= 4 {
                        self.values.push(value.into_owned());
                    }
                }
            }
            _ => {}
        }
    }

    /// `value` redacted: marked fields' values replaced, and every text redacted
    /// ([`text`](Self::text)).
    pub fn value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let keep_name = is_feathers_error(map);
                for (name, field) in map.iter_mut() {
                    let keep = keep_name && name == "name";
                    if is_marked(name) && !keep && !field.is_null() {
                        *field = Value::from(REDACTED);
                    } else {
                        self.value(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::String(text) => *text = self.text(text),
            _ => {}
        }
    }

    /// A text redacted: the key (in any case), the marked fields' values the request sent,
    /// marked fields' `name: value`, email addresses and `+`-prefixed phone numbers.
    pub fn text(&self, text: &str) -> String {
        let mut shown = text.to_owned();
        for value in &self.values {
            if shown.contains(value.as_str()) {
                shown = shown.replace(value.as_str(), REDACTED);
            }
        }
        if let Some(key) = &self.key {
            shown = key.replace_all(&shown, REDACTED).into_owned();
        }
        let [field, email, phone] = patterns();
        let shown = field.replace_all(&shown, format!("${{1}}{REDACTED}").as_str());
        let shown = email.replace_all(&shown, REDACTED);
        phone.replace_all(&shown, REDACTED).into_owned()
    }

    /// A path with its query, redacted: each query parameter percent-decoded, a marked one's
    /// value replaced, any other's value redacted as a [`text`](Self::text).
    pub fn path(&self, path_and_query: &str) -> String {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let path = self.text(path);
        let Some(query) = query else {
            return path;
        };
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        let mut changed = false;
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let shown_name = self.text(&name);
            let shown = if is_marked(&shown_name) {
                REDACTED.to_owned()
            } else {
                self.text(&value)
            };
            changed |= shown_name != name || shown != value;
            out.append_pair(&shown_name, &shown);
        }
        // A query with nothing to redact is kept as it was sent (its `$limit` unencoded).
        if changed {
            format!("{path}?{}", out.finish())
        } else {
            format!("{path}?{}", self.text(query))
        }
    }
}

/// Whether a field's name is one of [`REDACTED_FIELDS`] (in any case).
fn is_marked(name: &str) -> bool {
    REDACTED_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// Whether an object is a Feathers error (`name`, `message`, `code`): its `name` is a class.
fn is_feathers_error(map: &serde_json::Map<String, Value>) -> bool {
    map.get("name").is_some_and(Value::is_string)
        && map.contains_key("message")
        && map.get("code").is_some_and(Value::is_number)
}

/// Every string in `value`.
fn strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) => into.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, into)),
        Value::Object(map) => map.values().for_each(|v| strings(v, into)),
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

/// A recording simulator's cassette: a file appended to, one line per interaction, by a
/// writer thread (the request path only queues the line).
pub(crate) struct Recorder {
    pub upstream: url::Url,
    /// The largest cassette it writes.
    limit: u64,
    /// The cassette's size so far, queued lines included.
    size: AtomicU64,
    lines: Mutex<Option<std::sync::mpsc::Sender<Vec<u8>>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Recorder {
    /// A recorder to `path`: the cassette is created now, with its first line (an existing file
    /// is replaced, atomically).
    pub fn new(upstream: url::Url, path: &Path, limit: u64) -> std::io::Result<Self> {
        let first = serde_json::json!({
            "format": FORMAT,
            "version": VERSION,
            "upstream": upstream.origin().ascii_serialization(),
        });
        let mut line = first.to_string().into_bytes();
        line.push(b'\n');
        let mut file = crate::atomic::write_and_keep(path, &line)?;
        let (lines, queued) = std::sync::mpsc::channel::<Vec<u8>>();
        let shown = path.display().to_string();
        let writer = std::thread::Builder::new()
            .name("buzzin-sim-cassette".into())
            .spawn(move || {
                for line in queued {
                    if let Err(e) = file.write_all(&line) {
                        eprintln!("buzzin-sim: cannot write the cassette {shown}: {e}");
                        return;
                    }
                }
                let _ = file.sync_all();
            })?;
        Ok(Recorder {
            upstream,
            limit,
            size: AtomicU64::new(line.len() as u64),
            lines: Mutex::new(Some(lines)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Whether the cassette has reached its limit ([`CASSETTE_LIMIT`] by default).
    pub fn is_full(&self) -> bool {
        self.size.load(Ordering::Acquire) >= self.limit
    }

    /// The largest cassette it writes, in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Queues one interaction for the writer.
    pub fn record(&self, interaction: &Interaction) {
        let mut line = serde_json::to_vec(interaction).expect("an interaction serializes");
        line.push(b'\n');
        self.size.fetch_add(line.len() as u64, Ordering::AcqRel);
        if let Some(lines) = &*self.lines.lock().unwrap_or_else(PoisonError::into_inner) {
            let _ = lines.send(line);
        }
    }

    /// Writes what is queued and closes the cassette.
    pub fn finish(&self) {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The first line of a cassette.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u64>,
}

/// One recorded answer, as replayed: its status and its body's JSON text.
struct Recorded {
    status: u16,
    body: String,
}

/// A replaying simulator's cassette: the recorded answers of each request, and how many of
/// each were served.
pub(crate) struct Player {
    /// By request (method, path, body's JSON): its answers, in order.
    by_request: HashMap<(String, String, String), Vec<Recorded>>,
    served: Mutex<HashMap<(String, String, String), usize>>,
}

impl Player {
    /// Reads a cassette, one line at a time; refuses a file over [`REPLAY_LIMIT`], of another
    /// format or version (naming both), or with a status outside 200 to 599.
    pub fn load(path: &Path) -> Result<Player, String> {
        let shown = path.display();
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read the cassette {shown}: {e}"))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > REPLAY_LIMIT {
            return Err(format!(
                "the cassette {shown} is {size} bytes; a simulator replays at most {REPLAY_LIMIT}"
            ));
        }
        let mut lines = std::io::BufReader::new(file).lines();
        let first = lines
            .next()
            .transpose()
            .map_err(|e| format!("cannot read the cassette {shown}: {e}"))?
            .unwrap_or_default();
        let header: Header = serde_json::from_str(&first)
            .map_err(|e| format!("the cassette {shown} is not a cassette: {e}"))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(format!(
                "{shown} is not a cassette (its `format` is not \"{FORMAT}\")"
            ));
        }
        if header.version != Some(VERSION) {
            return Err(format!(
                "the cassette {shown} is format version {}; this simulator reads version {VERSION}",
                header
                    .version
                    .map_or("(none)".to_owned(), |v| v.to_string())
            ));
        }
        let mut by_request: HashMap<_, Vec<Recorded>> = HashMap::new();
        for (at, line) in lines.enumerate() {
            let number = at + 2;
            let line = line.map_err(|e| format!("cannot read the cassette {shown}: {e}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let i: Interaction = serde_json::from_str(&line)
                .map_err(|e| format!("the cassette {shown} is malformed at line {number}: {e}"))?;
            if !(200..=599).contains(&i.status) {
                return Err(format!(
                    "the cassette {shown} has status {} at line {number}; a recorded status is \
                     from 200 to 599",
                    i.status
                ));
            }
            by_request
                .entry(Self::key(&i.method, &i.path, &i.request))
                .or_default()
                .push(Recorded {
                    status: i.status,
                    body: i.response.to_string(),
                });
        }
        Ok(Player {
            by_request,
            served: Mutex::new(HashMap::new()),
        })
    }

    fn key(method: &str, path: &str, body: &Value) -> (String, String, String) {
        (method.to_owned(), path.to_owned(), body.to_string())
    }

    /// The recorded answer to a request (redacted as a recording would: `redactor` knows the
    /// key it sent): the n-th time a request is made, its n-th recording (the last one again
    /// once they run out). The answer is its status and its body's JSON text.
    pub fn answer(
        &self,
        redactor: &Redactor,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Option<(u16, String)> {
        let mut body = body_value(body);
        redactor.value(&mut body);
        let key = Self::key(method, &redactor.path(path), &body);
        let answers = self.by_request.get(&key)?;
        let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        let count = served.entry(key).or_insert(0);
        let recorded = &answers[(*count).min(answers.len() - 1)];
        *count += 1;
        Some((recorded.status, recorded.body.clone()))
    }
}
