//! The in-memory delivery store: the shared conformance suite, plus its own bounds.

mod store_conformance;

use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::{Claim, DeliveryStore, Lease, MemoryStore, DEFAULT_RETENTION};

const LEASE: Duration = Duration::from_secs(30);

async fn new(store: &MemoryStore, key: &str) -> Lease {
    match store.claim(key, LEASE).await.unwrap() {
        Claim::New(lease) => lease,
        other => panic!("{key}: {other:?}"),
    }
}

#[tokio::test]
async fn memory_store_conformance() {
    store_conformance::conformance(Arc::new(MemoryStore::new()), "memory").await;
}

#[tokio::test]
async fn defaults_are_72_hours_and_100k_keys() {
    let store = MemoryStore::new();
    assert_eq!(store.retention(), Duration::from_secs(72 * 3600));
    assert_eq!(DEFAULT_RETENTION, Duration::from_secs(72 * 3600));
    assert_eq!(store.capacity(), 100_000);
    assert!(store.is_empty());
}

#[tokio::test]
async fn completed_keys_are_forgotten_after_the_retention() {
    let store = MemoryStore::with_limits(10, Duration::from_millis(40));
    assert_eq!(store.retention(), Duration::from_millis(40));
    let lease = new(&store, "r").await;
    store.complete(&lease).await.unwrap();
    assert_eq!(store.claim("r", LEASE).await.unwrap(), Claim::Done);
    tokio::time::sleep(Duration::from_millis(80)).await;
    let again = new(&store, "r").await;
    assert!(again.fence() > lease.fence());
}

#[tokio::test]
async fn capacity_bounds_the_keys_dropping_the_oldest() {
    let store = MemoryStore::with_limits(3, LEASE);
    for key in ["1", "2", "3", "4"] {
        let lease = new(&store, key).await;
        store.complete(&lease).await.unwrap();
    }
    assert_eq!(store.len(), 3);
    assert_eq!(store.claim("4", LEASE).await.unwrap(), Claim::Done);
    assert_eq!(store.claim("3", LEASE).await.unwrap(), Claim::Done);
    // "1" was dropped: a repeat this late is handled again.
    assert!(matches!(
        store.claim("1", LEASE).await.unwrap(),
        Claim::New(_)
    ));
    for i in 0..10_000u32 {
        let key = format!("k{i}");
        let lease = new(&store, &key).await;
        if i.is_multiple_of(3) {
            store.release(&lease).await.unwrap();
        } else {
            store.complete(&lease).await.unwrap();
        }
    }
    // k9999 was released (dropped); k9997 and k9998 are done.
    assert_eq!(store.len(), 2);
    assert_eq!(store.capacity(), 3);
    assert_eq!(store.claim("k9997", LEASE).await.unwrap(), Claim::Done);
    assert_eq!(store.claim("k9998", LEASE).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn huge_leases_do_not_overflow() {
    let store = MemoryStore::with_limits(4, Duration::MAX);
    let Claim::New(lease) = store.claim("h", Duration::MAX).await.unwrap() else {
        panic!("not new")
    };
    assert_eq!(
        store.claim("h", Duration::MAX).await.unwrap(),
        Claim::InProgress
    );
    store.extend(&lease, Duration::MAX).await.unwrap();
    store.complete(&lease).await.unwrap();
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
                    if let Claim::New(_) = store.claim(&format!("d{i}"), LEASE).await.unwrap() {
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
    assert!(matches!(claim(&memory, "k").await, Claim::New(_)));
    let boxed: Box<dyn DeliveryStore> = Box::new(memory.clone());
    assert_eq!(claim(boxed, "k").await, Claim::InProgress);
    assert_eq!(
        format!("{memory:?}"),
        "MemoryStore { len: 1, capacity: 4, retention: 30s }"
    );
}

/// The issue's shape of a receiver compiles from outside the crate: `Claim` is matched
/// exhaustively, with no wildcard arm.
#[tokio::test]
async fn a_claim_is_matched_exhaustively_outside_the_crate() {
    let store = MemoryStore::new();
    let lease_for = Duration::from_secs(30);
    let mut answers = Vec::new();
    for _ in 0..3 {
        let answer = match store.claim("event:exhaustive", lease_for).await.unwrap() {
            Claim::New(lease) => {
                store.complete(&lease).await.unwrap();
                200
            }
            Claim::InProgress => 409,
            Claim::Done => 208,
        };
        answers.push(answer);
    }
    assert_eq!(answers, [200, 208, 208]);
}
