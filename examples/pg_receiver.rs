//! One webhook receiver replica on the PostgreSQL inbox, for the exactly-once proof
//! (`examples/pg_inbox_faults.rs` spawns four): each delivery's effect is a row in `effects`,
//! written in the transaction that marks the delivery done.
//!
//! Environment: `INBOX_PORT`, `INBOX_DATABASE_URL`, `INBOX_LEASE_MS`, `INBOX_SECRET`.

use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use buzzin::webhooks::postgres::{sqlx, InboxClaim, PgStore};
use buzzin::webhooks::{Delivery, Verifier};

#[derive(Clone)]
struct App {
    verifier: Verifier,
    store: PgStore,
    lease_for: Duration,
}

impl FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

/// Claims, writes the effect, waits a little (so that a kill lands mid-transaction), commits.
async fn receive(State(app): State<App>, delivery: Delivery) -> StatusCode {
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
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(32)
        .acquire_timeout(Duration::from_secs(3))
        .connect(&env("INBOX_DATABASE_URL"))
        .await?;
    let app = App {
        verifier: Verifier::new(env("INBOX_SECRET")),
        store: PgStore::new(pool),
        lease_for: Duration::from_millis(env("INBOX_LEASE_MS").parse()?),
    };
    let router = Router::new().route("/hook", post(receive)).with_state(app);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", env("INBOX_PORT").parse()?)).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
