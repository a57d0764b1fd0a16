//! `PgStore` against a real PostgreSQL that the test starts (buzzin-test-support's `pg`): the delivery
//! store conformance suite every store passes, and the transactional inbox (the effect and
//! the "done" mark in one commit, or neither).

use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::store::postgres::sqlx::{self, PgPool};
use buzzin::webhooks::store::postgres::{InboxClaim, InboxTransaction, PgStore};
use buzzin::webhooks::store::{Claim, DeliveryStore};
use buzzin_test_support::cancel::poll_then_drop;
use buzzin_test_support::latency::LatencyProxy;
use buzzin_test_support::pg::{PgDatabase, PgServer};

async fn pool(server: &PgDatabase) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect(&server.url())
        .await
        .expect("a pool on the test's PostgreSQL")
}

async fn store(server: &PgDatabase) -> PgStore {
    let store = PgStore::new(pool(server).await);
    store.migrate().await.unwrap();
    store
}

/// The effect table of these tests: one row per handled delivery, at most once.
async fn effects_table(pool: &PgPool) {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS effects (delivery text PRIMARY KEY, fence bigint NOT NULL)",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn effect(tx: &mut InboxTransaction) {
    let key = tx.lease().key().to_owned();
    let fence = tx.lease().fence() as i64;
    sqlx::query("INSERT INTO effects (delivery, fence) VALUES ($1, $2)")
        .bind(key)
        .bind(fence)
        .execute(tx.as_mut())
        .await
        .unwrap();
}

async fn effects(pool: &PgPool, key: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT fence FROM effects WHERE delivery = $1")
        .bind(key)
        .fetch_all(pool)
        .await
        .unwrap()
}

fn new(claim: InboxClaim) -> InboxTransaction {
    match claim {
        InboxClaim::New(tx) => tx,
        other => panic!("expected New, got {other:?}"),
    }
}

#[tokio::test]
async fn pg_store_conformance() {
    let server = PgServer::database();
    let store = store(&server).await;
    buzzin_test_support::store_conformance::conformance(Arc::new(store), "conformance").await;
}

#[tokio::test]
async fn the_effect_and_the_done_mark_commit_together() {
    let server = PgServer::database();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    let lease_for = Duration::from_secs(30);

    let mut tx = new(store.begin("event:1", lease_for).await.unwrap());
    effect(&mut tx).await;
    // Not committed yet: a concurrent copy waits the holder wait, then is in progress, and
    // the effect is not visible.
    let asked = std::time::Instant::now();
    assert!(matches!(
        store.begin("event:1", lease_for).await.unwrap(),
        InboxClaim::InProgress
    ));
    assert!(asked.elapsed() >= PgStore::DEFAULT_HOLDER_WAIT);
    assert!(effects(store.pool(), "event:1").await.is_empty());
    let first_fence = tx.lease().fence();
    tx.complete().await.unwrap();
    assert_eq!(effects(store.pool(), "event:1").await, [first_fence as i64]);
    assert!(matches!(
        store.begin("event:1", lease_for).await.unwrap(),
        InboxClaim::Done
    ));
    assert_eq!(
        store.claim("event:1", lease_for).await.unwrap(),
        Claim::Done
    );

    // A handler that fails drops its transaction: the effect and the claim roll back, so the
    // retry is new at once, with a larger fence.
    let mut failed = new(store.begin("event:2", lease_for).await.unwrap());
    effect(&mut failed).await;
    let failed_fence = failed.lease().fence();
    drop(failed);
    let mut retry = new(store.begin("event:2", lease_for).await.unwrap());
    assert!(retry.lease().fence() > failed_fence);
    effect(&mut retry).await;
    let retry_fence = retry.lease().fence() as i64;
    retry.complete().await.unwrap();
    assert_eq!(effects(store.pool(), "event:2").await, [retry_fence]);

    // `release` rolls back the same way.
    let mut released = new(store.begin("event:3", lease_for).await.unwrap());
    effect(&mut released).await;
    let released_fence = released.lease().fence();
    released.release().await.unwrap();
    assert!(effects(store.pool(), "event:3").await.is_empty());
    let again = new(store.begin("event:3", lease_for).await.unwrap());
    assert!(again.lease().fence() > released_fence);

    // A lease of `DeliveryStore::claim` that is live keeps the inbox out, and the inbox's
    // fence is above the fences that key's leases had.
    let Claim::New(lease) = store.claim("event:4", lease_for).await.unwrap() else {
        panic!("event:4 was not new")
    };
    assert!(matches!(
        store.begin("event:4", lease_for).await.unwrap(),
        InboxClaim::InProgress
    ));
    store.release(&lease).await.unwrap();
    let inbox = new(store.begin("event:4", lease_for).await.unwrap());
    assert!(inbox.lease().fence() > lease.fence());
    inbox.complete().await.unwrap();
    assert_eq!(
        store.claim("event:4", lease_for).await.unwrap(),
        Claim::Done
    );
}

