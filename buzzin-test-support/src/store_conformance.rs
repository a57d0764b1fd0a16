//! One conformance suite for every `DeliveryStore`: `MemoryStore` (tests/stores/memory.rs),
//! `RedisStore` (tests/stores/redis.rs) and `PgStore` (tests/stores/postgres.rs) run the
//! same checks, and the same cancellation probe.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::store::{handle_once, Claim, DeliveryStore, Lease, Outcome};

use crate::cancel::poll_then_drop;

const LONG: Duration = Duration::from_secs(30);
/// A lease short enough to run out in a test.
const SHORT: Duration = Duration::from_millis(60);
/// Long enough for a SHORT lease to have run out.
const PAST_SHORT: Duration = Duration::from_millis(150);

async fn new(store: &dyn DeliveryStore, key: &str, lease_for: Duration) -> Lease {
    match store.claim(key, lease_for).await.unwrap() {
        Claim::New(lease) => lease,
        other => panic!("{key}: expected New, got {other:?}"),
    }
}

/// Runs every check against `store`, with keys under `ns` (fresh per run).
pub async fn conformance(store: Arc<dyn DeliveryStore>, ns: &str) {
    let store = &*store;
    claim_complete_done(store, &format!("{ns}:a")).await;
    release_makes_the_next_claim_new(store, &format!("{ns}:b")).await;
    a_stale_release_does_not_free_the_next_lease(store, &format!("{ns}:c")).await;
    a_stale_complete_does_not_mark_done(store, &format!("{ns}:d")).await;
    extend_keeps_the_lease_and_a_stale_extend_is_lost(store, &format!("{ns}:e")).await;
    a_lease_acts_once(store, &format!("{ns}:f")).await;
    fences_increase_across_expiry(store, &format!("{ns}:g")).await;
    a_late_lease_with_no_claim_since_is_current(store, &format!("{ns}:h")).await;
    concurrent_claims_admit_one(store, ns).await;
    bad_keys_are_refused(store).await;
}

async fn claim_complete_done(store: &dyn DeliveryStore, key: &str) {
    let lease = new(store, key, LONG).await;
    assert_eq!(lease.key(), key);
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::InProgress);
    store.complete(&lease).await.unwrap();
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::Done);
    // A done key cannot be released or extended by the lease that completed it.
    assert!(store.release(&lease).await.unwrap_err().is_lease_lost());
    assert!(store
        .extend(&lease, LONG)
        .await
        .unwrap_err()
        .is_lease_lost());
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::Done);
}

async fn release_makes_the_next_claim_new(store: &dyn DeliveryStore, key: &str) {
    let first = new(store, key, LONG).await;
    store.release(&first).await.unwrap();
    let second = new(store, key, LONG).await;
    assert!(second.fence() > first.fence());
    store.complete(&second).await.unwrap();
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::Done);
}

/// A handler whose lease ran out releases: the next handler's live lease stays, and a third
/// claim is InProgress (before, it freed the key and a third got New).
async fn a_stale_release_does_not_free_the_next_lease(store: &dyn DeliveryStore, key: &str) {
    let stale = new(store, key, SHORT).await;
    tokio::time::sleep(PAST_SHORT).await;
    let current = new(store, key, LONG).await;
    let err = store.release(&stale).await.unwrap_err();
    assert!(err.is_lease_lost(), "{err}");
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::InProgress);
    store.complete(&current).await.unwrap();
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::Done);
}

/// A stale complete does not mark done a delivery whose current handler then fails: the retry
/// after the current handler's release is handled.
async fn a_stale_complete_does_not_mark_done(store: &dyn DeliveryStore, key: &str) {
    let stale = new(store, key, SHORT).await;
    tokio::time::sleep(PAST_SHORT).await;
    let current = new(store, key, LONG).await;
    assert!(store.complete(&stale).await.unwrap_err().is_lease_lost());
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::InProgress);
    store.release(&current).await.unwrap(); // the current handler failed
    let retry = new(store, key, LONG).await;
    assert!(retry.fence() > current.fence() && current.fence() > stale.fence());
    store.complete(&retry).await.unwrap();
}

async fn extend_keeps_the_lease_and_a_stale_extend_is_lost(store: &dyn DeliveryStore, key: &str) {
    let lease = new(store, key, SHORT).await;
    // Three heartbeats, each before the lease runs out, carry it well past SHORT.
    for _ in 0..3 {
        tokio::time::sleep(SHORT / 2).await;
        store.extend(&lease, SHORT).await.unwrap();
    }
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::InProgress);
    // An extension can also shorten it, and then it runs out.
    store
        .extend(&lease, Duration::from_millis(20))
        .await
        .unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    // It ran out: the next claim is New, and the old lease is lost.
    let next = new(store, key, LONG).await;
    assert!(store
        .extend(&lease, LONG)
        .await
        .unwrap_err()
        .is_lease_lost());
    store.extend(&next, LONG).await.unwrap();
    store.complete(&next).await.unwrap();
}

async fn a_lease_acts_once(store: &dyn DeliveryStore, key: &str) {
    let lease = new(store, key, LONG).await;
    store.release(&lease).await.unwrap();
    assert!(store.release(&lease).await.unwrap_err().is_lease_lost());
    assert!(store.complete(&lease).await.unwrap_err().is_lease_lost());
    let next = new(store, key, LONG).await;
    store.complete(&next).await.unwrap();
    assert!(store.complete(&next).await.unwrap_err().is_lease_lost());
    // A lease with the right fence but another holder's token is not current either.
    let other = format!("{key}-forged");
    let real = new(store, &other, LONG).await;
    let forged = Lease::new(other.as_str(), real.fence(), real.token().wrapping_add(1));
    assert!(store.complete(&forged).await.unwrap_err().is_lease_lost());
    assert_eq!(store.claim(&other, LONG).await.unwrap(), Claim::InProgress);
    store.complete(&real).await.unwrap();
}

