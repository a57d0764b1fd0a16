//! The exactly-once proof of the PostgreSQL inbox (issue 23): 4 receiver replicas
//! (`examples/pg_receiver.rs`) as separate OS processes on one PostgreSQL that this program
//! starts; a sender that plays Buzz-In (signed deliveries, 3 concurrent copies each, every copy
//! retried at random replicas until a 2xx); replica 0 killed with SIGKILL every second (its
//! handlers sit between their effect and their commit for 5-30 ms, so kills land
//! mid-transaction) and started again; replica 1 SIGSTOPped for 2.5 s, past its 1 s lease,
//! twice. Then every delivery must be done, and the `effects` table must hold exactly one row
//! per delivery. Prints the counts; exits 1 when either fails.
//!
//! ```text
//! cargo build --example pg_receiver --example pg_inbox_faults --features postgres,axum,client
//! target/debug/examples/pg_inbox_faults          # INBOX_DELIVERIES=2000 by default
//! ```
//!
//! Every process it starts is stopped by its pid when its guard drops; every loop is bounded in
//! count and time; traffic stays on 127.0.0.1, on ports chosen at run time.

#[path = "../tests/pg_support/mod.rs"]
mod pg_support;
#[path = "support/sender.rs"]
mod sender;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use buzzin::webhooks::postgres::{sqlx, PgStore};
use pg_support::PgServer;
use sender::{send_copy, Statuses};

const SECRET: &str = "whsec-inbox";
const REPLICAS: usize = 4;
const COPIES: usize = 3;
const LEASE_MS: u64 = 1_000;
/// How long the deliveries are spread over.
const SPAN: Duration = Duration::from_secs(12);

/// A receiver process, killed (SIGKILL, by pid) when dropped.
struct Receiver {
    child: Option<Child>,
}

impl Receiver {
    fn spawn(exe: &PathBuf, url: &str, port: u16) -> Receiver {
        let child = Command::new(exe)
            .env("INBOX_PORT", port.to_string())
            .env("INBOX_DATABASE_URL", url)
            .env("INBOX_LEASE_MS", LEASE_MS.to_string())
            .env("INBOX_SECRET", SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", exe.display()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "a receiver did not listen in 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Receiver { child: Some(child) }
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().map(Child::id).unwrap_or(0);
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::main]
async fn main() {
    let deliveries: usize = std::env::var("INBOX_DELIVERIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let exe = std::env::current_exe()
        .unwrap()
        .with_file_name(format!("pg_receiver{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.is_file(),
        "build the receiver first: cargo build --example pg_receiver --features postgres,axum"
    );
    let server = PgServer::start();
    let url = server.url();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    PgStore::new(pool.clone()).migrate().await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE effects (delivery text NOT NULL, fence bigint NOT NULL, pid integer NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();

    let ports: Vec<u16> = (0..REPLICAS).map(|_| free_port()).collect();
    let receivers: Arc<Mutex<Vec<Receiver>>> = Arc::new(Mutex::new(
        ports
            .iter()
            .map(|&p| Receiver::spawn(&exe, &url, p))
            .collect(),
    ));
    let start = Instant::now();
    let deadline = start + SPAN + Duration::from_secs(40);
    let kills = Arc::new(AtomicUsize::new(0));
    let injector = {
        let (receivers, kills, exe, url, port) = (
            Arc::clone(&receivers),
            Arc::clone(&kills),
            exe.clone(),
            url.clone(),
            ports[0],
        );
        std::thread::spawn(move || {
            // Replica 1 stalls past its lease at 2 s and at 7 s; replica 0 dies every second.
            let mut stops = vec![Duration::from_secs(7), Duration::from_secs(2)];
            while start.elapsed() < SPAN {
                std::thread::sleep(Duration::from_secs(1));
                receivers.lock().unwrap()[0] = Receiver { child: None };
                kills.fetch_add(1, Ordering::Relaxed);
                let fresh = Receiver::spawn(&exe, &url, port);
                receivers.lock().unwrap()[0] = fresh;
                if stops.last().is_some_and(|&at| start.elapsed() >= at) {
                    stops.pop();
                    receivers.lock().unwrap()[1].signal("STOP");
                    std::thread::sleep(Duration::from_millis(2_500));
                    receivers.lock().unwrap()[1].signal("CONT");
                }
            }
        })
    };

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let statuses = Arc::new(Statuses::default());
    let unacknowledged = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for n in 0..deliveries {
        let due = start + SPAN.mul_f64(n as f64 / deliveries as f64) * 8 / 10;
        tokio::time::sleep_until(due.into()).await;
        let (http, ports, statuses, unacknowledged) = (
            http.clone(),
            ports.clone(),
            Arc::clone(&statuses),
            Arc::clone(&unacknowledged),
        );
        tasks.push(tokio::spawn(async move {
            let copies =
                (0..COPIES).map(|_| send_copy(&http, &ports, SECRET, &statuses, n, deadline));
            let acknowledged = futures_util::future::join_all(copies).await;
            if !acknowledged.iter().all(|&a| a) {
                unacknowledged.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    injector.join().expect("the fault injector panicked");
    // Stopped or late handlers finish (or roll back) before the tables are read.
    tokio::time::sleep(Duration::from_millis(LEASE_MS + 500)).await;

    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM buzzin_deliveries WHERE done")
        .fetch_one(&pool)
        .await
        .unwrap();
    let per_delivery: Vec<(String, i64)> =
        sqlx::query_as("SELECT delivery, count(*) FROM effects GROUP BY delivery")
            .fetch_all(&pool)
            .await
            .unwrap();
    let rows: i64 = per_delivery.iter().map(|(_, n)| n).sum();
    let twice = per_delivery.iter().filter(|(_, n)| *n > 1).count();
    let missing = deliveries.saturating_sub(per_delivery.len());
    // Every claim statement (new, in progress, done, or rolled back) took a fence.
    let claims: i64 = sqlx::query_scalar("SELECT last_value FROM buzzin_deliveries_fence")
        .fetch_one(&pool)
        .await
        .unwrap();
    let lost = unacknowledged.load(Ordering::Relaxed);
    let statuses = statuses.sorted();
    println!(
        "{deliveries} deliveries x {COPIES} copies, {REPLICAS} replicas, {} kill -9, 2 SIGSTOPs of 2.5 s (lease 1 s), {:.1} s: \
         effect rows {rows}, deliveries with an effect {}, effects twice {twice}, missing {missing}, \
         done {done}, claim statements {claims}, unacknowledged {lost}; answers {statuses:?}",
        kills.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
        per_delivery.len(),
    );
    drop(receivers);
    drop(pool);
    drop(server);
    let exactly_once = rows == deliveries as i64 && twice == 0 && missing == 0;
    if !exactly_once || lost > 0 || done != deliveries as i64 {
        eprintln!("FAILED: the effect table must hold each delivery exactly once, none lost");
        std::process::exit(1);
    }
}
