//! The SDK call against a hand-written reqwest call to the same local server with the same
//! payload, in one run: sequential latency and 64-task throughput, printed as ratios.
//!
//! Run: `cargo bench --bench client` (env `BUZZIN_BENCH_ROUNDS`, default 10, scales the run).
//! Targets: latency ratio (SDK / raw) ≤ 1.05, throughput ratio (SDK / raw) ≥ 0.95; a
//! retried call whose retry waits zero (503 with `Retry-After: 0`, then 200) ≤ 1.3× a hand
//! retry over raw reqwest. The latency and throughput comparisons run twice in one process:
//! without a subscriber, then with spans enabled and a subscriber installed (a
//! `tracing-subscriber` fmt layer at INFO writing nowhere), against the same raw baseline. With
//! the subscriber, the raw call is also run inside the same two spans written by hand, as a
//! reference: what any client pays for that telemetry under this subscriber.
//!
//! The server is a minimal HTTP/1.1 keep-alive responder on 127.0.0.1 (one thread per
//! connection), answering every request with the documentation's create-permit response, so
//! the figures measure the client side only. Both sides send the documentation's create-permit
//! request with the same key and user agent, decode the same `Permit`, and share one reqwest
//! connection pool. Latency alternates SDK and raw call by call (median and 10 %-trimmed mean
//! of each); throughput runs 64 tasks in back-to-back SDK/raw pairs and reports the median of
//! the pairs' ratios, which cancels the drift of a shared machine.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use buzzin::models::{CreatePermitRequest, Permit};
use buzzin::Client;

const REQUEST: &str = include_str!("../tests/data/doc-examples/create-permit.request.json");
const RESPONSE: &str = include_str!("../tests/data/doc-examples/create-permit.response.json");
const KEY: &str = "bz_bench_key";
const PERMIT_ID: &str = "66f0a1b2c3d4e5f600000abc";
const TASKS: usize = 64;
/// Back-to-back throughput runs (one SDK, one raw) per measurement.
const PAIRS: usize = 11;

fn main() {
    let rounds: usize = std::env::var("BUZZIN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let addr = start_server();
    let base = format!("http://{addr}");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let request: CreatePermitRequest = serde_json::from_str(REQUEST).unwrap();
        // Each side has a reqwest pool with the same settings (the SDK's follows no redirect,
        // which costs nothing on a 200): what differs is only what the SDK does around the
        // HTTP exchange.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let sdk = Client::builder()
            .api_key(KEY)
            .base_url(&base)
            .build()
            .unwrap();
        let raw = Raw {
            http,
            url: format!("{base}/permits"),
        };

        // Both answers decode to the same permit.
        let a = sdk_call(&sdk, &request).await;
        let b = raw.call(&request).await;
        assert_eq!(a, b);
        assert!(a.id.is_some());

        // Warm up both pools.
        for _ in 0..200 {
            sdk_call(&sdk, &request).await;
            raw.call(&request).await;
        }

        compare(&sdk, &raw, request.clone(), rounds, "no subscriber").await;
        // The same, with spans enabled and a subscriber installed (a fmt layer at INFO that
        // formats every span's fields, written nowhere).
        {
            use tracing_subscriber::layer::SubscriberExt;
            // At INFO, as a service runs: reqwest's and hyper's DEBUG and TRACE events stay off.
            let subscriber = tracing_subscriber::registry()
                .with(tracing_subscriber::filter::LevelFilter::INFO)
                .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink));
            tracing::subscriber::set_global_default(subscriber).unwrap();
        }
        compare(
            &sdk,
            &raw,
            request,
            rounds,
            "spans on, subscriber installed",
        )
        .await;

        zero_wait_retry(rounds).await;
    });
}

