//! Load benchmark of the simulator: GET and POST requests/s and p99 at 1, 16 and 64 concurrent,
//! at two record counts, with RSS, for the library `Simulator` and the `buzzin simulate` CLI.
//!
//! `cargo bench -p buzzin-sim --bench simulator_load`. Loopback only. Each record count
//! (`BENCH_RECORDS`, default `1000,100000`) gets a fresh simulator process, filled with that many
//! permits; `BENCH_TARGETS` picks `lib`, `cli` or both (default `lib,cli`). Each cell runs
//! `BENCH_ROUNDS` rounds (default 5) of `BENCH_REQUESTS` requests (default 2000) and reports the
//! median round's requests/s and the p99 of all its requests. The GET cells run before the POST
//! cells, which add permits of their own (the row says how many there were at its end).
//!
//! Two more sections (each skipped with `BENCH_STATE=0` / `BENCH_MEMORY=0`):
//!
//! - `--state`: two `buzzin simulate` processes, one with `--state FILE` and one without, filled
//!   with the same number of permits (`BENCH_STATE_RECORDS`, default the largest of
//!   `BENCH_RECORDS`), then measured interleaved (a round of `BENCH_STATE_REQUESTS` POSTs,
//!   default 30000, at 16 concurrent on one, then on the other, `BENCH_ROUNDS` times; a round
//!   spans several writes of the state): the ratio of their median rounds (target >= 0.8), the
//!   ratio of the CPU each process used per POST (a write may run while the other process is
//!   measured; this counts it where it belongs), the state file's size and how long an export
//!   of the same state takes.
//! - memory: one `buzzin simulate` with a request log of one entry, RSS before and after
//!   `BENCH_MEMORY_RECORDS` contractors (default 100000), then as many permits: the bytes per
//!   stored contractor and per permit.
//!
//! Both simulators run in a process of their own, so that the RSS measured is the simulator's
//! and not the load generator's: `cli` is `buzzin simulate`; `lib` is this bench binary run
//! again with `BENCH_SERVE_LIB=1`, starting `buzzin_sim::Simulator` through the library API.
//! RSS is `VmRSS` from `/proc`, with its anonymous part (heap, stacks) and its file part (the
//! binary's code) beside it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use buzzin_sim::Simulator;
use serde_json::{json, Value};

const CONCURRENCY: [usize; 3] = [1, 16, 64];
const KEY: &str = buzzin_sim::DEFAULT_API_KEY;

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// A process's resident memory, in kB, from `/proc/<pid>/status`.
#[derive(Clone, Copy)]
struct Rss {
    total: u64,
    anon: u64,
    file: u64,
}

impl Rss {
    fn of(pid: u32) -> Rss {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
        };
        Rss {
            total: field("VmRSS:"),
            anon: field("RssAnon:"),
            file: field("RssFile:"),
        }
    }
}

impl std::fmt::Display for Rss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} MB ({} kB: anon {}, file {})",
            self.total as f64 / 1024.0,
            self.total,
            self.anon,
            self.file
        )
    }
}

struct Target {
    base: String,
    http: reqwest::Client,
    contractor: String,
    next: std::sync::atomic::AtomicUsize,
}

