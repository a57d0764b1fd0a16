//! The in-memory delivery store: the shared conformance suite, plus its own bounds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use buzzin::webhooks::store::{
    handle_once, Claim, DeliveryStore, Lease, MemoryStore, Outcome, StoreError, StoreFuture,
    DEFAULT_RETENTION,
};
use buzzin_test_support::cancel::poll_then_drop;

const LEASE: Duration = Duration::from_secs(30);

async fn new(store: &MemoryStore, key: &str) -> Lease {
    match store.claim(key, LEASE).await.unwrap() {
        Claim::New(lease) => lease,
        other => panic!("{key}: {other:?}"),
    }
}

#[tokio::test]
async fn memory_store_conformance() {
    buzzin_test_support::store_conformance::conformance(Arc::new(MemoryStore::new()), "memory")
        .await;
}

#[tokio::test]
async fn memory_store_futures_dropped_after_every_poll() {
    buzzin_test_support::store_conformance::dropped_after_every_poll(
        &MemoryStore::new(),
        |_| async {},
    )
    .await;
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

/// A `MemoryStore` whose `complete` cannot reach it until `up_at` (a store outage that began
/// while the handler ran).
struct Unreachable {
    store: MemoryStore,
    up_at: Instant,
    refused: AtomicUsize,
}

impl DeliveryStore for Unreachable {
    fn claim<'a>(&'a self, key: &'a str, lease_for: Duration) -> StoreFuture<'a, Claim> {
        self.store.claim(key, lease_for)
    }
    fn complete<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        if Instant::now() < self.up_at {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Box::pin(async { Err(StoreError::new("unreachable")) });
        }
        self.store.complete(lease)
    }
    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        self.store.release(lease)
    }
    fn extend<'a>(&'a self, lease: &'a Lease, lease_for: Duration) -> StoreFuture<'a, ()> {
        self.store.extend(lease, lease_for)
    }
}

/// The store is unreachable from the handler's end until well past the lease, and no one
/// claimed the delivery meanwhile: the late "done" mark lands, and the retry is acknowledged
/// without handling it again.
#[tokio::test]
async fn a_done_mark_that_misses_the_lease_lands_when_no_one_claimed_since() {
    let lease_for = Duration::from_millis(200);
    let store = Unreachable {
        store: MemoryStore::new(),
        up_at: Instant::now() + Duration::from_millis(1_500),
        refused: AtomicUsize::new(0),
    };
    let effects = AtomicUsize::new(0);
    let outcome = handle_once(&store, "late", lease_for, |_| async {
        effects.fetch_add(1, Ordering::Relaxed);
        Ok::<(), std::io::Error>(())
    })
    .await;
    assert!(matches!(outcome, Outcome::Handled), "{outcome:?}");
    assert!(store.refused.load(Ordering::Relaxed) >= 3);
    let retry = handle_once(&store, "late", lease_for, |_| async {
        effects.fetch_add(1, Ordering::Relaxed);
        Ok::<(), std::io::Error>(())
    })
    .await;
    assert!(matches!(retry, Outcome::AlreadyDone), "{retry:?}");
    assert_eq!(effects.load(Ordering::Relaxed), 1);
}

/// The same outage, but another receiver claimed the delivery after the lease ran out: the
/// late mark is refused (the fence moved on), the first handler answers 409, and only the
/// second one's mark counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_done_mark_is_refused_once_another_handler_claimed() {
    let lease_for = Duration::from_millis(200);
    let store = Arc::new(Unreachable {
        store: MemoryStore::new(),
        up_at: Instant::now() + Duration::from_millis(1_500),
        refused: AtomicUsize::new(0),
    });
    let first = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            handle_once(&*store, "taken", lease_for, |_| async {
                Ok::<(), std::io::Error>(())
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    let Claim::New(second) = store.store.claim("taken", lease_for).await.unwrap() else {
        panic!("the lease had run out: the retry must be new")
    };
    let first = first.await.unwrap();
    assert!(matches!(first, Outcome::LeaseLost), "{first:?}");
    store.store.complete(&second).await.unwrap();
    assert_eq!(store.claim("taken", lease_for).await.unwrap(), Claim::Done);
}

/// Any lease, even one too long to add to a clock, is handled without a panic.
#[tokio::test]
async fn handle_once_accepts_any_lease() {
    let store = MemoryStore::new();
    for (n, lease_for) in [Duration::ZERO, Duration::from_nanos(1), Duration::MAX]
        .into_iter()
        .enumerate()
    {
        let key = format!("lease:{n}");
        let outcome = handle_once(&store, &key, lease_for, |_| async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok::<(), std::io::Error>(())
        })
        .await;
        assert!(
            matches!(outcome, Outcome::Handled),
            "{lease_for:?}: {outcome:?}"
        );
        assert_eq!(store.claim(&key, LEASE).await.unwrap(), Claim::Done);
    }
}