/// A copy that arrives while a short handler runs waits for its COMMIT and is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_waits_for_a_short_holder_and_is_done() {
    let server = PgServer::database();
    let store = store(&server).await.holder_wait(Duration::from_secs(5));
    effects_table(store.pool()).await;
    let mut tx = new(store
        .begin("event:w", Duration::from_secs(30))
        .await
        .unwrap());
    effect(&mut tx).await;
    let copy = {
        let store = store.clone();
        tokio::spawn(async move { store.begin("event:w", Duration::from_secs(30)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!copy.is_finished(), "the copy did not wait for the holder");
    tx.complete().await.unwrap();
    assert!(matches!(copy.await.unwrap().unwrap(), InboxClaim::Done));
}

/// A handler whose statement failed cannot complete: its transaction is aborted, and
/// `complete` says so instead of committing nothing in silence.
#[tokio::test]
async fn an_aborted_transaction_never_completes_in_silence() {
    let server = PgServer::database();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    let mut tx = new(store
        .begin("event:a", Duration::from_secs(30))
        .await
        .unwrap());
    effect(&mut tx).await;
    let failed = sqlx::query("SELECT 1 / 0").execute(tx.as_mut()).await;
    assert!(failed.is_err());
    let err = tx.complete().await.unwrap_err();
    assert!(!err.is_lease_lost(), "{err}");
    assert!(format!("{err:?}").contains("25P02"), "{err:?}");
    assert!(effects(store.pool(), "event:a").await.is_empty());
    // Nothing of it committed: the retry is new.
    let retry = new(store
        .begin("event:a", Duration::from_secs(30))
        .await
        .unwrap());
    retry.complete().await.unwrap();
}

/// The lease is the transaction's idle timeout: `extend` lets a handler stand idle longer.
#[tokio::test]
async fn extend_keeps_an_idle_transaction() {
    let server = PgServer::database();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    let mut tx = new(store
        .begin("event:e", Duration::from_millis(200))
        .await
        .unwrap());
    tx.extend(Duration::from_secs(30)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    effect(&mut tx).await;
    let fence = tx.lease().fence() as i64;
    tx.complete().await.unwrap();
    assert_eq!(effects(store.pool(), "event:e").await, [fence]);
}

#[tokio::test]
async fn keys_with_quotes_backslashes_and_dollars_commit_as_themselves() {
    let server = PgServer::database();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    for key in [
        "it's",
        "back\\slash\\",
        "'; DROP TABLE effects; --",
        "$1 $2 $3",
        "E'x'",
        "événement:☃",
    ] {
        let mut tx = new(store.begin(key, Duration::from_secs(30)).await.unwrap());
        effect(&mut tx).await;
        let fence = tx.lease().fence() as i64;
        tx.complete().await.unwrap();
        assert_eq!(effects(store.pool(), key).await, [fence], "{key}");
        assert_eq!(
            store.claim(key, Duration::from_secs(30)).await.unwrap(),
            Claim::Done,
            "{key}"
        );
    }
}

#[tokio::test]
async fn a_stale_handler_commits_nothing() {
    let server = PgServer::database();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    // A handler stalls past its lease (a SIGSTOPped process, a long GC pause): its transaction
    // stands idle, and the server ends it…
    let mut stale = new(store
        .begin("event:9", Duration::from_millis(100))
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    // …so the retry is claimed and handled by another…
    let mut current = new(store
        .begin("event:9", Duration::from_secs(30))
        .await
        .unwrap());
    assert!(current.lease().fence() > stale.lease().fence());
    effect(&mut current).await;
    current.complete().await.unwrap();
    // …and the stale one wakes up: its transaction is gone, so neither its effect nor its
    // done mark can commit, and `complete` says the lease was lost.
    let written = sqlx::query("INSERT INTO effects (delivery, fence) VALUES ('stale-marker', $1)")
        .bind(stale.lease().fence() as i64)
        .execute(stale.as_mut())
        .await;
    // The server's reason: 25P03, idle_in_transaction_session_timeout.
    let refused = written.expect_err("the stale transaction took a write");
    assert!(format!("{refused:?}").contains("25P03"), "{refused:?}");
    assert!(stale.complete().await.is_err());
    let fences = effects(store.pool(), "event:9").await;
    assert_eq!(fences.len(), 1);
    assert!(effects(store.pool(), "stale-marker").await.is_empty());
}

/// A stalled handler's `complete` is a lost lease: the server ended its idle transaction.
#[tokio::test]
async fn complete_after_the_server_ended_the_transaction_is_lease_lost() {
    let server = PgServer::database();
    let store = store(&server).await;
    let stale = new(store
        .begin("event:8", Duration::from_millis(100))
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let err = stale.complete().await.unwrap_err();
    assert!(err.is_lease_lost(), "{err:?}");
    assert!(matches!(
        store
            .begin("event:8", Duration::from_secs(30))
            .await
            .unwrap(),
        InboxClaim::New(_)
    ));
}

#[tokio::test]
async fn migrate_is_idempotent_and_concurrent_and_tables_are_checked() {
    let server = PgServer::database();
    let pool = pool(&server).await;
    let stores: Vec<PgStore> = (0..4)
        .map(|_| PgStore::new(pool.clone()).table("inbox_a").unwrap())
        .collect();
    let results = futures_util::future::join_all(stores.iter().map(|store| store.migrate())).await;
    for result in results {
        result.unwrap();
    }
    stores[0].migrate().await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'inbox_a'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 1);
    // The default table's schema is the documented one.
    PgStore::new(pool.clone()).migrate().await.unwrap();
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_name = 'buzzin_deliveries' ORDER BY ordinal_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(columns, ["key", "fence", "token", "done", "lease_until"]);
    assert!(PgStore::SCHEMA.contains("CREATE TABLE IF NOT EXISTS buzzin_deliveries"));
    // A schema-qualified name works; anything that is not an identifier is refused.
    sqlx::raw_sql("CREATE SCHEMA inbox")
        .execute(&pool)
        .await
        .unwrap();
    let qualified = PgStore::new(pool.clone())
        .table("inbox.deliveries")
        .unwrap();
    qualified.migrate().await.unwrap();
    assert!(matches!(
        qualified.claim("k", Duration::from_secs(1)).await.unwrap(),
        Claim::New(_)
    ));
    // The inbox's fence sequence lives beside the table, in its schema.
    let tx = new(qualified.begin("k2", Duration::from_secs(1)).await.unwrap());
    tx.complete().await.unwrap();
    let sequences: Vec<String> = sqlx::query_scalar(
        "SELECT sequence_schema || '.' || sequence_name FROM information_schema.sequences \
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        sequences,
        [
            "inbox.deliveries_fence",
            "public.buzzin_deliveries_fence",
            "public.inbox_a_fence"
        ]
    );
    for bad in [
        "",
        "a;DROP TABLE x",
        "a b",
        "1abc",
        "a.b.c",
        "x\"y",
        &"t".repeat(51),
    ] {
        let err = PgStore::new(pool.clone()).table(bad).unwrap_err();
        assert!(
            err.to_string().contains("is not a table name"),
            "{bad}: {err}"
        );
    }
}

#[tokio::test]
async fn cleanup_deletes_old_rows_in_bounded_batches() {
    let server = PgServer::database();
    let store = store(&server).await.retention(Duration::from_secs(600));
    let lease_for = Duration::from_secs(30);
    for i in 0..250 {
        let Claim::New(lease) = store.claim(&format!("done:{i}"), lease_for).await.unwrap() else {
            panic!("new");
        };
        store.complete(&lease).await.unwrap();
    }
    // Leases that ran out long ago go too; a live one stays.
    for i in 0..20 {
        store
            .claim(&format!("crashed:{i}"), Duration::from_millis(1))
            .await
            .unwrap();
    }
    let Claim::New(_live) = store.claim("live", lease_for).await.unwrap() else {
        panic!("new");
    };
    let rows = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM buzzin_deliveries")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(rows(store.pool().clone()).await, 271);
    // Nothing is older than 10 minutes.
    assert_eq!(store.cleanup(100).await.unwrap(), 0);
    let store = store.retention(Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut batches = Vec::new();
    loop {
        let deleted = store.cleanup(100).await.unwrap();
        batches.push(deleted);
        if deleted < 100 {
            break;
        }
    }
    assert_eq!(batches, [100, 100, 70]);
    assert_eq!(rows(store.pool().clone()).await, 1);
    assert_eq!(
        store.claim("live", lease_for).await.unwrap(),
        Claim::InProgress
    );
    // A delivery forgotten after the retention is new again (as documented).
    assert!(matches!(
        store.claim("done:0", lease_for).await.unwrap(),
        Claim::New(_)
    ));
}

#[tokio::test]
async fn errors_and_debug_never_show_the_connection_password() {
    let server = PgServer::database();
    // Trust authentication ignores the password, so the URL can carry one that must not show.
    let url = server.url().replace("buzzin@", "buzzin:hunter2-secret@");
    let pool = PgPool::connect(&url).await.unwrap();
    let store = PgStore::new(pool.clone()).table("never_migrated").unwrap();
    assert!(!format!("{store:?}").contains("hunter2"));
    let err = store.claim("k", Duration::from_secs(1)).await.unwrap_err();
    let shown = format!("{err} / {err:?} / {:?}", std::error::Error::source(&err));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!err.is_lease_lost());
    // The server's own reason is kept: the table does not exist (SQLSTATE 42P01).
    assert!(shown.contains("42P01"), "{shown}");
    // The same through `begin`, whose claim and transaction share one round trip: the error,
    // and the pool's connections left out of any transaction (a migrated store works after).
    for _ in 0..3 {
        let err = store.begin("k", Duration::from_secs(1)).await.unwrap_err();
        assert!(!err.is_lease_lost());
        assert!(!format!("{err:?}").contains("hunter2"));
    }
    let good = PgStore::new(pool.clone());
    good.migrate().await.unwrap();
    let tx = new(good.begin("k", Duration::from_secs(1)).await.unwrap());
    tx.release().await.unwrap();
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(open, 0, "a connection was left in a transaction");
    // A database that is gone is a store error, never a lease lost.
    pool.close().await;
    let err = store.claim("k", Duration::from_secs(1)).await.unwrap_err();
    assert!(!err.is_lease_lost());
    assert!(!format!("{err:?}").contains("hunter2"));
}

/// `begin`, the effect and `complete` run in spawned tasks (their futures are `Send`), and
/// concurrent copies of one delivery commit one effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_in_spawned_tasks_commit_one_effect() {
    let server = PgServer::database();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                match store
                    .begin("event:spawned", Duration::from_secs(30))
                    .await
                    .unwrap()
                {
                    InboxClaim::New(mut tx) => {
                        effect(&mut tx).await;
                        tx.complete().await.unwrap();
                        true
                    }
                    InboxClaim::InProgress | InboxClaim::Done => false,
                }
            })
        })
        .collect();
    let mut handled = 0;
    for task in tasks {
        handled += usize::from(task.await.unwrap());
    }
    assert_eq!(handled, 1);
    assert_eq!(effects(store.pool(), "event:spawned").await.len(), 1);
}

