//! `RedisStore` against a real `redis-server` started by the test on a free loopback port.

use std::sync::Arc;
use std::time::{Duration, Instant};

use buzzin::webhooks::store::redis::{RedisConfig, RedisStore};
use buzzin::webhooks::store::{handle_once, Claim, DeliveryStore, Outcome};
use buzzin_test_support::redis::RedisServer;

const LEASE: Duration = Duration::from_secs(30);

async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Stalls Redis for `seconds` (`DEBUG SLEEP`, needs `--enable-debug-command`), in a task.
async fn stall(
    server: &RedisServer,
    seconds: &str,
) -> tokio::task::JoinHandle<redis::RedisResult<()>> {
    let mut sleeper = raw(server).await;
    let seconds = seconds.to_owned();
    tokio::spawn(async move {
        redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(seconds)
            .query_async::<()>(&mut sleeper)
            .await
    })
}

#[tokio::test]
async fn redis_store_conformance() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    assert_eq!(store.key_prefix(), "buzzin:delivery:");
    assert_eq!(store.retention_period(), Duration::from_secs(72 * 3600));
    buzzin_test_support::store_conformance::conformance(Arc::new(store), "redis").await;
}

#[tokio::test]
async fn keys_share_one_hash_tag_and_the_fence_outlives_the_lease() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url())
        .await
        .unwrap()
        .prefix("app:")
        .retention(Duration::from_secs(100));
    let Claim::New(lease) = store
        .claim("event:1", Duration::from_secs(10))
        .await
        .unwrap()
    else {
        panic!("not new")
    };
    let mut raw = raw(&server).await;
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .unwrap();
    keys.sort();
    assert_eq!(keys, ["app:{event:1}", "app:{event:1}:fence"]);
    let fence: u64 = redis::cmd("GET")
        .arg("app:{event:1}:fence")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(fence, lease.fence());
    let lease_ttl: i64 = redis::cmd("PTTL")
        .arg("app:{event:1}")
        .query_async(&mut raw)
        .await
        .unwrap();
    let fence_ttl: i64 = redis::cmd("PTTL")
        .arg("app:{event:1}:fence")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(lease_ttl <= 10_000 && lease_ttl > 9_000, "{lease_ttl}");
    // lease + retention: the fence is remembered as long as the delivery can be done.
    assert!(fence_ttl > 109_000 && fence_ttl <= 110_000, "{fence_ttl}");
    store.complete(&lease).await.unwrap();
    let done_ttl: i64 = redis::cmd("PTTL")
        .arg("app:{event:1}")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(done_ttl > 99_000 && done_ttl <= 100_000, "{done_ttl}");
}

