//! Receive Buzz-In webhooks with actix-web 4: verified, typed, each delivery handled to
//! completion once.
//!
//! ```text
//! BUZZIN_WEBHOOK_SECRET=whsec-... cargo run -p buzzin-examples --example webhook_actix --features actix
//! ```
//!
//! `BUZZIN_WEBHOOK_SECRET` may hold two secrets separated by a comma while one is being rotated.
//! `BIND` sets the address (default 127.0.0.1:3000).
//!
//! Why the server settings below: the `Delivery` extractor refuses a request without a signature
//! or token before reading its body and never reads more than the body limit (1 MiB), but slow
//! clients can still hold connections. So request heads must arrive within 10 s
//! (`client_request_timeout`), idle keep-alive connections close after 10 s, and each worker
//! holds at most 256 connections (`max_connections`), which also bounds how many bodies are
//! being read at once. actix-web has no timeout for a body that trickles in: put the receiver
//! behind a proxy that has one when it faces the open internet.

use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use buzzin::webhooks::store::{handle_once, MemoryStore, Outcome};
use buzzin::webhooks::{Delivery, Event, Verifier};

/// How long one claim holds a delivery without a heartbeat (`handle_once` extends it every
/// 20 s while the handler runs).
const LEASE: Duration = Duration::from_secs(60);

async fn receive(store: web::Data<MemoryStore>, delivery: Delivery) -> HttpResponse {
    // Buzz-In delivers at least once: `handle_once` claims, handles with a heartbeat, completes
    // (or releases on failure) and says what to answer.
    let key = delivery.dedup_key();
    let outcome = handle_once(store.get_ref(), &key, LEASE, |_lease| async {
        match delivery.event() {
            Event::PermitIssued(permit) => println!(
                "permit {:?} issued: pass {:?}",
                permit.permit_id, permit.pass_number
            ),
            Event::Unknown { name, data } => {
                println!("an event this SDK does not know: {name} {}", data.get())
            }
            other => println!("{}", other.name()),
        }
        Ok::<(), std::io::Error>(())
    })
    .await;
    match &outcome {
        Outcome::HandlerFailed(e) => eprintln!("delivery {key} failed: {e}"),
        Outcome::StoreFailed(e) => eprintln!("delivery {key}: {e}"),
        _ => {}
    }
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(outcome.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    )
    .finish()
}

fn main() -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(serve())
}

async fn serve() -> std::io::Result<()> {
    let secrets = std::env::var("BUZZIN_WEBHOOK_SECRET")
        .map_err(|_| std::io::Error::other("set BUZZIN_WEBHOOK_SECRET"))?;
    let verifier = web::Data::new(Verifier::with_secrets(secrets.split(',').map(str::trim)));
    // One process: a `MemoryStore`. Several replicas: a `RedisStore` (feature `redis`).
    let store = web::Data::new(MemoryStore::new());
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    println!("listening on http://{bind}/webhooks/buzzin");
    HttpServer::new(move || {
        App::new()
            .app_data(verifier.clone())
            .app_data(store.clone())
            .route("/webhooks/buzzin", web::post().to(receive))
    })
    .client_request_timeout(Duration::from_secs(10))
    .keep_alive(Duration::from_secs(10))
    .max_connections(256)
    .bind(bind)?
    .run()
    .await
}
