//! `RedisStore` against a real `redis-server` started by the test on a free loopback port.
#![cfg(feature = "redis")]

mod redis_support;

use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::redis::RedisStore;
use buzzin::webhooks::{Claim, DeliveryStore, MAX_STORE_KEY_LEN};
use redis_support::RedisServer;

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn claim_complete_release_and_leases_on_redis() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    assert_eq!(store.key_prefix(), "buzzin:delivery:");
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::New);
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::InProgress);
    store.complete("a").await.unwrap();
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::Done);
    store.release("a").await.unwrap(); // a completed key stays done
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::Done);

    assert_eq!(store.claim("b", LEASE).await.unwrap(), Claim::New);
    store.release("b").await.unwrap();
    assert_eq!(store.claim("b", LEASE).await.unwrap(), Claim::New);

    // A crashed handler: the lease runs out on Redis's clock, and the next claim is new.
    let short = Duration::from_millis(50);
    assert_eq!(store.claim("c", short).await.unwrap(), Claim::New);
    assert_eq!(store.claim("c", short).await.unwrap(), Claim::InProgress);
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(store.claim("c", LEASE).await.unwrap(), Claim::New);

    let long = "k".repeat(MAX_STORE_KEY_LEN + 1);
    assert!(store.claim(&long, LEASE).await.is_err());
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
    assert_eq!(short.claim("r", LEASE).await.unwrap(), Claim::New);
    short.complete("r").await.unwrap();
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
    assert_eq!(other.claim("r", LEASE).await.unwrap(), Claim::New);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(same.claim("r", LEASE).await.unwrap(), Claim::New);
    assert!(format!("{same:?}").contains("app1:"));
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
                if store.claim(&format!("d{i}"), LEASE).await.unwrap() == Claim::New {
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
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
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
    assert!(RedisStore::connect("not a url").await.is_err());

    // A store whose Redis went away answers errors, not claims.
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    drop(server);
    assert!(store.claim("x", LEASE).await.is_err());
}