/// A `GET /permits/{id}` answered 503 with `Retry-After: 0`, then 200: the SDK's retried call
/// against a hand retry over raw reqwest, alternating call by call.
async fn zero_wait_retry(rounds: usize) {
    let addr = start_server_cycling(vec![
        answer(
            "503 Service Unavailable",
            &["retry-after: 0"],
            r#"{"name":"Unavailable","message":"busy","code":503}"#,
        ),
        answer("200 OK", &[], RESPONSE),
    ]);
    let base = format!("http://{addr}");
    let sdk = Client::builder()
        .api_key(KEY)
        .base_url(&base)
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{base}/permits/{PERMIT_ID}");
    let raw = || async {
        loop {
            let response = http
                .get(&url)
                .header("x-api-key", KEY)
                .header("user-agent", buzzin::client::USER_AGENT)
                .send()
                .await
                .unwrap();
            if response.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE
                && response
                    .headers()
                    .get("retry-after")
                    .is_some_and(|v| v.as_bytes() == b"0")
            {
                response.bytes().await.unwrap();
                continue;
            }
            let permit: Permit = response.error_for_status().unwrap().json().await.unwrap();
            return permit;
        }
    };
    let sdk_get = || async { sdk.permits().get(PERMIT_ID).await.unwrap() };
    assert_eq!(sdk_get().await, raw().await);
    for _ in 0..100 {
        sdk_get().await;
        raw().await;
    }
    let calls = 100 * rounds;
    let (mut sdk_times, mut raw_times) = (Vec::with_capacity(calls), Vec::with_capacity(calls));
    for i in 0..2 * calls {
        let t = Instant::now();
        if i % 2 == 0 {
            raw().await;
            raw_times.push(t.elapsed());
        } else {
            sdk_get().await;
            sdk_times.push(t.elapsed());
        }
    }
    let (sdk_med, raw_med) = (median(&mut sdk_times), median(&mut raw_times));
    println!("zero-wait retry (503 + Retry-After: 0, then 200), {calls} sequential calls each:");
    println!("  raw reqwest, hand retry  median {raw_med:>9.1?}");
    println!("  buzzin SDK               median {sdk_med:>9.1?}");
    println!(
        "  zero-wait retry ratio (SDK / raw, median): {:.3}; target <= 1.3",
        sdk_med.as_secs_f64() / raw_med.as_secs_f64()
    );
}

