//! PostgreSQL inbox benchmark: `PgStore::begin` + the effect + `complete` (one commit) per
//! delivery, against the floor: a bare transaction doing the same effect plus
//! `INSERT … ON CONFLICT DO NOTHING` into a table of seen keys, measured interleaved in one run
//! on one PostgreSQL that the benchmark starts, at 1 and 16 concurrent handlers.
//!
//! `cargo bench --features postgres --bench webhooks_pg_inbox`. Prints microseconds per
//! delivery (wall time / deliveries, median of the rounds) and the inbox's time over the
//! floor's (target: at most 1.3x). Needs PostgreSQL (Debian package `postgresql`).

mod support;

use std::time::Duration;

use buzzin::webhooks::store::postgres::sqlx::{self, PgPool};
use buzzin::webhooks::store::postgres::{InboxClaim, PgStore};
use support::{median, per_delivery, run_deliveries};

const LEASE: Duration = Duration::from_secs(60);
const ROUNDS: usize = 7;

/// The effect both sides write: one row per delivery.
const EFFECT: &str = "INSERT INTO effects (delivery, amount) VALUES ($1, 1)";

async fn run_inbox(store: &PgStore, tag: &str, deliveries: usize, handlers: usize) -> Duration {
    let (store, tag) = (store.clone(), tag.to_owned());
    run_deliveries(deliveries, handlers, move |i| {
        let (store, key) = (store.clone(), format!("inbox:{tag}-{i:08}"));
        async move {
            let InboxClaim::New(mut tx) = store.begin(&key, LEASE).await.unwrap() else {
                panic!("{key} was not new")
            };
            sqlx::query(EFFECT)
                .bind(&key)
                .execute(tx.as_mut())
                .await
                .unwrap();
            tx.complete().await.unwrap();
        }
    })
    .await
}

/// The floor: BEGIN, the effect, `INSERT INTO seen … ON CONFLICT DO NOTHING`, COMMIT.
async fn run_floor(pool: &PgPool, tag: &str, deliveries: usize, handlers: usize) -> Duration {
    let (pool, tag) = (pool.clone(), tag.to_owned());
    run_deliveries(deliveries, handlers, move |i| {
        let (pool, key) = (pool.clone(), format!("bare:{tag}-{i:08}"));
        async move {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(EFFECT)
                .bind(&key)
                .execute(&mut *tx)
                .await
                .unwrap();
            let seen = sqlx::query("INSERT INTO seen (key) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(&key)
                .execute(&mut *tx)
                .await
                .unwrap();
            assert_eq!(seen.rows_affected(), 1);
            tx.commit().await.unwrap();
        }
    })
    .await
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = buzzin_test_support::pg::PgServer::start();
    runtime.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(20)
            .connect(&server.url())
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE effects (delivery text NOT NULL, amount integer NOT NULL);
             CREATE TABLE seen (key text PRIMARY KEY)",
        )
        .execute(&pool)
        .await
        .unwrap();
        let store = PgStore::new(pool.clone());
        store.migrate().await.unwrap();
        println!("claim + effect + commit per delivery (median of {ROUNDS} rounds)");
        for (handlers, deliveries) in [(1, 500), (16, 2_000)] {
            // Interleaved: inbox, floor, inbox, floor, ... so that drift hits both alike.
            let (mut inbox_us, mut floor_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                let tag = format!("c{handlers}-r{round}");
                let i = per_delivery(run_inbox(&store, &tag, deliveries, handlers).await, deliveries);
                let f = per_delivery(run_floor(&pool, &tag, deliveries, handlers).await, deliveries);
                inbox_us.push(i);
                floor_us.push(f);
                ratios.push(i / f);
            }
            let ratio = median(ratios);
            println!(
                "  PgStore inbox {handlers:>3} handler(s): {:>8.1} us/delivery; floor (bare tx + ON CONFLICT DO NOTHING) {:>8.1} us; ratio {ratio:.2}x (median of per-round ratios; target <= 1.30x: {})",
                median(inbox_us),
                median(floor_us),
                if ratio <= 1.3 { "met" } else { "NOT met" }
            );
        }
        pool.close().await;
    });
    drop(server);
}
