//! Several receivers behind a "load balancer", one Redis: every delivery is handled to
//! completion once, even when one replica's handler crashes after claiming.
//!
//! 4 axum receivers on loopback, each with its own `RedisStore` connection to one
//! `redis-server`; 2,000 deliveries, each sent as 3 concurrent copies to random replicas, every
//! copy retried (as Buzz-In retries) until a replica acknowledges it with a 2xx. Replica 3 crashes
//! after claiming on every fifth delivery during the first half of the run: it answers 500
//! without completing or releasing its claim (as a dying process would), or hangs until the
//! sender gives up and the server drops the handler's future.
//!
//! Asserted, whatever the machine's load: none lost, each delivery completed exactly once, and
//! every New claim accounted for (completed, crashed, dropped with its request, or a complete
//! that failed). An effect written again (a holder that stalled past its lease, without a
//! heartbeat here, or was dropped between its effect and its complete) is counted and printed:
//! a store beside the effect cannot rule it out; the fence and the PostgreSQL inbox can.

use buzzin_test_support::now_ms;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use buzzin::webhooks::store::redis::RedisStore;
use buzzin::webhooks::store::{Claim, DeliveryStore};
use buzzin::webhooks::{sign, Delivery, Verifier};
use buzzin_test_support::redis::RedisServer;
use futures_util::stream::{self, StreamExt};

const SECRET: &str = "whsec-replicas";
const DELIVERIES: usize = 2_000;
const COPIES: usize = 3;
const REPLICAS: usize = 4;
const CRASHING_REPLICA: usize = 3;
const LEASE: Duration = Duration::from_millis(300);
/// Attempts per copy before the test gives up (a bound, never reached when nothing is lost).
const MAX_ATTEMPTS: usize = 200;

#[derive(Default)]
struct Counts {
    /// Completed effects per event id.
    effects: Mutex<HashMap<String, usize>>,
    claimed_new: AtomicUsize,
    acknowledged_done: AtomicUsize,
    in_progress: AtomicUsize,
    crashes: AtomicUsize,
    requests: AtomicUsize,
    /// New claims whose handler was dropped (its request timed out) before it settled.
    dropped: AtomicUsize,
    completed: AtomicUsize,
    failed_completes: AtomicUsize,
}

/// Counts a New claim whose handler future is dropped before it settles (hyper drops a
/// handler whose request went away).
struct Unsettled<'a>(Option<&'a AtomicUsize>);

impl Unsettled<'_> {
    fn settle(&mut self) {
        self.0 = None;
    }
}

impl Drop for Unsettled<'_> {
    fn drop(&mut self) {
        if let Some(dropped) = self.0 {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Clone)]
struct Replica {
    index: usize,
    verifier: Verifier,
    store: Arc<dyn DeliveryStore>,
    counts: Arc<Counts>,
    crashing: Arc<AtomicBool>,
}

impl FromRef<Replica> for Verifier {
    fn from_ref(replica: &Replica) -> Verifier {
        replica.verifier.clone()
    }
}

