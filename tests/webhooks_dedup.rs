//! The bounded in-memory delivery de-duplication.

use std::sync::Arc;

use buzzin::webhooks::{DeliveryDedup, MemoryDedup};

#[test]
fn a_key_is_new_once_then_a_repeat() {
    let seen = MemoryDedup::new(8);
    assert!(seen.is_empty());
    assert!(seen.first_seen("delivery:a"));
    assert!(!seen.first_seen("delivery:a"));
    assert!(!seen.first_seen("delivery:a"));
    assert!(seen.first_seen("delivery:b"));
    assert_eq!(seen.len(), 2);
}

#[test]
fn it_stays_within_capacity_and_forgets_the_oldest_first() {
    let seen = MemoryDedup::new(3);
    for key in ["1", "2", "3", "4"] {
        assert!(seen.first_seen(key));
    }
    assert_eq!(seen.len(), 3);
    // "1" was evicted, so it counts as new again (evicting "2"); "3" and "4" are still known.
    assert!(!seen.first_seen("3"));
    assert!(!seen.first_seen("4"));
    assert!(seen.first_seen("1"));
    assert!(seen.first_seen("2"));
    assert_eq!(seen.len(), 3);
    for i in 0..10_000 {
        seen.first_seen(&i.to_string());
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(seen.capacity(), 3);
}

#[test]
fn forget_makes_a_key_new_again_without_breaking_eviction_order() {
    let seen = MemoryDedup::new(2);
    assert!(seen.first_seen("a"));
    seen.forget("a");
    assert_eq!(seen.len(), 0);
    assert!(seen.first_seen("a")); // handled again after a failure
    assert!(seen.first_seen("b"));
    // The stale first insertion of "a" must not evict the second one: "a" is now the oldest
    // real entry, so adding "c" evicts "a" and keeps "b".
    assert!(seen.first_seen("c"));
    assert!(!seen.first_seen("b"));
    assert!(!seen.first_seen("c"));
    assert!(seen.first_seen("a"));
    // Keys now: "c", "a". Inserting and forgetting many keys evicts "c" once, then leaves "a".
    for i in 0..1_000 {
        let key = format!("k{i}");
        assert!(seen.first_seen(&key));
        seen.forget(&key);
    }
    assert_eq!(seen.len(), 1);
    assert!(!seen.first_seen("a"));
    assert!(seen.first_seen("c"));
    seen.forget("never-seen");
}

#[test]
fn zero_capacity_still_remembers_the_last_key() {
    let seen = MemoryDedup::new(0);
    assert_eq!(seen.capacity(), 1);
    assert!(seen.first_seen("x"));
    assert!(!seen.first_seen("x"));
}

#[test]
fn concurrent_first_seen_admits_exactly_one_caller_per_key() {
    let seen = Arc::new(MemoryDedup::new(10_000));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                (0..1_000)
                    .filter(|i| seen.first_seen(&format!("d{i}")))
                    .count()
            })
        })
        .collect();
    let admitted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(admitted, 1_000);
}

#[test]
fn the_trait_works_through_references_arcs_and_trait_objects() {
    let memory = MemoryDedup::new(4);
    let by_ref: &dyn DeliveryDedup = &memory;
    assert!(by_ref.first_seen("k"));
    let shared: Arc<dyn DeliveryDedup + Send + Sync> = Arc::new(MemoryDedup::new(4));
    assert!(shared.first_seen("k"));
    assert!(!DeliveryDedup::first_seen(&shared, "k"));
    fn admit(dedup: impl DeliveryDedup, key: &str) -> bool {
        dedup.first_seen(key)
    }
    assert!(!admit(&memory, "k"));
    assert!(admit(Arc::clone(&shared), "other"));
    assert_eq!(format!("{memory:?}"), "MemoryDedup { len: 1, capacity: 4 }");
}
