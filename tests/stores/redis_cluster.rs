//! `RedisStore::connect_cluster` against a real 3-master Redis Cluster the test starts on free
//! loopback ports: the conformance suite, and every claim's keys in one slot, claims spread over
//! the masters.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::store::redis::{RedisConfig, RedisStore};
use buzzin::webhooks::store::{Claim, DeliveryStore};
use buzzin_test_support::redis::RedisCluster;

async fn node_keys(url: &str) -> Vec<String> {
    let mut c = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut c)
        .await
        .unwrap()
}

async fn keyslot(url: &str, key: &str) -> u16 {
    let mut c = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(&mut c)
        .await
        .unwrap()
}

#[tokio::test]
async fn conformance_on_a_three_master_cluster_with_one_slot_per_claim() {
    let cluster = RedisCluster::start();
    let urls = cluster.urls();
    let store = RedisStore::connect_cluster(urls.iter().map(String::as_str), RedisConfig::new())
        .await
        .expect("connect to the cluster");
    let store = Arc::new(store);
    buzzin_test_support::store_conformance::conformance(store.clone(), "cluster").await;

    // Several claims, each completed: their keys on the masters.
    let events: Vec<String> = (0..12).map(|i| format!("event:spread-{i}")).collect();
    for event in &events {
        let Claim::New(lease) = store.claim(event, Duration::from_secs(30)).await.unwrap() else {
            panic!("{event}: not new")
        };
        store.complete(&lease).await.unwrap();
        assert_eq!(
            store.claim(event, Duration::from_secs(30)).await.unwrap(),
            Claim::Done
        );
    }
    // Which master holds each key (a key lives on exactly one).
    let mut holder: BTreeMap<String, usize> = BTreeMap::new();
    for (i, url) in urls.iter().enumerate() {
        for key in node_keys(url).await {
            assert!(
                holder.insert(key.clone(), i).is_none(),
                "{key} on two nodes"
            );
        }
    }
    let mut masters = BTreeSet::new();
    for event in &events {
        let state = format!("buzzin:delivery:{{{event}}}");
        let fence = format!("{state}:fence");
        let (Some(&a), Some(&b)) = (holder.get(&state), holder.get(&fence)) else {
            panic!("{event}: keys missing: {holder:?}")
        };
        assert_eq!(a, b, "{event}: its two keys on different masters");
        assert_eq!(
            keyslot(&urls[0], &state).await,
            keyslot(&urls[0], &fence).await,
            "{event}: its two keys in different slots"
        );
        masters.insert(a);
    }
    assert_eq!(
        masters.len(),
        3,
        "the claims should spread over all 3 masters: {masters:?}"
    );
    // The conformance suite's own keys were spread too (not all on one node).
    let conformance_nodes: BTreeSet<usize> = holder
        .iter()
        .filter(|(k, _)| k.contains("{cluster:"))
        .map(|(_, &n)| n)
        .collect();
    assert!(conformance_nodes.len() >= 2, "{conformance_nodes:?}");
    drop(cluster);
}
