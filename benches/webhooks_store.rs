//! Delivery store benchmark: claim + complete per delivery (with lease tokens and fences), for
//! `MemoryStore` and `RedisStore` on a loopback `redis-server` started by the benchmark, against
//! the floor: two raw round trips per delivery on the same kind of connection the store uses, a
//! `ConnectionManager` (`SET key v NX PX`, then `SET key done PX`), measured interleaved with the store in one run, at 1 and 64 concurrent
//! handlers.
//!
//! `cargo bench --features redis --bench webhooks_store`. Prints microseconds per delivery
//! (wall time / deliveries, median of the rounds), and the store's time over the floor's
//! (target: at most 1.2x), and the same for a lower bound of any store whose `complete` checks
//! the holder's token on Redis 7 (a plain `SET NX PX` claim with no fence, then the smallest
//! token-checking `complete` script: `GET`, compare, `SET done PX`), then Redis's own time per command (`INFO commandstats`: where the
//! store's cost at 64 handlers goes, Lua included). Needs `redis-server` on the PATH (Debian package `redis-server`).

mod support;

use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::store::redis::{RedisConfig, RedisStore};
use buzzin::webhooks::store::{Claim, DeliveryStore, MemoryStore};
use support::{median, per_delivery, run_deliveries};

const LEASE: Duration = Duration::from_secs(60);
const ROUNDS: usize = 9;

/// Claims and completes `deliveries` distinct keys with `handlers` concurrent tasks; returns the
/// wall time.
async fn run_store(
    store: Arc<dyn DeliveryStore>,
    round: usize,
    deliveries: usize,
    handlers: usize,
) -> Duration {
    run_deliveries(deliveries, handlers, move |i| {
        let store = Arc::clone(&store);
        async move {
            let key = format!("event:r{round}-{i:08}");
            let Claim::New(lease) = store.claim(&key, LEASE).await.unwrap() else {
                panic!("{key} was not new")
            };
            store.complete(&lease).await.unwrap();
        }
    })
    .await
}

/// The floor: `SET key lease NX PX`, then `SET key done PX`, per delivery, on the same kind of
/// connection the store uses (a `ConnectionManager` with the store's default timeouts).
async fn run_floor(
    connection: redis::aio::ConnectionManager,
    round: usize,
    deliveries: usize,
    handlers: usize,
) -> Duration {
    run_deliveries(deliveries, handlers, move |i| {
        let mut connection = connection.clone();
        async move {
            let key = format!("raw:r{round}-{i:08}");
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg("lease")
                .arg("NX")
                .arg("PX")
                .arg(60_000)
                .query_async(&mut connection)
                .await
                .unwrap();
            assert!(set.is_some());
            redis::cmd("SET")
                .arg(&key)
                .arg("done")
                .arg("PX")
                .arg(60_000)
                .query_async::<()>(&mut connection)
                .await
                .unwrap();
        }
    })
    .await
}

/// The smallest token-checking `complete` there is on Redis 7 (no compare-and-set command
/// before Redis 8.4's `SET … IFEQ`): `GET`, compare, `SET done PX`, as one script.
static CHECKED_COMPLETE: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
return 1",
    )
});

/// A lower bound for a token-checking store: `SET key token NX PX` (a claim without a fence),
/// then [`CHECKED_COMPLETE`], per delivery, on the floor's connection.
async fn run_bound(
    connection: redis::aio::ConnectionManager,
    round: usize,
    deliveries: usize,
    handlers: usize,
) -> Duration {
    run_deliveries(deliveries, handlers, move |i| {
        let mut connection = connection.clone();
        async move {
            let key = format!("bound:r{round}-{i:08}");
            let token = fastrand::u64(..);
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(token)
                .arg("NX")
                .arg("PX")
                .arg(60_000)
                .query_async(&mut connection)
                .await
                .unwrap();
            assert!(set.is_some());
            let done: i64 = CHECKED_COMPLETE
                .key(&key)
                .arg(token)
                .arg(60_000)
                .invoke_async(&mut connection)
                .await
                .unwrap();
            assert_eq!(done, 1);
        }
    })
    .await
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = buzzin_test_support::redis::RedisServer::start();
    runtime.block_on(async {
        println!("claim + complete per delivery (median of {ROUNDS} rounds)");
        let memory: Arc<dyn DeliveryStore> = Arc::new(MemoryStore::new());
        for handlers in [1, 64] {
            let mut us = Vec::new();
            for round in 0..ROUNDS {
                let elapsed =
                    run_store(Arc::clone(&memory), handlers * 100 + round, 20_000, handlers).await;
                us.push(per_delivery(elapsed, 20_000));
            }
            println!(
                "  MemoryStore       {handlers:>3} handler(s): {:>8.2} us/delivery",
                median(us)
            );
        }
        let redis: Arc<dyn DeliveryStore> =
            Arc::new(RedisStore::connect(&server.url()).await.unwrap());
        let config = RedisConfig::new();
        let raw = redis::aio::ConnectionManager::new_with_config(
            redis::Client::open(server.url()).unwrap(),
            redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(config.connect_timeout_value()))
                .set_response_timeout(Some(config.response_timeout_value())),
        )
        .await
        .unwrap();
        for (handlers, deliveries) in [(1, 3_000), (64, 20_000)] {
            // Interleaved: store, floor, bound, store, ... so that drift hits all alike.
            let (mut store_us, mut floor_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            let mut bound_ratios = Vec::new();
            for round in 0..ROUNDS {
                let tag = 1_000 + handlers * 100 + round;
                let s = per_delivery(
                    run_store(Arc::clone(&redis), tag, deliveries, handlers).await,
                    deliveries,
                );
                let f = per_delivery(run_floor(raw.clone(), tag, deliveries, handlers).await, deliveries);
                let b = per_delivery(run_bound(raw.clone(), tag, deliveries, handlers).await, deliveries);
                store_us.push(s);
                floor_us.push(f);
                ratios.push(s / f);
                bound_ratios.push(b / f);
            }
            let ratio = median(ratios);
            println!(
                "  RedisStore        {handlers:>3} handler(s): {:>8.2} us/delivery; floor (2 raw SETs) {:>8.2} us; ratio {ratio:.2}x (median of per-round ratios; target <= 1.20x: {})",
                median(store_us),
                median(floor_us),
                if ratio <= 1.2 { "met" } else { "NOT met" }
            );
            println!(
                "  lower bound       {handlers:>3} handler(s): SET NX claim (no fence) + token-checked complete script: {:.2}x the floor",
                median(bound_ratios)
            );
        }
        // Where Redis's own time goes (execution only, no I/O): per command, in microseconds.
        let mut probe = raw.clone();
        let stats: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut probe)
            .await
            .unwrap();
        for line in stats.lines() {
            if let Some(rest) = line.strip_prefix("cmdstat_") {
                let name = rest.split(':').next().unwrap_or("");
                let usec = rest
                    .split(',')
                    .find_map(|f| f.strip_prefix("usec_per_call="))
                    .unwrap_or("?");
                let calls = rest
                    .split(':')
                    .nth(1)
                    .and_then(|f| f.split(',').next())
                    .unwrap_or("?");
                if ["evalsha", "set", "get", "incr", "pexpire"].contains(&name) {
                    println!("  redis-server {name:<8} {calls:<16} {usec:>6} us per call (in Redis)");
                }
            }
        }
    });
    drop(server);
}