/// `handle_once` on a `MemoryStore`, dropped after each possible number of polls: never done
/// without the handler's success, and a claim left behind blocks the retry no longer than its
/// lease.
#[tokio::test]
async fn handle_once_dropped_after_every_poll_never_marks_done_without_success() {
    let store = MemoryStore::new();
    let lease_for = Duration::from_millis(150);
    let mut drops = 0;
    for polls in 1..=200 {
        let key = format!("drop:{polls}");
        let succeeded = AtomicUsize::new(0);
        let dropped_at = Instant::now();
        let handled = handle_once(&store, &key, lease_for, |_| async {
            // Long enough for a heartbeat, with awaits before and after the effect.
            tokio::time::sleep(Duration::from_millis(60)).await;
            tokio::task::yield_now().await;
            succeeded.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok::<(), std::io::Error>(())
        });
        let finished = poll_then_drop(handled, polls).await.is_some();
        let state = store.claim(&key, lease_for).await.unwrap();
        if matches!(state, Claim::Done) {
            assert_eq!(
                succeeded.load(Ordering::Relaxed),
                1,
                "{key}: done without success"
            );
        }
        if let Claim::New(lease) = state {
            store.complete(&lease).await.unwrap();
        } else {
            let retried = loop {
                match store.claim(&key, lease_for).await.unwrap() {
                    Claim::InProgress => tokio::time::sleep(Duration::from_millis(10)).await,
                    other => break other,
                }
                assert!(
                    dropped_at.elapsed() < lease_for * 2 + Duration::from_millis(100),
                    "{key}: the dropped claim blocked the retry past its lease"
                );
            };
            assert!(!matches!(retried, Claim::InProgress));
        }
        if finished {
            break;
        }
        drops += 1;
    }
    println!("handle_once on a MemoryStore: dropped after 1..={drops} polls, then finished");
    assert!(
        drops >= 3,
        "handle_once never suspended: the probe tested nothing"
    );
}

/// One verifier holding two tenants' secrets, one store: tenant A's signed envelope that
/// reuses tenant B's event id does not mark B's delivery as done.
#[tokio::test]
async fn one_tenants_envelope_cannot_mark_anothers_delivery_done() {
    use buzzin::webhooks::{sign, Verifier};

    let verifier = Verifier::with_secrets(["whsec-tenant-a", "whsec-tenant-b"]);
    let store = MemoryStore::new();
    let body = r#"{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.expired","data":{}}"#;
    let signed = |secret: &str| {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        verifier
            .verify(
                &[
                    ("buzzin-signature", sign(secret, ts, body)),
                    ("buzzin-signature-timestamp", ts.to_string()),
                ],
                body.as_bytes(),
            )
            .unwrap()
    };
    // Tenant A delivers first (or forges B's id) and is handled.
    let from_a = signed("whsec-tenant-a");
    let handled = handle_once(&store, &from_a.dedup_key(), LEASE, |_| async {
        Ok::<(), std::io::Error>(())
    })
    .await;
    assert!(matches!(handled, Outcome::Handled));
    // Tenant B's own delivery of that id is new, not "already done".
    let from_b = signed("whsec-tenant-b");
    assert_ne!(from_a.dedup_key(), from_b.dedup_key());
    let ran = AtomicUsize::new(0);
    let outcome = handle_once(&store, &from_b.dedup_key(), LEASE, |_| async {
        ran.fetch_add(1, Ordering::Relaxed);
        Ok::<(), std::io::Error>(())
    })
    .await;
    assert!(matches!(outcome, Outcome::Handled), "{outcome:?}");
    assert_eq!(ran.load(Ordering::Relaxed), 1);
    // And a repeat of B's is done.
    assert_eq!(
        store.claim(&from_b.dedup_key(), LEASE).await.unwrap(),
        Claim::Done
    );
}
