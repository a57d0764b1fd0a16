//! `PgStore` against a real PostgreSQL that the test starts (tests/pg_support): the delivery
//! store conformance suite every store passes, and the transactional inbox (the effect and
//! the "done" mark in one commit, or neither).
#![cfg(feature = "postgres")]

mod pg_support;
mod store_conformance;

use std::sync::Arc;
use std::time::Duration;

use buzzin::webhooks::postgres::sqlx::{self, PgPool};
use buzzin::webhooks::postgres::{InboxClaim, InboxTransaction, PgStore};
use buzzin::webhooks::{Claim, DeliveryStore};
use pg_support::PgServer;

async fn pool(server: &PgServer) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect(&server.url())
        .await
        .expect("a pool on the test's PostgreSQL")
}

async fn store(server: &PgServer) -> PgStore {
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
    let server = PgServer::start();
    let store = store(&server).await;
    store_conformance::conformance(Arc::new(store), "conformance").await;
}

#[tokio::test]
async fn the_effect_and_the_done_mark_commit_together() {
    let server = PgServer::start();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    let lease_for = Duration::from_secs(30);

    let mut tx = new(store.begin("event:1", lease_for).await.unwrap());
    effect(&mut tx).await;
    // Not committed yet: a concurrent copy is in progress, and the effect is not visible.
    assert!(matches!(
        store.begin("event:1", lease_for).await.unwrap(),
        InboxClaim::InProgress
    ));
    assert!(effects(store.pool(), "event:1").await.is_empty());
    tx.complete().await.unwrap();
    assert_eq!(effects(store.pool(), "event:1").await, [1]);
    assert!(matches!(
        store.begin("event:1", lease_for).await.unwrap(),
        InboxClaim::Done
    ));
    assert_eq!(
        store.claim("event:1", lease_for).await.unwrap(),
        Claim::Done
    );

    // A handler that fails drops its transaction: the effect is rolled back, and once the
    // lease runs out the retry is new.
    let short = Duration::from_millis(100);
    let mut failed = new(store.begin("event:2", short).await.unwrap());
    effect(&mut failed).await;
    drop(failed);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut retry = new(store.begin("event:2", lease_for).await.unwrap());
    assert_eq!(retry.lease().fence(), 2);
    effect(&mut retry).await;
    retry.complete().await.unwrap();
    assert_eq!(effects(store.pool(), "event:2").await, [2]);

    // `release` rolls back and frees the lease at once.
    let mut released = new(store.begin("event:3", lease_for).await.unwrap());
    effect(&mut released).await;
    released.release().await.unwrap();
    assert!(effects(store.pool(), "event:3").await.is_empty());
    let again = new(store.begin("event:3", lease_for).await.unwrap());
    assert_eq!(again.lease().fence(), 2);
}

#[tokio::test]
async fn keys_with_quotes_backslashes_and_dollars_commit_as_themselves() {
    let server = PgServer::start();
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
        tx.complete().await.unwrap();
        assert_eq!(effects(store.pool(), key).await, [1], "{key}");
        assert_eq!(
            store.claim(key, Duration::from_secs(30)).await.unwrap(),
            Claim::Done,
            "{key}"
        );
    }
}

#[tokio::test]
async fn a_stale_handler_commits_nothing() {
    let server = PgServer::start();
    let store = store(&server).await;
    effects_table(store.pool()).await;
    // A handler stalls past its lease (a SIGSTOPped process, a long GC pause)…
    let mut stale = new(store
        .begin("event:9", Duration::from_millis(100))
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // …the retry is claimed and handled by another…
    let mut current = new(store
        .begin("event:9", Duration::from_secs(30))
        .await
        .unwrap());
    assert!(current.lease().fence() > stale.lease().fence());
    effect(&mut current).await;
    current.complete().await.unwrap();
    // …and the stale one wakes up and writes its effect: its complete is refused, and its
    // effect rolls back with it (it would have collided with the row anyway: here it writes
    // a row of its own, under another name, to show that nothing of it commits).
    sqlx::query("INSERT INTO effects (delivery, fence) VALUES ('stale-marker', $1)")
        .bind(stale.lease().fence() as i64)
        .execute(stale.as_mut())
        .await
        .unwrap();
    let err = stale.complete().await.unwrap_err();
    assert!(err.is_lease_lost(), "{err}");
    assert_eq!(effects(store.pool(), "event:9").await, [2]);
    assert!(effects(store.pool(), "stale-marker").await.is_empty());
}

#[tokio::test]
async fn migrate_is_idempotent_and_concurrent_and_tables_are_checked() {
    let server = PgServer::start();
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
    let server = PgServer::start();
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
    let server = PgServer::start();
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
    let server = PgServer::start();
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
    assert_eq!(effects(store.pool(), "event:spawned").await, [1]);
}
