//! The simulator's bounded logs (requests answered, webhook delivery attempts) and their cursor.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, Uri};

use serde_json::Value;

/// A failure the simulator injects into the next request(s) (see
/// [`Simulator::fail_next`](crate::Simulator::fail_next)). Faults apply to requests with the
/// right API key only: a request without it gets its `401` and uses up no fault.
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
    /// A Feathers error body with this status (`400` to `599`: `503`, say); the request has no
    /// effect.
    Status(u16),
    /// The connection is closed before an answer is sent, as a reset or a crashed proxy would
    /// (the client sees a transport error); the request has no effect. It is logged with
    /// status `0`.
    Reset,
}

/// One request the simulator answered, with its answer (see
/// [`Simulator::requests`](crate::Simulator::requests)).
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

/// The default number of entries each log keeps: far more than a test makes, small enough that
/// a simulator under load keeps a bounded memory (see
/// [`SimulatorBuilder::log_capacity`](super::SimulatorBuilder::log_capacity)).
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

/// The default number of bytes of paths, queries and answer bodies the request log keeps: 16
/// MiB, room for the [`DEFAULT_LOG_CAPACITY`] requests of a simulator under load (see
/// [`SimulatorBuilder::request_log_bytes`](super::SimulatorBuilder::request_log_bytes)).
pub const DEFAULT_REQUEST_LOG_BYTES: usize = 16 * 1024 * 1024;

/// A position in a simulator log: what a reader has already seen. Start from
/// [`Cursor::default`] (the beginning) and pass back the cursor each call returns (see
/// [`Simulator::requests_since`](super::Simulator::requests_since)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(u64);

impl Cursor {
    /// How many entries were logged before this position, those since evicted included.
    pub fn position(self) -> u64 {
        self.0
    }
}

/// A ring buffer of the last `capacity` entries, counting every entry ever pushed.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    entries: VecDeque<T>,
    capacity: usize,
    /// Entries ever pushed (so the oldest kept has sequence number `pushed - entries.len()`).
    pushed: u64,
}

impl<T> Ring<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Ring {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            pushed: 0,
        }
    }

    pub(crate) fn push(&mut self, entry: T) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
        self.pushed += 1;
    }

    /// Drops the oldest entry kept and returns it (readers' cursors skip it).
    fn pop_oldest(&mut self) -> Option<T> {
        self.entries.pop_front()
    }

    fn is_full(&self) -> bool {
        self.entries.len() == self.capacity
    }

    /// Every entry kept, oldest first, without copying.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.entries.iter()
    }

    /// At most `max` of the entries kept that were pushed at or after `cursor`, oldest first,
    /// each through `read`, and the cursor just past them (the reader loops until a page is
    /// empty). Entries evicted before they were read are skipped (the returned cursor still
    /// counts them).
    pub(crate) fn page_with<U>(
        &self,
        cursor: Cursor,
        max: usize,
        read: impl FnMut(&T) -> U,
    ) -> (Vec<U>, Cursor) {
        let oldest = self.pushed - self.entries.len() as u64;
        let skip = cursor
            .0
            .saturating_sub(oldest)
            .min(self.entries.len() as u64) as usize;
        let taken = max.min(self.entries.len() - skip);
        (
            self.entries
                .iter()
                .skip(skip)
                .take(taken)
                .map(read)
                .collect(),
            Cursor(oldest + (skip + taken) as u64),
        )
    }
}

impl<T: Clone> Ring<T> {
    /// Every entry kept, oldest first.
    pub(crate) fn all(&self) -> Vec<T> {
        self.entries.iter().cloned().collect()
    }

    /// The entries kept that were pushed at or after `cursor`, and the cursor past them.
    pub(crate) fn since(&self, cursor: Cursor) -> (Vec<T>, Cursor) {
        self.page(cursor, usize::MAX)
    }

