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
            if !sent {
                if let Some(at) = line.find("http://127.0.0.1:") {
                    let url: String = line[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    let _ = tx.send(url.trim_end_matches('/').to_owned());
                    sent = true;
                }
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

#[tokio::main]
async fn main() {
    if std::env::var_os("BENCH_SERVE_LIB").is_some() {
        return serve_lib().await;
    }
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