/// Latency and 64-task throughput, SDK against raw, printed under `label`.
async fn compare(
    sdk: &Client,
    raw: &Raw,
    request: CreatePermitRequest,
    rounds: usize,
    label: &str,
) {
    let request = &request;
    // Latency: sequential calls, alternating SDK and raw call by call so that any drift of
    // a shared machine hits both alike.
    let calls = 200 * rounds;
    let (mut sdk_times, mut raw_times) = (Vec::with_capacity(calls), Vec::with_capacity(calls));
    for i in 0..2 * calls {
        let t = Instant::now();
        if i % 2 == 0 {
            raw.call(request).await;
            raw_times.push(t.elapsed());
        } else {
            sdk_call(sdk, request).await;
            sdk_times.push(t.elapsed());
        }
    }
    let (sdk_med, raw_med) = (median(&mut sdk_times), median(&mut raw_times));
    let (sdk_mean, raw_mean) = (trimmed_mean(&sdk_times), trimmed_mean(&raw_times));
    println!(
        "[{label}] latency, {} sequential calls each:",
        sdk_times.len()
    );
    println!("  raw reqwest  median {raw_med:>9.1?}  trimmed mean {raw_mean:>9.1?}");
    println!("  buzzin SDK   median {sdk_med:>9.1?}  trimmed mean {sdk_mean:>9.1?}");
    let latency_ratio = sdk_med.as_secs_f64() / raw_med.as_secs_f64();
    println!(
        "  latency ratio (SDK / raw, median): {latency_ratio:.3} (trimmed mean: {:.3}); target <= 1.05",
        sdk_mean.as_secs_f64() / raw_mean.as_secs_f64()
    );

    // Throughput: 64 tasks sharing one client, alternating runs, best of each.
    let calls_per_task = 10 * rounds.max(1);
    let (mut best_sdk, mut best_raw) = (0f64, 0f64);
    let mut pair_ratios = Vec::with_capacity(PAIRS);
    let request = Arc::new(request.clone());
    let raw_task = {
        let (raw, request) = (raw.clone(), request.clone());
        move || {
            let (raw, request) = (raw.clone(), request.clone());
            async move {
                raw.call(&request).await;
            }
        }
    };
    let sdk_task = {
        let (sdk, request) = (sdk.clone(), request.clone());
        move || {
            let (sdk, request) = (sdk.clone(), request.clone());
            async move {
                sdk_call(&sdk, &request).await;
            }
        }
    };
    for i in 0..PAIRS {
        // Back-to-back pairs, alternating which goes first; a pair's ratio cancels the
        // slow drift of a shared machine.
        let (sdk, raw) = if i % 2 == 0 {
            let raw = throughput(calls_per_task, raw_task.clone()).await;
            (throughput(calls_per_task, sdk_task.clone()).await, raw)
        } else {
            let sdk = throughput(calls_per_task, sdk_task.clone()).await;
            (sdk, throughput(calls_per_task, raw_task.clone()).await)
        };
        best_sdk = best_sdk.max(sdk);
        best_raw = best_raw.max(raw);
        pair_ratios.push(sdk / raw);
    }
    println!(
        "[{label}] throughput, {TASKS} tasks x {calls_per_task} calls, {PAIRS} back-to-back pairs:"
    );
    println!("  raw reqwest  best {best_raw:>9.0} calls/s");
    println!("  buzzin SDK   best {best_sdk:>9.0} calls/s");
    println!(
        "  throughput ratio (SDK / raw, median of pairs): {:.3} (best vs best: {:.3}); target >= 0.95",
        median_ratio(&mut pair_ratios),
        best_sdk / best_raw
    );
    if tracing::dispatcher::has_been_set() {
        // For reference: the raw call inside the same two spans, with the same fields, written
        // by hand. What any client pays for that telemetry under this subscriber.
        let spanned_task = {
            let (raw, request) = (raw.clone(), request.clone());
            move || {
                let (raw, request) = (raw.clone(), request.clone());
                async move {
                    raw.call_in_spans(&request).await;
                }
            }
        };
        let mut ratios = Vec::with_capacity(PAIRS);
        let mut sdk_vs_spanned = Vec::with_capacity(PAIRS);
        for i in 0..PAIRS {
            let (spanned, plain, sdk) = if i % 2 == 0 {
                let plain = throughput(calls_per_task, raw_task.clone()).await;
                let spanned = throughput(calls_per_task, spanned_task.clone()).await;
                (
                    spanned,
                    plain,
                    throughput(calls_per_task, sdk_task.clone()).await,
                )
            } else {
                let sdk = throughput(calls_per_task, sdk_task.clone()).await;
                let spanned = throughput(calls_per_task, spanned_task.clone()).await;
                (
                    spanned,
                    throughput(calls_per_task, raw_task.clone()).await,
                    sdk,
                )
            };
            ratios.push(spanned / plain);
            sdk_vs_spanned.push(sdk / spanned);
        }
        println!(
            "  for reference, raw reqwest in the same two spans by hand / raw reqwest: {:.3}; \
             SDK / that: {:.3} (medians of {PAIRS} runs)",
            median_ratio(&mut ratios),
            median_ratio(&mut sdk_vs_spanned)
        );
    }
}

async fn sdk_call(client: &Client, request: &CreatePermitRequest) -> Permit {
    client
        .permits()
        .create_from(request.clone())
        .send()
        .await
        .unwrap()
        .into_record()
}

/// What a careful hand-written call looks like: same URL, key, user agent, body and type.
#[derive(Clone)]
struct Raw {
    http: reqwest::Client,
    url: String,
}

