//! The in-memory delivery store: claims, leases, completion, release, bounds.

use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::{Claim, DeliveryStore, MemoryStore, MAX_STORE_KEY_LEN};

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn new_then_in_progress_then_done() {
    let store = MemoryStore::new();
    assert!(store.is_empty());
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::New);
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::InProgress);
    store.complete("a").await.unwrap();
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::Done);
    // Releasing a completed key does not undo it.
    store.release("a").await.unwrap();
    assert_eq!(store.claim("a", LEASE).await.unwrap(), Claim::Done);
    assert_eq!(store.claim("b", LEASE).await.unwrap(), Claim::New);
    assert_eq!(store.len(), 2);
}

#[tokio::test]
async fn release_makes_the_next_delivery_new() {
    let store = MemoryStore::new();
    assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::New);
    store.release("k").await.unwrap();
    assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::New);
    store.release("never-claimed").await.unwrap();
}

#[tokio::test]
async fn a_lease_that_runs_out_without_complete_is_new_again() {
    // A handler that crashed: it claimed and never completed nor released.
    let store = MemoryStore::new();
    let short = Duration::from_millis(40);
    assert_eq!(store.claim("crash", short).await.unwrap(), Claim::New);
    assert_eq!(
        store.claim("crash", short).await.unwrap(),
        Claim::InProgress
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(store.claim("crash", LEASE).await.unwrap(), Claim::New);
    store.complete("crash").await.unwrap();
    assert_eq!(store.claim("crash", short).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn completed_keys_are_forgotten_after_the_retention() {
    let store = MemoryStore::with_limits(10, Duration::from_millis(40));
    assert_eq!(store.retention(), Duration::from_millis(40));
    assert_eq!(store.claim("r", LEASE).await.unwrap(), Claim::New);
    store.complete("r").await.unwrap();
    assert_eq!(store.claim("r", LEASE).await.unwrap(), Claim::Done);
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(store.claim("r", LEASE).await.unwrap(), Claim::New);
}

#[tokio::test]
async fn capacity_bounds_the_keys_dropping_the_oldest() {
    let store = MemoryStore::with_limits(3, LEASE);
    for key in ["1", "2", "3", "4"] {
        assert_eq!(store.claim(key, LEASE).await.unwrap(), Claim::New);
        store.complete(key).await.unwrap();
    }
    assert_eq!(store.len(), 3);
    assert_eq!(store.claim("4", LEASE).await.unwrap(), Claim::Done);
    assert_eq!(store.claim("3", LEASE).await.unwrap(), Claim::Done);
    // "1" was dropped: a repeat this late is handled again.
    assert_eq!(store.claim("1", LEASE).await.unwrap(), Claim::New);
    for i in 0..10_000u32 {
        let key = format!("k{i}");
        store.claim(&key, LEASE).await.unwrap();
        store.complete(&key).await.unwrap();
        if i.is_multiple_of(3) {
            store.release(&key).await.unwrap();
        }
    }
    assert_eq!(store.len(), 3);
    assert_eq!(store.capacity(), 3);
    assert_eq!(store.claim("k9999", LEASE).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn keys_are_bounded_in_bytes() {
    let store = MemoryStore::new();
    let long = "x".repeat(MAX_STORE_KEY_LEN + 1);
    let err = store.claim(&long, LEASE).await.unwrap_err();
    assert!(err.to_string().contains("longer than 256"), "{err}");
    assert!(store.complete(&long).await.is_err());
    assert!(store.release(&long).await.is_err());
    assert!(store.is_empty());
    let max = "x".repeat(MAX_STORE_KEY_LEN);
    assert_eq!(store.claim(&max, LEASE).await.unwrap(), Claim::New);
}

#[tokio::test]
async fn huge_leases_do_not_overflow() {
    let store = MemoryStore::with_limits(4, Duration::MAX);
    assert_eq!(store.claim("h", Duration::MAX).await.unwrap(), Claim::New);
    assert_eq!(
        store.claim("h", Duration::MAX).await.unwrap(),
        Claim::InProgress
    );
    store.complete("h").await.unwrap();
    assert_eq!(store.claim("h", LEASE).await.unwrap(), Claim::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_admit_exactly_one_per_key() {
    let store: Arc<dyn DeliveryStore> = Arc::new(MemoryStore::new());
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut new = 0;
                for i in 0..1_000 {
                    if store.claim(&format!("d{i}"), LEASE).await.unwrap() == Claim::New {
                        new += 1;
                    }
                }
                new
            })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        admitted += t.await.unwrap();
    }
    assert_eq!(admitted, 1_000);
}

#[tokio::test]
async fn the_trait_works_through_references_boxes_and_generics() {
    async fn claim(store: impl DeliveryStore, key: &str) -> Claim {
        store.claim(key, LEASE).await.unwrap()
    }
    let memory = MemoryStore::with_limits(4, LEASE);
    assert_eq!(claim(&memory, "k").await, Claim::New);
    let boxed: Box<dyn DeliveryStore> = Box::new(memory.clone());
    assert_eq!(claim(boxed, "k").await, Claim::InProgress);
    assert_eq!(
        format!("{memory:?}"),
        "MemoryStore { len: 1, capacity: 4, retention: 30s }"
    );
}
