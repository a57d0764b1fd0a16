//! Receive Buzz-In webhooks with actix-web 4: verified, typed, each delivery handled to
//! completion once.
//!
//! ```text
//! BUZZIN_WEBHOOK_SECRET=whsec-... cargo run --example webhook_actix --features actix
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
use buzzin::webhooks::{Claim, Delivery, DeliveryStore, Event, MemoryStore, Verifier};

/// How long one handler may hold a delivery: past it, a retry is handled by someone else.
const LEASE: Duration = Duration::from_secs(60);

async fn receive(store: web::Data<MemoryStore>, delivery: Delivery) -> HttpResponse {
    // Buzz-In delivers at least once: claim the delivery before handling it.
    let key = delivery.dedup_key();
    match store.claim(&key, LEASE).await {
        Ok(Claim::New) => {}
        // Handled already: acknowledge without handling it again.
        Ok(Claim::Done) => return HttpResponse::Ok().finish(),
        // Another handler holds it: not acknowledged, so Buzz-In tries again later.
        Ok(_) => return HttpResponse::Conflict().finish(),
        Err(e) => {
            eprintln!("delivery {key}: {e}");
            return HttpResponse::ServiceUnavailable().finish();
        }
    }
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
    if let Err(e) = store.complete(&key).await {
        eprintln!("delivery {key} handled, not recorded: {e}");
    }
    HttpResponse::Ok().finish()
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
