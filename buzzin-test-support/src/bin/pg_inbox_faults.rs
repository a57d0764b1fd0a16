//! The exactly-once proof of the PostgreSQL inbox: 4 receiver replicas
//! (`pg_receiver`, a pool of 8 connections each) as separate OS processes on one
//! PostgreSQL that this program starts; a sender that plays Buzz-In (signed deliveries, 3
//! concurrent copies each, every copy retried at random replicas until a 2xx, with a 1 s
//! request timeout, so handlers are dropped mid-flight). One run per scenario:
//!
//! - `replicas`: replica 0 killed with SIGKILL every second (its handlers sit between their
//!   effect and their commit for 5-30 ms, so kills land mid-transaction) and started again;
//!   replica 1 SIGSTOPped for 2.5 s, past its 1 s lease, twice;
//! - `restart-1s` and `restart-10s`: PostgreSQL stopped at once (`-m immediate`: SIGQUIT) and
//!   started again 1 s or 10 s later, with no receiver restarted;
//! - `exhausted`: PostgreSQL with `max_connections=8`, below the replicas' 4 x 8 pools.
//!
//! Then every delivery must be acknowledged and done, the `effects` table must hold exactly
//! one row per delivery, no delivery may be done without its effect, and (after a restart) the
//! first 2xx must come within 2 s of PostgreSQL answering again. Prints one line a scenario;
//! exits 1 when any of these fails.
//!
//! ```text
//! cargo build -p buzzin-test-support --features faults --bin pg_receiver --bin pg_inbox_faults
//! target/debug/pg_inbox_faults          # INBOX_DELIVERIES=1200 by default
//! INBOX_ONLY=restart target/debug/pg_inbox_faults   # the scenarios named restart…
//! ```
//!
//! Every process it starts is stopped by its pid when its guard drops; every loop is bounded in
//! count and time; traffic stays on 127.0.0.1, on ports chosen at run time.

#[path = "support/sender.rs"]
mod sender;

use buzzin_test_support::free_port;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use buzzin::webhooks::store::postgres::{sqlx, PgStore};
use buzzin_test_support::pg::PgServer;
use sender::{send_all, Sent};

const SECRET: &str = "whsec-inbox";
const REPLICAS: usize = 4;
const COPIES: usize = 3;
const LEASE_MS: u64 = 1_000;
/// Each replica's pool: 4 x 8 stays below PostgreSQL's default 100 connections.
const POOL: u32 = 8;
/// How soon after PostgreSQL answers again a receiver must acknowledge a delivery.
const RECOVERY: Duration = Duration::from_secs(2);
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
            .env("INBOX_POOL", POOL.to_string())
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    Replicas,
    Restart1s,
    Restart10s,
    Exhausted,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Replicas => "replicas: kill -9 every 1 s, SIGSTOP 2.5 s twice",
            Scenario::Restart1s => "restart-1s: PostgreSQL stop -m immediate, 1 s down",
            Scenario::Restart10s => "restart-10s: PostgreSQL stop -m immediate, 10 s down",
            Scenario::Exhausted => "exhausted: max_connections=8 below 4 pools of 8",
        }
    }
}

/// What one scenario measured.
struct Report {
    line: String,
    failures: Vec<String>,
}

