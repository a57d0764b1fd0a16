//! Receive Buzz-In webhooks with axum: verified, typed, each delivery handled to completion once,
//! and served so that slow or anonymous clients cannot exhaust the receiver.
//!
//! ```text
//! BUZZIN_WEBHOOK_SECRET=whsec-... cargo run -p buzzin-examples --example webhook_axum --features axum
//! ```
//!
//! Then point the community's webhook destination (dashboard → Settings → API → Webhooks) at
//! `https://<your host>/webhooks/buzzin`. `BUZZIN_WEBHOOK_SECRET` may hold two secrets separated
//! by a comma while one is being rotated. `BIND` sets the address (default 127.0.0.1:3000).
//!
//! Why the limits below: the `Delivery` extractor refuses a request without a signature or token
//! before reading its body and never reads more than the body limit (1 MiB), but a client can
//! still send its headers or body very slowly, or open many connections, and hold memory and
//! sockets for as long as it likes. So:
//! - headers must arrive within 10 s of a connection's start (hyper's `header_read_timeout`);
//! - the body must keep arriving (at most 5 s between chunks, `RequestBodyTimeoutLayer`) and the
//!   whole request must be answered within 30 s (`TimeoutLayer`, answers 408);
//! - at most 64 requests are handled at once (`GlobalConcurrencyLimitLayer`; more wait) and at
//!   most 1,024 connections are open (further ones wait to be accepted).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use buzzin::webhooks::store::{handle_once, DeliveryStore, MemoryStore, Outcome};
use buzzin::webhooks::{Delivery, Event, Verifier};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// How long one claim holds a delivery without a heartbeat (`handle_once` extends it every
/// 20 s while the handler runs; a process that dies lets it run out, and a retry is handled).
const LEASE: Duration = Duration::from_secs(60);

#[derive(Clone)]
struct AppState {
    verifier: Verifier,
    /// One process: a `MemoryStore`. Several replicas: one `RedisStore` each, on one Redis.
    store: Arc<dyn DeliveryStore>,
}

// The `Delivery` extractor takes its verifier from the state.
impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

async fn receive(State(state): State<AppState>, delivery: Delivery) -> StatusCode {
    // Buzz-In delivers at least once: `handle_once` claims the delivery, runs the handler while
    // extending the lease, then marks it done (or releases it when the handler fails), and
    // says what to answer: 200 handled or done, 409 in progress elsewhere, 500/503 to retry.
    let key = delivery.dedup_key();
    let outcome = handle_once(&*state.store, &key, LEASE, |_lease| async {
        // Should this task die here, the lease runs out and Buzz-In's retry is handled.
        handle(&delivery)
    })
    .await;
    match &outcome {
        Outcome::HandlerFailed(reason) => eprintln!("delivery {key} failed: {reason}"),
        Outcome::StoreFailed(e) => eprintln!("delivery {key}: {e}"),
        _ => {}
    }
    outcome.status()
}

fn handle(delivery: &Delivery) -> Result<(), String> {
    match delivery.event() {
        Event::PermitIssued(permit) => println!(
            "permit {} issued: pass {}, QR {}",
            permit.permit_id.as_ref().map_or("?", |id| id.as_str()),
            permit.pass_number.as_deref().unwrap_or("?"),
            permit.qr_image_url.as_deref().unwrap_or("?"),
        ),
        Event::PermitScanned(permit)
        | Event::PermitFirstScanned(permit)
        | Event::PermitLastScanned(permit) => {
            println!("{}: permit {:?}", delivery.event_name(), permit.permit_id)
        }
        Event::ContractorApproved(contractor) => {
            println!("contractor {:?} approved", contractor.name)
        }
        Event::ContractorRemoved(contractor) => {
            println!("contractor {:?} removed", contractor.name)
        }
        Event::Unknown { name, data } => {
            println!("an event this SDK does not know yet: {name} {}", data.get())
        }
        other => println!(
            "{} (permit {:?})",
            other.name(),
            other.permit().and_then(|p| p.permit_id.as_ref())
        ),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secrets =
        std::env::var("BUZZIN_WEBHOOK_SECRET").map_err(|_| "set BUZZIN_WEBHOOK_SECRET")?;
    let state = AppState {
        verifier: Verifier::with_secrets(secrets.split(',').map(str::trim)),
        store: Arc::new(MemoryStore::new()),
    };
    let app = Router::new()
        .route("/webhooks/buzzin", post(receive))
        .with_state(state)
        .layer(GlobalConcurrencyLimitLayer::new(64))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(5)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ));

    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{bind}/webhooks/buzzin");
    // `axum::serve` sets no header timeout, so serve through hyper directly.
    let connections = Arc::new(tokio::sync::Semaphore::new(1024));
    let mut http = Builder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    let http = Arc::new(http.http1_only());
    loop {
        let permit = Arc::clone(&connections).acquire_owned().await?;
        let (socket, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        let http = Arc::clone(&http);
        tokio::spawn(async move {
            if let Err(e) = http.serve_connection(TokioIo::new(socket), service).await {
                eprintln!("connection: {e}");
            }
            drop(permit);
        });
    }
}