#[tokio::test]
async fn retention_and_prefix_are_configurable_and_stores_share_state() {
    let server = RedisServer::start();
    let short = RedisStore::connect(&server.url())
        .await
        .unwrap()
        .prefix("app1:")
        .retention(Duration::from_millis(60));
    assert_eq!(short.retention_period(), Duration::from_millis(60));
    let Claim::New(lease) = short.claim("r", LEASE).await.unwrap() else {
        panic!("not new")
    };
    short.complete(&lease).await.unwrap();
    // Another connection with the same prefix sees it; another prefix does not.
    let same = RedisStore::connect(&server.url())
        .await
        .unwrap()
        .prefix("app1:");
    assert_eq!(same.claim("r", LEASE).await.unwrap(), Claim::Done);
    let other = RedisStore::connect(&server.url())
        .await
        .unwrap()
        .prefix("app2:");
    assert!(matches!(
        other.claim("r", LEASE).await.unwrap(),
        Claim::New(_)
    ));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let Claim::New(again) = same.claim("r", LEASE).await.unwrap() else {
        panic!("not new after the retention")
    };
    assert!(again.fence() > lease.fence());
    let shown = format!("{same:?}");
    assert!(
        shown.contains("app1:") && shown.contains("response_timeout: 1s"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_from_several_connections_admit_one_per_key() {
    let server = RedisServer::start();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store: Arc<dyn DeliveryStore> =
            Arc::new(RedisStore::connect(&server.url()).await.unwrap());
        tasks.push(tokio::spawn(async move {
            let mut new = 0;
            for i in 0..300 {
                if let Claim::New(_) = store.claim(&format!("d{i}"), LEASE).await.unwrap() {
                    new += 1;
                }
            }
            new
        }));
    }
    let mut admitted = 0;
    for t in tasks {
        admitted += t.await.unwrap();
    }
    assert_eq!(admitted, 300);
}

#[tokio::test]
async fn an_unreachable_redis_is_a_store_error_without_the_password() {
    let port = buzzin_test_support::free_port();
    let err = RedisStore::connect(&format!("redis://user:s3cret-pw@127.0.0.1:{port}/0"))
        .await
        .unwrap_err();
    let mut shown = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        shown.push_str(&format!(" {e} {e:?}"));
        source = e.source();
    }
    assert!(shown.contains("could not connect to Redis"), "{shown}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(!err.is_lease_lost());
    assert!(RedisStore::connect("not a url").await.is_err());
}

/// After Redis restarts, claims succeed again within 2 s, without a new `RedisStore`.
#[tokio::test]
async fn the_store_reconnects_after_a_redis_restart() {
    // appendfsync always: with everysec, Redis may postpone writing the last second or two of
    // acknowledged writes while a background fsync runs, and a kill -9 loses them.
    let mut server = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ]);
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let Claim::New(before) = store.claim("before", LEASE).await.unwrap() else {
        panic!("not new")
    };
    store.complete(&before).await.unwrap();

    server.kill();
    let err = store.claim("during", LEASE).await.unwrap_err();
    assert!(!err.is_lease_lost(), "{err}");
    // An outage is answered 503 by the helper, not 409 or 200.
    let outcome = handle_once(&store, "during", LEASE, |_| async { Ok::<(), ()>(()) }).await;
    assert_eq!(outcome.status(), 503, "{outcome:?}");
    std::thread::sleep(Duration::from_secs(1));
    server.start_again();

    let back = Instant::now();
    let lease = loop {
        match store.claim("after", LEASE).await {
            Ok(Claim::New(lease)) => break lease,
            Ok(other) => panic!("{other:?}"),
            Err(_) if back.elapsed() < Duration::from_secs(2) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("no claim within 2 s of the restart: {e}"),
        }
    };
    println!("claims succeed {:?} after the restart", back.elapsed());
    store.complete(&lease).await.unwrap();
    // appendonly yes (fsync always): the completed delivery survived the kill -9.
    assert_eq!(store.claim("before", LEASE).await.unwrap(), Claim::Done);
}

/// A claim that times out on the client but runs on Redis later leaves no lease behind.
#[tokio::test]
async fn a_claim_that_timed_out_leaves_no_lease_behind() {
    let server = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "no",
        "--enable-debug-command",
        "local",
    ]);
    let config = RedisConfig::new().response_timeout(Duration::from_millis(200));
    assert_eq!(config.response_timeout_value(), Duration::from_millis(200));
    assert_eq!(
        RedisConfig::default().connect_timeout_value(),
        Duration::from_secs(1)
    );
    let store = RedisStore::connect_with(&server.url(), config)
        .await
        .unwrap();
    store.claim("warm-up", LEASE).await.unwrap();
    let sleeping = stall(&server, "0.8").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let err = store.claim("slow", LEASE).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("in time"), "{err}");
    // (The raw connection's own 500 ms timeout may answer first: Redis sleeps on regardless.)
    let _ = sleeping.await.unwrap();
    while Instant::now() < started + Duration::from_millis(800) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The claim ran once Redis woke up, and the release of its token after it: the delivery's
    // retry is New well within the 30 s lease.
    let retry = Instant::now();
    loop {
        match store.claim("slow", LEASE).await.unwrap() {
            Claim::New(_) => break,
            Claim::InProgress if retry.elapsed() < Duration::from_secs(2) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            other => panic!("the retry got {other:?} for {:?}", retry.elapsed()),
        }
    }
}