    /// [`page_with`](Self::page_with), copying the entries.
    pub(crate) fn page(&self, cursor: Cursor, max: usize) -> (Vec<T>, Cursor) {
        self.page_with(cursor, max, T::clone)
    }
}

/// The request log: each request's fixed parts in a [`Ring`], and the texts of all of them
/// (path, query, answer body) one after the other in a single byte ring, bounded in bytes as
/// well as in entries. A log that turns over (100k reads after 100k writes) then allocates
/// nothing and leaves no holes in the heap: its memory is one buffer that stops growing once
/// it has held `max_bytes`. Readers get [`RecordedRequest`] copies.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: Ring<LoggedRequest>,
    text: VecDeque<u8>,
    max_bytes: usize,
    /// Bytes ever dropped from the front of `text`: an entry's text starts at
    /// `start - dropped`.
    dropped: u64,
}

/// A request's fixed parts; its texts are in [`RequestLog::text`].
#[derive(Debug, Clone)]
struct LoggedRequest {
    method: Method,
    status: u16,
    fault: Option<Fault>,
    /// Where its texts start, counting every byte ever logged.
    start: u64,
    path_len: usize,
    query_len: Option<usize>,
    body_len: usize,
}

impl LoggedRequest {
    fn len(&self) -> usize {
        self.path_len + self.query_len.unwrap_or(0) + self.body_len
    }
}

impl RequestLog {
    /// A log of at most `entries` requests and `max_bytes` bytes of texts (but always the last
    /// request, however long).
    pub(crate) fn new(entries: usize, max_bytes: usize) -> Self {
        RequestLog {
            entries: Ring::new(entries),
            text: VecDeque::new(),
            max_bytes: max_bytes.max(1),
            dropped: 0,
        }
    }

    /// Logs a request and its answer, dropping the oldest requests to make room.
    pub(crate) fn push(
        &mut self,
        method: &Method,
        uri: &Uri,
        status: u16,
        body: &[u8],
        fault: Option<Fault>,
    ) {
        let (path, query) = (uri.path(), uri.query());
        let entry = LoggedRequest {
            method: method.clone(),
            status,
            fault,
            start: self.dropped + self.text.len() as u64,
            path_len: path.len(),
            query_len: query.map(str::len),
            body_len: body.len(),
        };
        while self.entries.is_full() || self.text.len() + entry.len() > self.max_bytes {
            let Some(oldest) = self.entries.pop_oldest() else {
                break;
            };
            self.text.drain(..oldest.len());
            self.dropped += oldest.len() as u64;
        }
        // A request longer than the whole budget grew the buffer; give the room back once it
        // has gone.
        if self.text.capacity() > 2 * self.max_bytes
            && self.text.len() + entry.len() <= self.max_bytes
        {
            self.text.shrink_to(self.max_bytes);
        }
        self.text.extend(path.as_bytes());
        self.text.extend(query.unwrap_or_default().as_bytes());
        self.text.extend(body);
        self.entries.push(entry);
    }

    /// At most `max` of the requests logged at or after `cursor`, oldest first, and the cursor
    /// just past them (see [`Ring::page_with`]).
    pub(crate) fn page(&self, cursor: Cursor, max: usize) -> (Vec<RecordedRequest>, Cursor) {
        self.entries
            .page_with(cursor, max, |entry| self.recorded(entry))
    }