/// A pool of one connection: a connection left in a transaction would be the next user's.
async fn pool_of_one(server: &PgDatabase) -> PgPool {
    pool_of_one_at(&server.url()).await
}

async fn pool_of_one_at(url: &str) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .expect("a pool of one connection")
}

/// The pool's connection (its only one) is outside any transaction: two statements in one
/// transaction share its id, two outside one have two.
async fn assert_outside_a_transaction(pool: &PgPool, what: &str) {
    let mut connection = pool.acquire().await.expect("the pool's connection");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id: i64 = sqlx::query_scalar("SELECT txid_current()")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        ids.push(id);
    }
    assert_ne!(
        ids[0], ids[1],
        "{what}: the pool's connection came back inside a transaction"
    );
}

/// Whether `key` is done, and its effects, as committed.
async fn committed(pool: &PgPool, key: &str) -> (bool, usize) {
    let done: Option<bool> =
        sqlx::query_scalar("SELECT done FROM buzzin_deliveries WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await
            .unwrap();
    (done == Some(true), effects(pool, key).await.len())
}

/// The exactly-once guarantee at one moment: done with exactly one effect, or not done with
/// none.
async fn assert_done_iff_one_effect(pool: &PgPool, key: &str, what: &str) {
    let (done, effects) = committed(pool, key).await;
    assert!(
        (done && effects == 1) || (!done && effects == 0),
        "{what}: `{key}` done {done} with {effects} effects"
    );
}

/// Handles `key` through the inbox as a receiver does, until it is done (a copy in progress,
/// such as a transaction whose connection is closing, is tried again).
async fn handle_in_inbox(store: &PgStore, key: &str) {
    for _ in 0..100 {
        match store.begin(key, Duration::from_secs(30)).await.unwrap() {
            InboxClaim::New(mut tx) => {
                effect(&mut tx).await;
                tx.complete().await.unwrap();
                return;
            }
            InboxClaim::Done => return,
            InboxClaim::InProgress => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    panic!("`{key}` stayed in progress");
}

/// Every future of the inbox (`begin`, `complete`, `release`, `extend`, and a whole handler)
/// dropped after each possible number of polls, on a pool of one connection: the connection
/// never comes back inside a transaction, no delivery is done without its effect, and the
/// same and other deliveries are handled normally afterwards, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_futures_dropped_after_every_poll_never_commit_half() {
    let server = PgServer::database();
    // Through a relay that holds each chunk back 2 ms: every round trip suspends the future,
    // so each stage is dropped at each of its `.await`s even on a busy machine.
    let proxy = LatencyProxy::start(server.addr(), Duration::from_millis(2)).await;
    let pool = pool_of_one_at(&server.url_via(proxy.port())).await;
    let store = PgStore::new(pool.clone());
    store.migrate().await.unwrap();
    effects_table(&pool).await;
    let lease_for = Duration::from_secs(30);
    let mut keys = Vec::new();
    let mut drops = 0;
    for stage in ["begin", "handler", "complete", "release", "extend"] {
        let mut dropped = 0;
        for polls in 1..=200 {
            let key = format!("{stage}:{polls}");
            let finished = match stage {
                "begin" => match poll_then_drop(store.begin(&key, lease_for), polls).await {
                    Some(claim) => {
                        let mut tx = new(claim.unwrap());
                        effect(&mut tx).await;
                        tx.complete().await.unwrap();
                        true
                    }
                    None => false,
                },
                "handler" => {
                    let handler = async {
                        let mut tx = new(store.begin(&key, lease_for).await.unwrap());
                        effect(&mut tx).await;
                        tx.complete().await.unwrap();
                    };
                    poll_then_drop(handler, polls).await.is_some()
                }
                "complete" | "release" | "extend" => {
                    let mut tx = new(store.begin(&key, lease_for).await.unwrap());
                    effect(&mut tx).await;
                    match stage {
                        "complete" => poll_then_drop(tx.complete(), polls)
                            .await
                            .map(Result::unwrap)
                            .is_some(),
                        "release" => poll_then_drop(tx.release(), polls)
                            .await
                            .map(Result::unwrap)
                            .is_some(),
                        _ => {
                            let extended = poll_then_drop(tx.extend(lease_for), polls)
                                .await
                                .map(Result::unwrap)
                                .is_some();
                            // Still the handler's transaction: it goes on and commits.
                            tx.complete().await.unwrap();
                            extended
                        }
                    }
                }
                _ => unreachable!(),
            };
            assert_outside_a_transaction(&pool, &key).await;
            assert_done_iff_one_effect(&pool, &key, "after the drop").await;
            // The same delivery (Buzz-In's retry) and another one are handled normally.
            let other = format!("{key}:other");
            handle_in_inbox(&store, &key).await;
            handle_in_inbox(&store, &other).await;
            keys.push(key);
            keys.push(other);
            if finished {
                break;
            }
            dropped += 1;
        }
        // On a fast loopback a future may finish at its first poll: no drop is due then.
        println!("{stage}: dropped after 1..={dropped} polls, then finished");
        drops += dropped;
    }
    assert!(
        drops >= 3,
        "the futures never suspended: the probe tested nothing"
    );
    for key in &keys {
        assert_eq!(committed(&pool, key).await, (true, 1), "{key}");
    }
}

/// `PgStore` as a `DeliveryStore` (claim, complete, release, extend) and `handle_once` on it,
/// dropped after each possible number of polls on a pool of one connection: the connection
/// stays usable, and a claim left behind blocks the retry no longer than its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_futures_dropped_after_every_poll_block_no_longer_than_the_lease() {
    let server = PgServer::database();
    let pool = pool_of_one(&server).await;
    let store = PgStore::new(pool.clone());
    store.migrate().await.unwrap();
    buzzin_test_support::store_conformance::dropped_after_every_poll(&store, |key| {
        let pool = pool.clone();
        async move { assert_outside_a_transaction(&pool, &key).await }
    })
    .await;
}