impl Target {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("loopback request");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    async fn create(&self) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let permit = self
            .send(
                reqwest::Method::POST,
                "/permits",
                Some(json!({"salesforcePermitId": format!("a1SFLOAD{n:09}"),
                    "communityContractorId": self.contractor,
                    "propertyExternalId": "DAMAC-TWR-07", "flatExternalId": "UNIT-0712",
                    "validFrom": "2020-01-01T00:00:00.000Z",
                    "validTill": "2099-01-01T00:00:00.000Z"})),
            )
            .await;
        permit["_id"].as_str().expect("permit id").to_owned()
    }

    /// Creates contractor `n` (its email, phone and Salesforce id derive from `n`).
    async fn create_contractor(&self, n: usize) {
        self.send(
            reqwest::Method::POST,
            "/communityContractors",
            Some(
                json!({"name": "Load Co", "email": format!("load{n}@example.com"),
                "phone": format!("+9715{:08}", n + 1),
                "company": {"companyName": "C",
                    "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                    "tradeLicenseExpiryDate": "2030-01-01"},
                "integrations": {"damac": {"salesforceId": format!("a0SFM{n:09}")}}}),
            ),
        )
        .await;
    }

    async fn new(base: String) -> Target {
        let http = reqwest::Client::new();
        let mut target = Target {
            base,
            http,
            contractor: String::new(),
            next: Default::default(),
        };
        let contractor = target
            .send(
                reqwest::Method::POST,
                "/communityContractors",
                Some(json!({"name": "Load Co", "email": "load@example.com",
                    "phone": "+971500000000",
                    "company": {"companyName": "C",
                        "tradeLicense": {"type": "url", "url": "https://x.example/l.pdf"},
                        "tradeLicenseExpiryDate": "2030-01-01"},
                    "integrations": {"damac": {"salesforceId": "a0SFLOAD"}}})),
            )
            .await;
        target.contractor = contractor["_id"]
            .as_str()
            .expect("contractor id")
            .to_owned();
        let path = format!("/_simulator/contractors/{}/approve", target.contractor);
        target.send(reqwest::Method::POST, &path, None).await;
        target
    }
}

/// Sends `rounds` rounds of `total` requests from `concurrency` workers; the median round's
/// requests/s and the p99 of every request, in ms.
async fn measure(
    target: &Arc<Target>,
    post: bool,
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    total: usize,
    rounds: usize,
) -> (f64, f64) {
    let mut latencies: Vec<Duration> = Vec::new();
    let mut rates = Vec::new();
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        let mut workers = Vec::new();
        let share = (total / concurrency).max(1);
        for w in 0..concurrency {
            let (target, ids) = (target.clone(), ids.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(share);
                for i in 0..share {
                    let t = Instant::now();
                    if post {
                        target.create().await;
                    } else {
                        let id = &ids[(w * share + i) % ids.len()];
                        let path = format!("/permits/{id}");
                        target.send(reqwest::Method::GET, &path, None).await;
                    }
                    latencies.push(t.elapsed());
                }
                latencies
            }));
        }
        let mut sent = 0;
        for w in workers {
            let round = w.await.expect("worker");
            sent += round.len();
            latencies.extend(round);
        }
        rates.push(sent as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    latencies.sort();
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    (rates[rates.len() / 2], p99.as_secs_f64() * 1000.0)
}

/// Creates permits until `ids` holds `records`, 32 at a time.
async fn fill(target: &Arc<Target>, ids: &mut Vec<String>, records: usize) {
    while ids.len() < records {
        let batch = (records - ids.len()).min(32);
        let mut set = Vec::new();
        for _ in 0..batch {
            let t = target.clone();
            set.push(tokio::spawn(async move { t.create().await }));
        }
        for s in set {
            ids.push(s.await.expect("create"));
        }
    }
}

