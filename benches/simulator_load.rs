//! Load benchmark of the simulator: GET and POST requests/s and p99 at 1, 16 and 64 concurrent,
//! at two record counts, with RSS, for the library `Simulator` and the `buzzin simulate` CLI.
//!
//! `cargo bench --all-features --bench simulator_load`. Loopback only. Bounded: each cell
//! sends `BENCH_REQUESTS` requests (default 2000); the record counts are `BENCH_RECORDS`
//! (default `1000,100000`); `BENCH_TARGETS` picks `lib`, `cli` or both (default `lib,cli`).

use std::time::{Duration, Instant};

use buzzin::testing::Simulator;
use serde_json::{json, Value};

const CONCURRENCY: [usize; 3] = [1, 16, 64];
const KEY: &str = buzzin::testing::DEFAULT_API_KEY;

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// Resident memory of a process, in MB, from `/proc/<pid>/status`.
fn rss_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
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

/// Sends `total` requests from `concurrency` workers; requests/s and p99 in ms.
async fn measure(
    target: &std::sync::Arc<Target>,
    post: bool,
    ids: &std::sync::Arc<Vec<String>>,
    concurrency: usize,
    total: usize,
) -> (f64, f64) {
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (target, ids) = (target.clone(), ids.clone());
        let share = total / concurrency;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for i in 0..share {
                let t = Instant::now();
                if post {
                    target.create().await;
                } else {
                    let id = &ids[(w * share + i) % ids.len()];
                    target
                        .send(reqwest::Method::GET, &format!("/permits/{id}"), None)
                        .await;
                }
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for w in workers {
        latencies.extend(w.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    (latencies.len() as f64 / elapsed, p99.as_secs_f64() * 1000.0)
}

/// Runs every cell against one target; returns GET requests/s at 16 concurrent per record count.
async fn run(name: &str, base: String, pid: &str) -> Vec<(usize, f64, f64)> {
    let requests = env_list("BENCH_REQUESTS", "2000")[0];
    let target = std::sync::Arc::new(Target::new(base).await);
    let mut summary = Vec::new();
    let mut ids = Vec::new();
    for records in env_list("BENCH_RECORDS", "1000,100000") {
        let before = rss_mb(pid);
        // Fill to `records` permits, 32 at a time.
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
        // The GETs' list of ids is made before measuring: in the library's case the bench shares
        // the process it measures.
        let shared_ids = std::sync::Arc::new(ids.clone());
        let after_creates = rss_mb(pid);
        // As many GETs as there are records, before the cells below add permits of their own,
        // so that the comparison sees reads only.
        measure(&target, false, &shared_ids, 16, records).await;
        let after_gets = rss_mb(pid);
        measure(&target, false, &shared_ids, 16, records).await;
        let after_more_gets = rss_mb(pid);
        println!(
            "{name:4} {records:>7} records  RSS after {records} more GETs {after_more_gets:.1} MB"
        );
        let mut get16 = 0.0;
        let mut post16 = 0.0;
        for c in CONCURRENCY {
            let (get_rps, get_p99) = measure(&target, false, &shared_ids, c, requests).await;
            let (post_rps, post_p99) = measure(&target, true, &shared_ids, c, requests).await;
            if c == 16 {
                (get16, post16) = (get_rps, post_rps);
            }
            println!(
                "{name:4} {records:>7} records  c={c:<2}  GET {get_rps:>8.0}/s p99 {get_p99:>7.2} ms   POST {post_rps:>8.0}/s p99 {post_p99:>7.2} ms"
            );
        }
        println!(
            "{name:4} {records:>7} records  RSS before {before:.1} MB, after creates {after_creates:.1} MB, after {records} GETs {after_gets:.1} MB (ratio {:.3}, target <= 1)",
            after_gets / after_creates
        );
        summary.push((records, get16, post16));
    }
    summary
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

#[tokio::main]
async fn main() {
    let targets = std::env::var("BENCH_TARGETS").unwrap_or_else(|_| "lib,cli".into());
    let mut lib = Vec::new();
    if targets.contains("lib") {
        let sim = Simulator::builder()
            .port(0)
            .control_api()
            .start()
            .await
            .expect("simulator");
        lib = run("lib", sim.base_url().to_owned(), "self").await;
        drop(sim);
        ratios("lib", &lib);
    }
    if !targets.contains("cli") {
        return;
    }

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_buzzin"))
        .args(["simulate", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("buzzin simulate");
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
        .expect("the CLI prints its URL");
    let cli = run("cli", base, &child.id().to_string()).await;
    let _ = child.kill();
    let _ = child.wait();
    ratios("cli", &cli);
    for (l, c) in lib.iter().zip(&cli) {
        println!(
            "cli vs lib at {} records (c=16): GET {:.2}x, POST {:.2}x slower (target <= 1.2)",
            l.0,
            l.1 / c.1,
            l.2 / c.2
        );
    }
}
