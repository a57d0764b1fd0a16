//! Receive Buzz-In webhooks with axum: verified, typed, each delivery handled once.
//!
//! ```text
//! BUZZIN_WEBHOOK_SECRET=whsec-... cargo run --example webhook_axum --features axum
//! ```
//!
//! Then point the community's webhook destination (dashboard → Settings → API → Webhooks) at
//! `https://<your host>/webhooks/buzzin`. `BUZZIN_WEBHOOK_SECRET` may hold two secrets separated
//! by a comma while one is being rotated. `BIND` sets the address (default 127.0.0.1:3000).

use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use buzzin::webhooks::{Delivery, DeliveryDedup, Event, MemoryDedup, Verifier};

#[derive(Clone)]
struct AppState {
    verifier: Verifier,
    seen: Arc<MemoryDedup>,
}

// The `Delivery` extractor takes its verifier from the state.
impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

async fn receive(State(state): State<AppState>, delivery: Delivery) -> StatusCode {
    // Buzz-In delivers at least once: acknowledge a repeat without handling it again.
    let key = delivery.dedup_key();
    if !state.seen.first_seen(&key) {
        return StatusCode::OK;
    }
    match handle(&delivery) {
        Ok(()) => StatusCode::OK,
        Err(reason) => {
            eprintln!("delivery {key} failed: {reason}");
            // Let Buzz-In retry it, and handle the retry.
            state.seen.forget(&key);
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
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
        seen: Arc::new(MemoryDedup::new(100_000)),
    };
    let app = Router::new()
        .route("/webhooks/buzzin", post(receive))
        .with_state(state);
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{bind}/webhooks/buzzin");
    axum::serve(listener, app).await?;
    Ok(())
}