/// A lease that ran out with no claim since is still current: a late complete counts (a
/// handler that outlived its lease while the store itself stalled), and extend revives it.
async fn a_late_lease_with_no_claim_since_is_current(store: &dyn DeliveryStore, key: &str) {
    let late = new(store, key, SHORT).await;
    tokio::time::sleep(PAST_SHORT).await;
    store.extend(&late, LONG).await.unwrap();
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::InProgress);
    store.extend(&late, SHORT).await.unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    store.complete(&late).await.unwrap();
    assert_eq!(store.claim(key, LONG).await.unwrap(), Claim::Done);
    // Released after running out: a newer holder's release leaves the old lease lost.
    let other = format!("{key}-2");
    let old = new(store, &other, SHORT).await;
    tokio::time::sleep(PAST_SHORT).await;
    let newer = new(store, &other, LONG).await;
    store.release(&newer).await.unwrap();
    assert!(store.complete(&old).await.unwrap_err().is_lease_lost());
    assert!(store.extend(&old, LONG).await.unwrap_err().is_lease_lost());
    assert!(matches!(
        store.claim(&other, LONG).await.unwrap(),
        Claim::New(_)
    ));
}

/// The fence survives the lease's expiry: it increases over claims whose leases ran out.
async fn fences_increase_across_expiry(store: &dyn DeliveryStore, key: &str) {
    let mut last = 0;
    for _ in 0..4 {
        let lease = new(store, key, Duration::from_millis(20)).await;
        assert!(lease.fence() > last, "{} after {last}", lease.fence());
        last = lease.fence();
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
}

async fn concurrent_claims_admit_one(store: &dyn DeliveryStore, ns: &str) {
    let attempts = (0..8).flat_map(|_| 0..50).map(|i| {
        let key = format!("{ns}:concurrent-{i}");
        async move { (i, store.claim(&key, LONG).await.unwrap()) }
    });
    let claims = futures_util::future::join_all(attempts).await;
    let mut fences = std::collections::HashMap::new();
    for (i, claim) in claims {
        if let Claim::New(lease) = claim {
            assert!(
                fences.insert(i, lease.fence()).is_none(),
                "key {i} admitted twice"
            );
        }
    }
    assert_eq!(fences.len(), 50);
}

async fn bad_keys_are_refused(store: &dyn DeliveryStore) {
    let long = "x".repeat(buzzin::webhooks::store::MAX_STORE_KEY_LEN + 1);
    let err = store.claim(&long, LONG).await.unwrap_err();
    assert!(err.to_string().contains("longer than 256"), "{err}");
    assert!(!err.is_lease_lost());
    let err = store.claim("", LONG).await.unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    let forged = Lease::new(long.as_str(), 1, 1);
    assert!(!store.complete(&forged).await.unwrap_err().is_lease_lost());
}

/// Each future of `store` (claim, complete, release, extend) and `handle_once` on it, dropped
/// after each possible number of polls, then `after_drop(key)`: the retry is new, or done when
/// a dropped "done" mark had landed, by the time a lease has run out at the latest.
pub async fn dropped_after_every_poll<S, F, Fut>(store: &S, mut after_drop: F)
where
    S: DeliveryStore,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let lease_for = Duration::from_millis(300);
    let mut late_done_marks = 0;
    let mut drops = 0;
    for stage in ["claim", "complete", "release", "extend", "handle_once"] {
        let mut dropped = 0;
        for polls in 1..=200 {
            let key = format!("drop:{stage}:{polls}");
            let dropped_at = tokio::time::Instant::now();
            let finished = match stage {
                "claim" => poll_then_drop(store.claim(&key, lease_for), polls)
                    .await
                    .is_some(),
                "handle_once" => {
                    let handled = handle_once(store, &key, lease_for, |_| async {
                        Ok::<(), std::io::Error>(())
                    });
                    poll_then_drop(handled, polls).await.is_some()
                }
                _ => {
                    let lease = new(store, &key, lease_for).await;
                    match stage {
                        "complete" => poll_then_drop(store.complete(&lease), polls).await,
                        "release" => poll_then_drop(store.release(&lease), polls).await,
                        _ => poll_then_drop(store.extend(&lease, lease_for), polls).await,
                    }
                    .map(Result::unwrap)
                    .is_some()
                }
            };
            after_drop(key.clone()).await;
            let outcome = loop {
                let outcome = handle_once(store, &key, lease_for, |_| async {
                    Ok::<(), std::io::Error>(())
                })
                .await;
                if !matches!(outcome, Outcome::InProgress) {
                    break outcome;
                }
                assert!(
                    dropped_at.elapsed() < lease_for * 3,
                    "{key}: a dropped future's claim blocked the retry past its lease"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            match outcome {
                Outcome::Handled => {}
                Outcome::AlreadyDone => late_done_marks += usize::from(!finished),
                other => panic!("{key}: the retry was {other:?}"),
            }
            if finished {
                break;
            }
            dropped += 1;
        }
        // On a fast loopback a future may finish at its first poll: no drop is due then.
        println!("{stage}: dropped after 1..={dropped} polls, then finished");
        drops += dropped;
    }
    // An in-memory store's futures never suspend: nothing to drop there.
    println!("drops {drops}; done marks that landed although their future was dropped: {late_done_marks}");
}