    fn recorded(&self, entry: &LoggedRequest) -> RecordedRequest {
        let at = (entry.start - self.dropped) as usize;
        let query_at = at + entry.path_len;
        let body_at = query_at + entry.query_len.unwrap_or(0);
        // A URI's path and query are ASCII.
        let text = |from: usize, to: usize| {
            String::from_utf8(self.bytes(from, to))
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        RecordedRequest {
            method: entry.method.as_str().to_owned(),
            path: text(at, query_at),
            query: entry.query_len.map(|_| text(query_at, body_at)),
            status: entry.status,
            response: ResponseBody::new(Bytes::from(self.bytes(body_at, body_at + entry.body_len))),
            fault: entry.fault.clone(),
        }
    }

    /// A copy of `text[from..to]`, which may wrap around the end of the ring's buffer.
    fn bytes(&self, from: usize, to: usize) -> Vec<u8> {
        let (front, back) = self.text.as_slices();
        let mut copy = Vec::with_capacity(to - from);
        if from < front.len() {
            copy.extend_from_slice(&front[from..to.min(front.len())]);
        }
        if to > front.len() {
            copy.extend_from_slice(&back[from.saturating_sub(front.len())..to - front.len()]);
        }
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_capacity_entries_and_counts_every_push() {
        let mut ring = Ring::new(3);
        for i in 0..5 {
            ring.push(i);
        }
        assert_eq!(ring.all(), vec![2, 3, 4]);
        let (all, cursor) = ring.since(Cursor::default());
        assert_eq!(all, vec![2, 3, 4]);
        assert_eq!(cursor.position(), 5);
    }

    #[test]
    fn a_cursor_returns_only_what_is_new() {
        let mut ring = Ring::new(10);
        ring.push("a");
        ring.push("b");
        let (first, cursor) = ring.since(Cursor::default());
        assert_eq!(first, vec!["a", "b"]);
        assert_eq!(ring.since(cursor), (vec![], cursor));
        ring.push("c");
        let (next, after) = ring.since(cursor);
        assert_eq!(next, vec!["c"]);
        assert_eq!(after.position(), 3);
    }

    #[test]
    fn a_reader_that_fell_behind_gets_what_is_left() {
        let mut ring = Ring::new(2);
        ring.push(1);
        let (_, cursor) = ring.since(Cursor::default());
        for i in 2..=5 {
            ring.push(i);
        }
        let (next, after) = ring.since(cursor);
        assert_eq!(next, vec![4, 5]);
        assert_eq!(after.position(), 5);
    }

    #[test]
    fn pages_return_everything_once_in_order_and_skip_what_was_evicted() {
        let mut ring = Ring::new(5);
        for i in 0..8 {
            ring.push(i);
        }
        // 0, 1 and 2 were evicted; pages of 2 give 3..8 and then nothing.
        let mut cursor = Cursor::default();
        let mut pages = Vec::new();
        loop {
            let (page, next) = ring.page(cursor, 2);
            assert!(next >= cursor);
            cursor = next;
            if page.is_empty() {
                break;
            }
            pages.push(page);
        }
        assert_eq!(pages, vec![vec![3, 4], vec![5, 6], vec![7]]);
        assert_eq!(cursor.position(), 8);
        // A page stops where the reader stopped reading: the next one goes on from there.
        ring.push(8);
        let (page, next) = ring.page(Cursor(6), 1);
        assert_eq!((page, next.position()), (vec![6], 7));
        assert_eq!(ring.page(next, 0), (vec![], next));
    }

    fn log_get(log: &mut RequestLog, uri: &str, body: &[u8]) {
        let uri: Uri = uri.parse().unwrap();
        log.push(&Method::GET, &uri, 200, body, None);
    }

    fn paths_and_bodies(log: &RequestLog) -> Vec<(String, Option<String>, Vec<u8>)> {
        log.page(Cursor::default(), usize::MAX)
            .0
            .into_iter()
            .map(|r| (r.path, r.query, r.response.bytes().to_vec()))
            .collect()
    }

    #[test]
    fn the_request_log_reads_back_each_request_as_it_was_answered() {
        let mut log = RequestLog::new(10, 1024);
        log_get(&mut log, "/permits?status=approved", b"[]");
        let uri: Uri = "/permits/66f0a1b2c3d4e5f600000abc".parse().unwrap();
        let fault = Some(Fault::ServerErrorAfterEffect);
        log.push(&Method::POST, &uri, 500, b"{\"a\":1}", fault.clone());
        let (read, cursor) = log.page(Cursor::default(), 10);
        assert_eq!(cursor.position(), 2);
        let (first, second) = (&read[0], &read[1]);
        assert_eq!(
            (first.method.as_str(), first.path.as_str()),
            ("GET", "/permits")
        );
        assert_eq!(first.query.as_deref(), Some("status=approved"));
        assert_eq!(
            (first.status, first.response.bytes(), &first.fault),
            (200, &b"[]"[..], &None)
        );
        assert_eq!(
            (second.method.as_str(), second.path.as_str()),
            ("POST", uri.path())
        );
        assert_eq!((second.query.as_deref(), second.status), (None, 500));
        assert_eq!(
            (second.response["a"].as_i64(), &second.fault),
            (Some(1), &fault)
        );
    }

    #[test]
    fn the_request_log_drops_the_oldest_requests_past_its_bytes_or_its_entries() {
        // 12 bytes of texts: two of "/x" + 4 bytes.
        let mut log = RequestLog::new(3, 12);
        for (path, body) in [("/a", "0000"), ("/b", "1111"), ("/c", "2222"), ("/d", "3")] {
            log_get(&mut log, path, body.as_bytes());
        }
        // /a went to make room for /c, /b for /d.
        assert_eq!(
            paths_and_bodies(&log),
            vec![
                ("/c".into(), None, b"2222".to_vec()),
                ("/d".into(), None, b"3".to_vec())
            ]
        );
        assert_eq!(log.page(Cursor::default(), 9).1.position(), 4);

        let mut log = RequestLog::new(2, 1000);
        for path in ["/a", "/b", "/c"] {
            log_get(&mut log, path, b"");
        }
        let kept: Vec<_> = paths_and_bodies(&log).into_iter().map(|k| k.0).collect();
        assert_eq!(kept, ["/b", "/c"]);
    }

    #[test]
    fn the_request_log_reads_texts_that_wrap_around_its_buffer() {
        // Against a model: the last requests that fit 3 entries and 16 bytes, as the buffer's
        // start goes round and round.
        let mut log = RequestLog::new(3, 16);
        let mut pushed: Vec<(String, Option<String>, Vec<u8>)> = Vec::new();
        let mut wrapped = 0;
        for i in 0..200_usize {
            let body = vec![b'a' + (i % 26) as u8; i % 7];
            let query = (i % 3 == 0).then(|| format!("n={}", i % 10));
            let uri = match &query {
                Some(q) => format!("/p{}?{q}", i % 10),
                None => format!("/p{}", i % 10),
            };
            log_get(&mut log, &uri, &body);
            pushed.push((format!("/p{}", i % 10), query, body));
            let mut expected = Vec::new();
            let mut bytes = 0;
            for entry in pushed.iter().rev() {
                let len = entry.0.len() + entry.1.as_ref().map_or(0, String::len) + entry.2.len();
                if !expected.is_empty() && (expected.len() == 3 || bytes + len > 16) {
                    break;
                }
                bytes += len;
                expected.insert(0, entry.clone());
            }
            assert_eq!(paths_and_bodies(&log), expected, "after request {i}");
            wrapped += usize::from(!log.text.as_slices().1.is_empty());
        }
        assert!(wrapped > 10, "the texts wrapped {wrapped} times");
        assert!(log.text.capacity() <= 32, "{}", log.text.capacity());
    }

    #[test]
    fn a_request_longer_than_the_whole_log_is_kept_whole_and_its_room_given_back() {
        let mut log = RequestLog::new(10, 64);
        log_get(&mut log, "/a", b"0123");
        log_get(&mut log, "/events", &[b'e'; 1000]);
        assert_eq!(
            paths_and_bodies(&log),
            vec![("/events".into(), None, vec![b'e'; 1000])]
        );
        assert!(log.text.capacity() >= 1007);
        log_get(&mut log, "/b", b"");
        assert_eq!(paths_and_bodies(&log), vec![("/b".into(), None, vec![])]);
        assert!(log.text.capacity() <= 128, "{}", log.text.capacity());
    }
}