impl Raw {
    async fn call(&self, request: &CreatePermitRequest) -> Permit {
        let request = request.clone();
        let response = self
            .http
            .post(&self.url)
            .header("x-api-key", KEY)
            .header("user-agent", buzzin::client::USER_AGENT)
            .json(&request)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        response.json().await.unwrap()
    }

    /// [`call`](Self::call) inside the two spans the SDK opens, with the same fields: a call
    /// span entered while it is polled, and an attempt span around the exchange.
    async fn call_in_spans(&self, request: &CreatePermitRequest) -> Permit {
        use tracing::Instrument;
        let call = tracing::info_span!(
            "buzzin.call",
            otel.name = %"createPermit",
            buzzin.operation = %"createPermit",
            "error.type" = tracing::field::Empty,
        );
        async {
            let url = reqwest::Url::parse(&self.url).unwrap();
            let attempt = tracing::info_span!(
                "buzzin.request",
                otel.name = %"POST /permits",
                otel.kind = %"client",
                http.request.method = %"POST",
                server.address = %url.host_str().unwrap_or_default(),
                server.port = url.port_or_known_default(),
                url.template = %"/permits",
                http.response.status_code = tracing::field::Empty,
                http.request.resend_count = tracing::field::Empty,
                "error.type" = tracing::field::Empty,
            );
            let response = async {
                self.http
                    .post(url)
                    .header("x-api-key", KEY)
                    .header("user-agent", buzzin::client::USER_AGENT)
                    .json(request)
                    .send()
                    .await
                    .unwrap()
            }
            .instrument(attempt.clone())
            .await;
            attempt.record("http.response.status_code", response.status().as_u16());
            let response = response.error_for_status().unwrap();
            response.json::<Permit>().await.unwrap()
        }
        .instrument(call)
        .await
    }
}

async fn throughput<F, Fut>(calls_per_task: usize, make: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let make = make.clone();
            tokio::spawn(async move {
                for _ in 0..calls_per_task {
                    make().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (TASKS * calls_per_task) as f64 / started.elapsed().as_secs_f64()
}

/// The median of ratios measured in back-to-back runs.
fn median_ratio(ratios: &mut [f64]) -> f64 {
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// The mean of the middle 80 % of sorted `times` (the slowest and fastest 10 % dropped).
fn trimmed_mean(sorted: &[Duration]) -> Duration {
    let cut = sorted.len() / 10;
    let middle = &sorted[cut..sorted.len() - cut];
    middle.iter().sum::<Duration>() / middle.len() as u32
}

/// A keep-alive HTTP/1.1 server answering every request with `RESPONSE` (201).
fn start_server() -> std::net::SocketAddr {
    start_server_cycling(vec![answer("201 Created", &[], RESPONSE)])
}

/// A whole HTTP/1.1 response with a JSON body, leaked for the server threads.
fn answer(status: &str, headers: &[&str], body: &str) -> &'static [u8] {
    let mut extra = String::new();
    for header in headers {
        extra.push_str(header);
        extra.push_str("\r\n");
    }
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\n\r\n{body}",
        body.len(),
    )
    .into_bytes();
    Box::leak(response.into_boxed_slice())
}

/// A keep-alive HTTP/1.1 server answering the requests it receives, across all connections, with
/// `responses` in turn (the first, the second, …, then the first again).
fn start_server_cycling(responses: Vec<&'static [u8]>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let responses: &'static [&'static [u8]] = Box::leak(responses.into_boxed_slice());
    let turn: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let stream = stream.unwrap();
            std::thread::spawn(move || {
                serve(stream, || {
                    responses[turn.fetch_add(1, Ordering::Relaxed) % responses.len()]
                })
            });
        }
    });
    addr
}

fn serve(mut stream: TcpStream, response: impl Fn() -> &'static [u8]) {
    stream.set_nodelay(true).unwrap();
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // Read one request: headers, then content-length bytes of body.
        let (head_end, body_len) = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                break (end + 4, len);
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        while buf.len() < head_end + body_len {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + body_len);
        if stream.write_all(response()).is_err() {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
