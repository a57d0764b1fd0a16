//! One webhook receiver replica on the PostgreSQL inbox, for the exactly-once proof
//! (`pg_inbox_faults` spawns four): each delivery's effect is a row in `effects`,
//! written in the transaction that marks the delivery done.
//!
//! Environment: `INBOX_PORT`, `INBOX_DATABASE_URL`, `INBOX_LEASE_MS`, `INBOX_SECRET`,
//! `INBOX_POOL` (the pool's size: replicas x pool size must stay below the server's
//! `max_connections`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use buzzin::webhooks::store::postgres::{sqlx, InboxClaim, PgStore};
use buzzin::webhooks::{Delivery, Verifier};
use tokio::sync::Semaphore;

#[derive(Clone)]
struct App {
    verifier: Verifier,
    store: PgStore,
    lease_for: Duration,
    /// Handlers under way, at most twice the pool: beyond, 503 at once (load shedding), so
    /// that a backlog of retries after an outage cannot keep every handler waiting.
    in_flight: Arc<Semaphore>,
}

impl FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

/// Claims, writes the effect, waits a little (so that a kill lands mid-transaction), commits.
async fn receive(State(app): State<App>, delivery: Delivery) -> StatusCode {
    let Ok(_permit) = app.in_flight.try_acquire() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let key = delivery.dedup_key();
    let mut tx = match app.store.begin(&key, app.lease_for).await {
        Ok(InboxClaim::New(tx)) => tx,
        Ok(InboxClaim::Done) => return StatusCode::OK,
        Ok(_) => return StatusCode::CONFLICT,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE,
    };
    let fence = tx.lease().fence() as i64;
    let written = sqlx::query("INSERT INTO effects (delivery, fence, pid) VALUES ($1, $2, $3)")
        .bind(&key)
        .bind(fence)
        .bind(std::process::id() as i32)
        .execute(tx.as_mut())
        .await;
    if written.is_err() {
        let _ = tx.release().await;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    tokio::time::sleep(Duration::from_millis(fastrand::u64(5..30))).await;
    match tx.complete().await {
        Ok(()) => StatusCode::OK,
        Err(e) if e.is_lease_lost() => StatusCode::CONFLICT,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name}"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A connection not had within 500 ms answers 503 (well within Buzz-In's timeout), so an
    // exhausted server is told at once and the delivery is retried.
    let pool_size: u32 = env("INBOX_POOL").parse()?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(pool_size)
        .acquire_timeout(Duration::from_millis(500))
        .connect(&env("INBOX_DATABASE_URL"))
        .await?;
    let app = App {
        verifier: Verifier::new(env("INBOX_SECRET")),
        store: PgStore::new(pool),
        lease_for: Duration::from_millis(env("INBOX_LEASE_MS").parse()?),
        in_flight: Arc::new(Semaphore::new(2 * pool_size as usize)),
    };
    let router = Router::new().route("/hook", post(receive)).with_state(app);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", env("INBOX_PORT").parse()?)).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