async fn receive(State(replica): State<Replica>, delivery: Delivery) -> StatusCode {
    let key = delivery.dedup_key();
    let lease = match replica.store.claim(&key, LEASE).await {
        Ok(Claim::New(lease)) => lease,
        Ok(Claim::Done) => {
            replica
                .counts
                .acknowledged_done
                .fetch_add(1, Ordering::Relaxed);
            return StatusCode::OK;
        }
        Ok(_) => {
            replica.counts.in_progress.fetch_add(1, Ordering::Relaxed);
            return StatusCode::CONFLICT;
        }
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE,
    };
    replica.counts.claimed_new.fetch_add(1, Ordering::Relaxed);
    let mut unsettled = Unsettled(Some(&replica.counts.dropped));
    let id = delivery.id().unwrap().as_str().to_owned();
    let n: usize = id.trim_start_matches("evt-").parse().unwrap();
    // Some work, so that copies overlap.
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..4))).await;
    if replica.index == CRASHING_REPLICA && replica.crashing.load(Ordering::Relaxed) {
        if n.is_multiple_of(10) {
            // Crash mid-way: the claim is neither completed nor released.
            replica.counts.crashes.fetch_add(1, Ordering::Relaxed);
            unsettled.settle();
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        if n % 10 == 5 {
            // Hang mid-way: the sender gives up, and the server drops this future.
            replica.counts.crashes.fetch_add(1, Ordering::Relaxed);
            unsettled.settle();
            std::future::pending::<()>().await;
        }
    }
    *replica
        .counts
        .effects
        .lock()
        .unwrap()
        .entry(id)
        .or_default() += 1;
    let completed = replica.store.complete(&lease).await;
    unsettled.settle();
    match completed {
        Ok(()) => {
            replica.counts.completed.fetch_add(1, Ordering::Relaxed);
            StatusCode::OK
        }
        Err(_) => {
            replica
                .counts
                .failed_completes
                .fetch_add(1, Ordering::Relaxed);
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// Sends one copy of delivery `n`, retrying at random replicas until one acknowledges it;
/// returns the number of attempts.
async fn send_copy(http: &reqwest::Client, urls: &[String], counts: &Counts, n: usize) -> usize {
    let body = format!(
        r#"{{"id":"evt-{n:05}","event":"passes.permits.expired","communityId":"6840270a99ca91002185fcd6","data":{{}}}}"#
    );
    let ts = now_ms();
    let signature = sign(SECRET, ts, &body);
    let mut backoff = Duration::from_millis(10);
    for attempt in 1..=MAX_ATTEMPTS {
        let url = &urls[fastrand::usize(..urls.len())];
        counts.requests.fetch_add(1, Ordering::Relaxed);
        let status = http
            .post(url)
            .header("buzzin-signature", &signature)
            .header("buzzin-signature-timestamp", ts.to_string())
            .header("x-buzzin-event", "passes.permits.expired")
            .header(
                "x-buzzin-delivery",
                format!("dlv-{n}-{}", fastrand::u32(..)),
            )
            .body(body.clone())
            .send()
            .await
            .map(|r| r.status().as_u16());
        if let Ok(200..=299) = status {
            return attempt;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_millis(200));
    }
    panic!("delivery {n} was never acknowledged in {MAX_ATTEMPTS} attempts: lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_replicas_on_one_redis_handle_every_delivery_once() {
    let server = RedisServer::start();
    let counts = Arc::new(Counts::default());
    let crashing = Arc::new(AtomicBool::new(true));
    let mut urls = Vec::new();
    for index in 0..REPLICAS {
        let replica = Replica {
            index,
            verifier: Verifier::new(SECRET),
            store: Arc::new(RedisStore::connect(&server.url()).await.unwrap()),
            counts: Arc::clone(&counts),
            crashing: Arc::clone(&crashing),
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(replica);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push(format!("http://{}/hook", listener.local_addr().unwrap()));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    // A sender that gives up on a request after a while, as Buzz-In would.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let done = AtomicUsize::new(0);
    let attempts: usize = stream::iter(0..DELIVERIES)
        .map(|n| {
            let (http, urls, counts, done, crashing) = (&http, &urls, &counts, &done, &crashing);
            async move {
                let copies = futures_util::future::join_all(
                    (0..COPIES).map(|_| send_copy(http, urls, counts, n)),
                )
                .await;
                // Mid-way through the run, the crashing replica recovers.
                if done.fetch_add(1, Ordering::Relaxed) + 1 == DELIVERIES / 2 {
                    crashing.store(false, Ordering::Relaxed);
                }
                copies.into_iter().sum::<usize>()
            }
        })
        .buffer_unordered(64)
        .fold(0, |sum, a| async move { sum + a })
        .await;

    let effects = counts.effects.lock().unwrap().clone();
    let handled_twice: Vec<_> = effects.iter().filter(|(_, c)| **c > 1).collect();
    let lost: Vec<_> = (0..DELIVERIES)
        .map(|n| format!("evt-{n:05}"))
        .filter(|id| !effects.contains_key(id))
        .collect();
    let crashes = counts.crashes.load(Ordering::Relaxed);
    println!(
        "deliveries {DELIVERIES} x {COPIES} copies over {REPLICAS} replicas: {} requests \
         ({attempts} attempts), handled {} (claims New {}), acknowledged as done {}, \
         answered in-progress {}, crashes {crashes}, lost {}, handled twice {}",
        counts.requests.load(Ordering::Relaxed),
        effects.values().sum::<usize>(),
        counts.claimed_new.load(Ordering::Relaxed),
        counts.acknowledged_done.load(Ordering::Relaxed),
        counts.in_progress.load(Ordering::Relaxed),
        lost.len(),
        handled_twice.len(),
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert_eq!(effects.len(), DELIVERIES);
    assert!(
        crashes > 0,
        "replica {CRASHING_REPLICA} never crashed: the test proved nothing"
    );
    // Each delivery completed once, and every New claim settled one way: completed, crashed,
    // dropped with its request (a timeout under load), or a complete that failed.
    let (dropped, failed) = (
        counts.dropped.load(Ordering::Relaxed),
        counts.failed_completes.load(Ordering::Relaxed),
    );
    println!("claims dropped with their request {dropped}, completes that failed {failed}");
    assert_eq!(
        counts.claimed_new.load(Ordering::Relaxed),
        counts.completed.load(Ordering::Relaxed) + crashes + dropped + failed
    );

    // Every delivery sent again now is acknowledged without being handled.
    let before = counts.acknowledged_done.load(Ordering::Relaxed);
    for n in 0..DELIVERIES {
        assert_eq!(send_copy(&http, &urls, &counts, n).await, 1);
    }
    assert_eq!(
        counts.acknowledged_done.load(Ordering::Relaxed) - before,
        DELIVERIES
    );
    assert_eq!(counts.effects.lock().unwrap().len(), DELIVERIES);
}