/// `handle_once` extends the lease while a handler runs past it, so no second handler starts.
#[tokio::test]
async fn handle_once_heartbeats_a_long_handler_on_redis() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let lease_for = Duration::from_millis(150);
    let long = handle_once(&store, "long", lease_for, |lease| {
        let store = store.clone();
        async move {
            // Four leases long; meanwhile, the delivery stays in progress.
            for _ in 0..6 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                assert_eq!(
                    store.claim(lease.key(), lease_for).await.unwrap(),
                    Claim::InProgress
                );
            }
            Ok::<(), ()>(())
        }
    });
    assert!(matches!(long.await, Outcome::Handled));
    assert_eq!(store.claim("long", lease_for).await.unwrap(), Claim::Done);
}

/// When a lease ran out while its holder's `complete` was still on its way (Redis stalled,
/// then read another replica's connection first), the other replica's claim does not take the
/// lease at once: the holder's `complete` counts, and the claim answers `Done`.
#[tokio::test]
async fn a_late_complete_beats_a_claim_that_found_the_lease_run_out() {
    let server = RedisServer::start();
    let holder = RedisStore::connect(&server.url()).await.unwrap();
    let other = RedisStore::connect(&server.url()).await.unwrap();
    let lease_for = Duration::from_millis(100);
    let Claim::New(lease) = holder.claim("stalled", lease_for).await.unwrap() else {
        panic!("not new")
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let claim = tokio::spawn(async move { other.claim("stalled", LEASE).await });
    // The claim has seen the lease run out (its first script ran); the holder comes in now.
    tokio::time::sleep(Duration::from_millis(60)).await;
    holder.complete(&lease).await.unwrap();
    assert_eq!(claim.await.unwrap().unwrap(), Claim::Done);
}

/// A lease that ran out with nobody coming back is taken over after the grace, with a higher
/// fence, and the old holder is then lost.
#[tokio::test]
async fn a_lease_that_ran_out_is_taken_over_after_the_grace() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let Claim::New(old) = store
        .claim("crashed", Duration::from_millis(50))
        .await
        .unwrap()
    else {
        panic!("not new")
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let Claim::New(new) = store.claim("crashed", LEASE).await.unwrap() else {
        panic!("not taken over")
    };
    // The takeover grace: 250 ms of Redis running past the lease.
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(new.fence() > old.fence());
    assert!(store.complete(&old).await.unwrap_err().is_lease_lost());
    store.complete(&new).await.unwrap();
}

/// `DEBUG SLEEP` past a lease, with a holder's `complete` and another replica's claim both
/// waiting on Redis: whichever connection Redis reads first, the delivery is done once.
#[tokio::test]
async fn a_stall_of_redis_past_the_lease_does_not_hand_the_delivery_over() {
    let server = RedisServer::start_with(&["--save", "", "--enable-debug-command", "local"]);
    for round in 0..4 {
        let key = format!("sleep-{round}");
        let holder = RedisStore::connect(&server.url()).await.unwrap();
        let other = RedisStore::connect(&server.url()).await.unwrap();
        let Claim::New(lease) = holder
            .claim(&key, Duration::from_millis(200))
            .await
            .unwrap()
        else {
            panic!("not new")
        };
        let sleeping = stall(&server, "0.4").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Alternate which of the two is sent first.
        let (claim, complete) = if round % 2 == 0 {
            let claim = tokio::spawn({
                let key = key.clone();
                async move { other.claim(&key, LEASE).await }
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            (
                claim,
                tokio::spawn(async move { holder.complete(&lease).await }),
            )
        } else {
            let complete = tokio::spawn(async move { holder.complete(&lease).await });
            tokio::time::sleep(Duration::from_millis(20)).await;
            let claim = tokio::spawn({
                let key = key.clone();
                async move { other.claim(&key, LEASE).await }
            });
            (claim, complete)
        };
        let _ = sleeping.await.unwrap();
        complete.await.unwrap().unwrap();
        assert_eq!(claim.await.unwrap().unwrap(), Claim::Done, "round {round}");
    }
}

/// Each future of the store and `handle_once` on it, dropped after each possible number of
/// polls: a claim left behind blocks the retry no longer than its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_futures_dropped_after_every_poll_block_no_longer_than_the_lease() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    buzzin_test_support::store_conformance::dropped_after_every_poll(&store, |_| async {}).await;
}