/// One row of the table: a fresh simulator process, `records` permits, the RSS checks and every
/// cell. Returns GET and POST requests/s at 16 concurrent.
async fn row(
    name: &str,
    (mut child, base): (std::process::Child, String),
    records: usize,
    rss_target: bool,
) -> (usize, f64, f64) {
    let requests = env_list("BENCH_REQUESTS", "2000")[0];
    let rounds = env_list("BENCH_ROUNDS", "5")[0];
    let pid = child.id();
    let target = Arc::new(Target::new(base).await);
    let before = Rss::of(pid);
    let mut ids = Vec::new();
    // The first permits are read a few times before the rest are created, so that the code a
    // GET runs is paged in before the RSS after the creates is taken.
    fill(&target, &mut ids, records.min(32)).await;
    let warm = Arc::new(ids.clone());
    measure(&target, false, &warm, 16, 4 * warm.len(), 1).await;
    fill(&target, &mut ids, records).await;
    let ids = Arc::new(ids);
    let after_creates = Rss::of(pid);
    // As many GETs as there are records, twice: reads alone must not grow the memory. The
    // first 1% is sampled on its own: what the allocator settles into when the mix of requests
    // changes shows there, once.
    let first = (records / 100).max(1);
    measure(&target, false, &ids, 16, first, 1).await;
    let after_first_gets = Rss::of(pid);
    measure(&target, false, &ids, 16, records - first, 1).await;
    let after_gets = Rss::of(pid);
    measure(&target, false, &ids, 16, records, 1).await;
    let after_more_gets = Rss::of(pid);
    let mut cells = Vec::new();
    for post in [false, true] {
        for c in CONCURRENCY {
            cells.push(measure(&target, post, &ids, c, requests, rounds).await);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for (i, c) in CONCURRENCY.into_iter().enumerate() {
        let ((get_rps, get_p99), (post_rps, post_p99)) = (cells[i], cells[CONCURRENCY.len() + i]);
        println!(
            "{name:4} {records:>7} records  c={c:<2}  GET {get_rps:>8.0}/s p99 {get_p99:>7.2} ms   POST {post_rps:>8.0}/s p99 {post_p99:>7.2} ms"
        );
    }
    let permits = target.next.load(std::sync::atomic::Ordering::Relaxed);
    println!("{name:4} {records:>7} records  ({permits} permits when the POST cells ended)");
    println!("{name:4} {records:>7} records  RSS before {before}");
    println!("{name:4} {records:>7} records  RSS after creates {after_creates}");
    // The target holds once the request log is full (at the largest count): below that,
    // reads add log entries as they should.
    let goal = if rss_target { ", target <= 1" } else { "" };
    println!(
        "{name:4} {records:>7} records  RSS after {records} GETs {after_gets} (ratio {:.4}{goal})",
        after_gets.total as f64 / after_creates.total as f64
    );
    println!("{name:4} {records:>7} records  RSS after {records} more GETs {after_more_gets}");
    println!(
        "{name:4} {records:>7} records  RSS growth in kB: first {first} GETs {:+}, next {} GETs {:+}, next {records} GETs {:+}",
        after_first_gets.total as i64 - after_creates.total as i64,
        records - first,
        after_gets.total as i64 - after_first_gets.total as i64,
        after_more_gets.total as i64 - after_gets.total as i64
    );
    let i16 = CONCURRENCY.iter().position(|&c| c == 16).expect("c=16");
    (records, cells[i16].0, cells[CONCURRENCY.len() + i16].0)
}

fn ratios(name: &str, summary: &[(usize, f64, f64)]) {
    if let (Some(small), Some(large)) = (summary.first(), summary.last()) {
        println!(
            "{name:4} throughput {} vs {} records (c=16): GET {:.2}x, POST {:.2}x slower (target <= 1.5)",
            large.0,
            small.0,
            small.1 / large.1,
            small.2 / large.2
        );
    }
}

/// Starts `program` with `args` (and `env`, if any), and reads the simulator's base URL from its stdout.
fn spawn_simulator(
    program: &std::path::Path,
    args: &[&str],
    env: Option<(&str, &str)>,
) -> (std::process::Child, String) {
    let mut child = std::process::Command::new(program)
        .args(args)
        .envs(env)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("a simulator process");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut sent = false;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if !sent && let Some(at) = line.find("http://127.0.0.1:") {
                let url: String = line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let _ = tx.send(url.trim_end_matches('/').to_owned());
                sent = true;
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the simulator prints its URL");
    (child, base)
}

/// The `lib` simulator process: `buzzin_sim::Simulator` until stdin closes.
async fn serve_lib() {
    let sim = Simulator::builder()
        .port(0)
        .control_api()
        .start()
        .await
        .expect("simulator");
    println!("{}", sim.base_url());
    tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
        .await
        .expect("stdin reader")
        .expect("stdin");
}

/// The CPU time a process has used (user and system), in seconds, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc");
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 2..]
        .split_whitespace()
        .collect();
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    // Linux's USER_HZ is 100 on every architecture it runs on.
    ticks / 100.0
}

/// POST throughput at 16 concurrent with `--state` and without, measured interleaved.
async fn state_ratio(cli: &std::path::Path, records: usize) {
    let rounds = env_list("BENCH_ROUNDS", "5")[0];
    // Rounds long enough to span several writes of the state (one a second at the soonest).
    let requests = env_list("BENCH_STATE_REQUESTS", "30000")[0];
    let file = std::env::temp_dir().join(format!("buzzin-bench-state-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let file_arg = file.to_string_lossy().into_owned();
    let (mut plain_child, plain_base) = spawn_simulator(cli, &["simulate", "--port", "0"], None);
    let (mut state_child, state_base) = spawn_simulator(
        cli,
        &["simulate", "--port", "0", "--state", &file_arg],
        None,
    );
    let plain = Arc::new(Target::new(plain_base).await);
    let stated = Arc::new(Target::new(state_base.clone()).await);
    let (mut plain_ids, mut state_ids) = (Vec::new(), Vec::new());
    fill(&plain, &mut plain_ids, records).await;
    fill(&stated, &mut state_ids, records).await;
    let (plain_ids, state_ids) = (Arc::new(plain_ids), Arc::new(state_ids));
    let (cpu_plain, cpu_stated) = (cpu_seconds(plain_child.id()), cpu_seconds(state_child.id()));
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let (mut p99_without, mut p99_with) = (0f64, 0f64);
    for _ in 0..rounds.max(1) {
        let (rate, p99) = measure(&plain, true, &plain_ids, 16, requests, 1).await;
        without.push(rate);
        p99_without = p99_without.max(p99);
        let (rate, p99) = measure(&stated, true, &state_ids, 16, requests, 1).await;
        with.push(rate);
        p99_with = p99_with.max(p99);
    }
    // A write of the state may run while the other process is measured: the CPU each process
    // used for its POSTs (its writes after the last round included) says what a write costs,
    // wherever it ran.
    // Until the file holds the last permit (its writes after the last round are its cost too),
    // 120 s at most.
    let last = format!(
        "a1SFLOAD{:09}",
        stated.next.load(std::sync::atomic::Ordering::Relaxed) - 1
    );
    let waited = Instant::now();
    while !std::fs::read_to_string(&file)
        .unwrap_or_default()
        .contains(&last)
    {
        assert!(
            waited.elapsed() < Duration::from_secs(120),
            "the state file never held the last permit"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let cpu_plain = cpu_seconds(plain_child.id()) - cpu_plain;
    let cpu_stated = cpu_seconds(state_child.id()) - cpu_stated;
    let posts = (rounds.max(1) * (requests / 16).max(1) * 16) as f64;
    without.sort_by(f64::total_cmp);
    with.sort_by(f64::total_cmp);
    let (without, with) = (without[without.len() / 2], with[with.len() / 2]);
    // What one write of that state costs, near enough: an export of it over HTTP.
    let started = Instant::now();
    let exported = reqwest::Client::new()
        .get(format!("{state_base}/_simulator/snapshot"))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("the export")
        .bytes()
        .await
        .expect("the export's body");
    let export_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _ = state_child.kill();
    let _ = state_child.wait();
    let _ = plain_child.kill();
    let _ = plain_child.wait();
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&file);
    let permits = stated.next.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "--state at {records} records (c=16, POST, interleaved, median of {rounds}): {with:.0}/s with, {without:.0}/s without: ratio {:.2} (target >= 0.8)",
        with / without
    );
    println!("--state p99 (the worst round's): {p99_with:.2} ms with, {p99_without:.2} ms without");
    println!(
        "--state CPU per 1000 POSTs (the server process, its writes included): {:.1} ms with, {:.1} ms without: CPU-bound throughput ratio {:.2} (target >= 0.8)",
        cpu_stated * 1e6 / posts,
        cpu_plain * 1e6 / posts,
        cpu_plain / cpu_stated
    );
    println!(
        "--state file at the end: {:.2} MB ({permits} permits; {rounds} rounds of {requests} POSTs each); an export of it took {export_ms:.0} ms ({:.2} MB)",
        size as f64 / 1e6,
        exported.len() as f64 / 1e6
    );
}

/// The RSS one stored contractor and one stored permit add.
async fn memory_per_record(cli: &std::path::Path, records: usize) {
    let (mut child, base) = spawn_simulator(
        cli,
        &[
            "simulate",
            "--port",
            "0",
            "--log-capacity",
            "1",
            "--request-log-bytes",
            "1",
        ],
        None,
    );
    let pid = child.id();
    let target = Arc::new(Target::new(base).await);
    // Warm up both paths before the first measure, so that their code is paged in.
    let mut ids = Vec::new();
    fill(&target, &mut ids, 32).await;
    for n in 0..32 {
        target.create_contractor(1_000_000_000 + n).await;
    }
    let before = Rss::of(pid);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (target, next) = (target.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= records {
                    return;
                }
                target.create_contractor(n).await;
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    let after_contractors = Rss::of(pid);
    fill(&target, &mut ids, records + 32).await;
    let after_permits = Rss::of(pid);
    let _ = child.kill();
    let _ = child.wait();
    let per = |a: Rss, b: Rss| (b.total as f64 - a.total as f64) * 1024.0 / records as f64;
    println!(
        "memory: {records} contractors {:+} kB RSS: {:.0} bytes per contractor; {records} permits {:+} kB: {:.0} bytes per permit (request log of 1 entry; RSS before {before})",
        after_contractors.total as i64 - before.total as i64,
        per(before, after_contractors),
        after_permits.total as i64 - after_contractors.total as i64,
        per(after_contractors, after_permits),
    );
}

#[tokio::main]
async fn main() {
    if std::env::var_os("BENCH_SERVE_LIB").is_some() {
        return serve_lib().await;
    }
    let enabled = |name: &str| std::env::var(name).map_or(true, |v| v != "0");
    let targets = std::env::var("BENCH_TARGETS").unwrap_or_else(|_| "lib,cli".into());
    let counts = env_list("BENCH_RECORDS", "1000,100000");
    let this = std::env::current_exe().expect("the bench binary");
    let cli = std::path::Path::new(env!("CARGO_BIN_EXE_buzzin"));
    let mut summaries = Vec::new();
    for name in ["lib", "cli"].into_iter().filter(|n| targets.contains(n)) {
        let mut summary = Vec::new();
        for &records in &counts {
            let process = if name == "lib" {
                spawn_simulator(&this, &[], Some(("BENCH_SERVE_LIB", "1")))
            } else {
                spawn_simulator(cli, &["simulate", "--port", "0"], None)
            };
            let last = Some(&records) == counts.last();
            summary.push(row(name, process, records, last).await);
        }
        ratios(name, &summary);
        summaries.push(summary);
    }
    if enabled("BENCH_STATE") {
        let records = env_list("BENCH_STATE_RECORDS", "")
            .first()
            .copied()
            .or_else(|| counts.iter().copied().max())
            .unwrap_or(1000);
        state_ratio(cli, records).await;
    }
    if enabled("BENCH_MEMORY") {
        let records = env_list("BENCH_MEMORY_RECORDS", "100000")[0];
        memory_per_record(cli, records).await;
    }
    if let [lib, cli] = &summaries[..] {
        for (l, c) in lib.iter().zip(cli) {
            println!(
                "cli vs lib at {} records (c=16): GET {:.2}x, POST {:.2}x slower (target <= 1.2)",
                l.0,
                l.1 / c.1,
                l.2 / c.2
            );
        }
    }
}