/// Runs one scenario with `deliveries` deliveries.
async fn run(scenario: Scenario, deliveries: usize, exe: &PathBuf) -> Report {
    let mut server = if scenario == Scenario::Exhausted {
        PgServer::start_with(&["max_connections=8", "superuser_reserved_connections=1"])
    } else {
        PgServer::start()
    };
    let url = server.url();
    let setup = sqlx::PgPool::connect(&url).await.unwrap();
    PgStore::new(setup.clone()).migrate().await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE effects (delivery text NOT NULL, fence bigint NOT NULL, pid integer NOT NULL)",
    )
    .execute(&setup)
    .await
    .unwrap();
    // The checks' connection is opened again after the run: a restart cuts this one, and
    // with 8 connections it would take one of the receivers'.
    setup.close().await;

    let ports: Vec<u16> = (0..REPLICAS).map(|_| free_port()).collect();
    let receivers: Arc<Mutex<Vec<Receiver>>> = Arc::new(Mutex::new(
        ports
            .iter()
            .map(|&p| Receiver::spawn(exe, &url, p))
            .collect(),
    ));
    let start = Instant::now();
    let deadline = start + SPAN + Duration::from_secs(90);
    let kills = Arc::new(AtomicUsize::new(0));
    let (answering_again_tx, answering_again_rx) = std::sync::mpsc::channel::<Instant>();
    let injector = {
        let (receivers, kills, exe, url, port) = (
            Arc::clone(&receivers),
            Arc::clone(&kills),
            exe.clone(),
            url.clone(),
            ports[0],
        );
        std::thread::spawn(move || {
            match scenario {
                Scenario::Replicas => {
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
                }
                Scenario::Restart1s | Scenario::Restart10s => {
                    std::thread::sleep(Duration::from_secs(3));
                    server.stop_immediately();
                    std::thread::sleep(if scenario == Scenario::Restart1s {
                        Duration::from_secs(1)
                    } else {
                        Duration::from_secs(10)
                    });
                    server.start_again();
                    let _ = answering_again_tx.send(Instant::now());
                }
                Scenario::Exhausted => {}
            }
            server
        })
    };

    let Sent {
        statuses,
        unacknowledged,
    } = send_all(&ports, SECRET, deliveries, COPIES, (start, SPAN), deadline).await;
    let server = injector.join().expect("the fault injector panicked");
    // Stopped or late handlers finish (or roll back) before the tables are read.
    tokio::time::sleep(Duration::from_millis(LEASE_MS + 500)).await;
    drop(receivers);

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let per_delivery: Vec<(String, i64)> =
        sqlx::query_as("SELECT delivery, count(*) FROM effects GROUP BY delivery")
            .fetch_all(&pool)
            .await
            .unwrap();
    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM buzzin_deliveries WHERE done")
        .fetch_one(&pool)
        .await
        .unwrap();
    let done_without_effect: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM buzzin_deliveries d WHERE d.done
           AND NOT EXISTS (SELECT 1 FROM effects e WHERE e.delivery = d.key)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let rows: i64 = per_delivery.iter().map(|(_, n)| n).sum();
    let twice = per_delivery.iter().filter(|(_, n)| *n > 1).count();
    let missing = deliveries.saturating_sub(per_delivery.len());
    let lost = unacknowledged;
    let recovery = answering_again_rx
        .try_recv()
        .ok()
        .map(|at| (at, statuses.first_2xx_after(at).map(|ok| ok - at)));
    drop(pool);
    drop(server);

    let mut failures = Vec::new();
    let name = scenario.name();
    if lost > 0 || missing > 0 {
        failures.push(format!(
            "{name}: {lost} unacknowledged, {missing} without an effect"
        ));
    }
    if done_without_effect > 0 {
        failures.push(format!(
            "{name}: {done_without_effect} done without their effect"
        ));
    }
    if twice > 0 || rows != deliveries as i64 || done != deliveries as i64 {
        failures.push(format!(
            "{name}: {twice} effects twice, {rows} effect rows and {done} done for {deliveries}"
        ));
    }
    let recovered = match recovery {
        None => String::new(),
        Some((_, Some(after))) if after <= RECOVERY => {
            format!(", first 2xx {:.2} s after the restart", after.as_secs_f64())
        }
        Some((_, after)) => {
            failures.push(format!(
                "{name}: the first 2xx came {after:?} after PostgreSQL answered again (at most {RECOVERY:?})"
            ));
            format!(", first 2xx {after:?} after the restart")
        }
    };
    let line = format!(
        "{name:<56} {deliveries} deliveries x {COPIES}: lost {lost}, done without effect \
         {done_without_effect}, duplicate effects {twice}, effect rows {rows}, done {done}, \
         kill -9 {}{recovered}; answers {:?}; {:.1} s",
        kills.load(Ordering::Relaxed),
        statuses.sorted(),
        start.elapsed().as_secs_f64(),
    );
    Report { line, failures }
}

#[tokio::main]
async fn main() {
    let deliveries: usize = std::env::var("INBOX_DELIVERIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_200);
    let only = std::env::var("INBOX_ONLY").unwrap_or_default();
    let exe = std::env::current_exe()
        .unwrap()
        .with_file_name(format!("pg_receiver{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.is_file(),
        "build the receiver first: cargo build -p buzzin-test-support --features faults --bin pg_receiver"
    );
    let started = Instant::now();
    let mut failures = Vec::new();
    for scenario in [
        Scenario::Replicas,
        Scenario::Restart1s,
        Scenario::Restart10s,
        Scenario::Exhausted,
    ]
    .into_iter()
    .filter(|s| s.name().starts_with(only.as_str()))
    {
        let report = run(scenario, deliveries, &exe).await;
        println!("{}", report.line);
        failures.extend(report.failures);
    }
    println!(
        "inbox fault suite: {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        eprintln!("inbox fault suite FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
}
