//! Delivery store benchmark: claim + complete per delivery, `MemoryStore` next to `RedisStore`
//! on a loopback `redis-server` started by the benchmark, with 1 and 64 concurrent handlers.
//!
//! `cargo bench --features redis --bench webhooks_store`. Prints microseconds per delivery
//! (wall time / deliveries, median of 5 rounds) and deliveries per second. Needs `redis-server`
//! on the PATH (Debian package `redis-server`).

#[path = "../tests/redis_support/mod.rs"]
mod redis_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use buzzin::webhooks::redis::RedisStore;
use buzzin::webhooks::{Claim, DeliveryStore, MemoryStore};

const LEASE: Duration = Duration::from_secs(60);
const ROUNDS: usize = 5;

/// Claims and completes `deliveries` distinct keys with `handlers` concurrent tasks; returns the
/// wall time.
async fn run(
    store: Arc<dyn DeliveryStore>,
    round: usize,
    deliveries: usize,
    handlers: usize,
) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..handlers)
        .map(|h| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in (h..deliveries).step_by(handlers) {
                    let key = format!("event:r{round}-{i:08}");
                    let claim = store.claim(&key, LEASE).await.unwrap();
                    assert_eq!(claim, Claim::New);
                    store.complete(&key).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

async fn measure(
    name: &str,
    store: Arc<dyn DeliveryStore>,
    deliveries: usize,
    handlers: usize,
    offset: usize,
) -> f64 {
    let mut samples: Vec<f64> = Vec::new();
    for round in 0..ROUNDS {
        let elapsed = run(Arc::clone(&store), offset + round, deliveries, handlers).await;
        samples.push(elapsed.as_secs_f64() * 1e6 / deliveries as f64);
    }
    samples.sort_by(f64::total_cmp);
    let us = samples[ROUNDS / 2];
    println!(
        "  {name:<14} {handlers:>3} handler(s): {us:>9.2} us/delivery  ({:>9.0} deliveries/s)",
        1e6 / us
    );
    us
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = redis_support::RedisServer::start();
    runtime.block_on(async {
        println!("claim + complete per delivery (median of {ROUNDS} rounds)");
        let memory: Arc<dyn DeliveryStore> = Arc::new(MemoryStore::new());
        let redis: Arc<dyn DeliveryStore> =
            Arc::new(RedisStore::connect(&server.url()).await.unwrap());
        measure("MemoryStore", Arc::clone(&memory), 20_000, 1, 0).await;
        measure("MemoryStore", memory, 20_000, 64, 100).await;
        let one = measure("RedisStore", Arc::clone(&redis), 5_000, 1, 200).await;
        let many = measure("RedisStore", redis, 20_000, 64, 300).await;
        println!(
            "  RedisStore: 64 handlers on one multiplexed connection are {:.1}x the throughput of 1",
            one / many
        );
    });
    drop(server);
}
