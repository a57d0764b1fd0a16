//! The whole DAMAC work-permit lifecycle, step by step: create a contractor, approve it, create
//! a permit, submit it, have it approved, receive and verify the `passes.permits.issued`
//! webhook, extend the validity, reissue the pass, revoke it.
//!
//! Offline (starts the simulator):
//!
//! ```sh
//! cargo run -p buzzin-examples --example lifecycle
//! ```
//!
//! Against a real Buzz-In account, unchanged: set `BUZZIN_API_KEY` and `BUZZIN_BASE_URL`. The
//! dashboard steps (filling in the permit's details, approving it) are then yours to do while
//! the example waits. To receive the webhook too, set `BUZZIN_WEBHOOK_ADDR` (such as
//! `0.0.0.0:8080`, reachable from Buzz-In as the `passes.permits.issued` destination, path
//! `/webhooks`) and `BUZZIN_WEBHOOK_SECRET` (that destination's secret).

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use buzzin::client::Contact;
use buzzin::models::{
    CompanyInput, ContractorRef, Date, FileInput, FlatRef, NocInput, PermitState, PropertyRef,
    Timestamp, WebhookEventName,
};
use buzzin::webhooks::{Delivery, Event, Verifier};
use buzzin::Client;
use buzzin_sim::{PermitDetails, Simulator, WebhookDestination};
use tokio::sync::mpsc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Walks the lifecycle; public so that this crate's `tests/simulator_examples.rs` can run it.
#[tokio::main]
pub async fn main() -> Result<(), BoxError> {
    // Who plays the dashboard: the simulator's hooks (`Some`), or a person at a real one.
    let real = std::env::var("BUZZIN_API_KEY").is_ok() && std::env::var("BUZZIN_BASE_URL").is_ok();
    let (client, dashboard, webhooks) = if real {
        println!("Using the Buzz-In account at $BUZZIN_BASE_URL.");
        let webhooks = match (
            std::env::var("BUZZIN_WEBHOOK_ADDR"),
            std::env::var("BUZZIN_WEBHOOK_SECRET"),
        ) {
            (Ok(addr), Ok(secret)) => Some(receive_webhooks(&addr, secret).await?),
            _ => None,
        };
        (Client::from_env()?, None, webhooks)
    } else {
        let secret = "whsec-quickstart";
        let (url, deliveries) = receive_webhooks("127.0.0.1:0", secret.to_owned()).await?;
        let sim = Simulator::start().await?;
        sim.add_webhook(
            WebhookDestination::new(url.clone())
                .event(WebhookEventName::PermitIssued)
                .signing_secret(secret),
        );
        println!("Started the Buzz-In simulator at {}.", sim.base_url());
        println!("Webhooks for passes.permits.issued go to {url}.");
        (sim.client()?, Some(sim), Some((url, deliveries)))
    };
    let run = Timestamp::now().unix_millis().unwrap_or_default() % 1_000_000;

    // 1. Create the contractor: pending until approved.
    let contractor = client
        .community_contractors()
        .create(
            Contact {
                name: "Ahmed Contracting LLC Rep".into(),
                email: format!("ops+{run}@ahmed-contracting.ae"),
                phone: format!("+97150{run:07}"),
            },
            CompanyInput::new(
                "Ahmed Contracting LLC",
                FileInput::Url {
                    url: "https://files.example.com/license.pdf".into(),
                },
                Date::parse("2027-03-31")?,
            ),
            format!("a0B5g00000C{run:07}"),
        )
        .send()
        .await?;
    let contractor_id = contractor.id().clone();
    println!(
        "1. Created contractor {contractor_id} (approved: {:?}).",
        contractor.approved
    );

    // 2. Approve it.
    client
        .community_contractors()
        .approve(contractor_id.clone())
        .send()
        .await?;
    println!("2. Approved contractor {contractor_id}.");

    // 3. Create the permit for unit UNIT-0712 of DAMAC-TWR-07, by DAMAC's ids: a DRAFT.
    let now = Timestamp::now();
    let permit = client
        .permits()
        .create(
            format!("a1B5g00000P{run:07}"),
            ContractorRef::Id(contractor_id.clone()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            now..=now + Duration::from_secs(30 * 24 * 3600),
        )
        .jobs_summary("Full interior fit-out of unit 0712.")
        .noc(NocInput::with_details(
            FileInput::Url {
                url: "https://files.example.com/noc-12345.pdf".into(),
            },
            "NOC-12345",
            Date::parse("2026-06-20")?,
            Date::parse("2026-08-20")?,
        ))
        .send()
        .await?;
    let permit_id = permit.id().clone();
    println!("3. Created permit {permit_id}: {}.", permit.state());

    // 4. Submit it, once the dashboard has its details.
    match &dashboard {
        Some(sim) => {
            sim.fill_permit_details(&permit_id, PermitDetails::typical())?;
        }
        None => println!(
            "   Fill in times, representative and employees of permit {permit_id} in the dashboard."
        ),
    }
    let mut tries = 0;
    loop {
        match client.passes().submit(permit_id.clone()).send().await {
            Ok(_) => break,
            Err(e) if dashboard.is_none() && tries < 60 => {
                tries += 1;
                println!("   Not submittable yet ({e}); retrying in 10 s.");
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    println!("4. Submitted permit {permit_id}.");

    // 5. The approval workflow accepts it.
    match &dashboard {
        Some(sim) => {
            sim.approve_permit(&permit_id)?;
        }
        None => println!("   Approve permit {permit_id} in the dashboard."),
    }
    let mut accepted = client.permits().get(permit_id.clone()).send().await?;
    while accepted.state() != PermitState::Accepted {
        tokio::time::sleep(Duration::from_secs(10)).await;
        accepted = client.permits().get(permit_id.clone()).send().await?;
    }
    let code = accepted.access_code.clone().unwrap_or_default();
    println!("5. Permit {permit_id} is ACCEPTED; its access code is {code}.");

    // 6. The `passes.permits.issued` webhook, verified.
    if let Some((url, mut deliveries)) = webhooks {
        // A person approves a real permit at their own pace; the simulator delivers at once.
        let wait = Duration::from_secs(if dashboard.is_some() { 30 } else { 600 });
        let delivery = tokio::time::timeout(wait, deliveries.recv())
            .await
            .map_err(|_| "no verified passes.permits.issued delivery arrived")?
            .ok_or("the webhook receiver stopped")?;
        match delivery.event() {
            Event::PermitIssued(data) if data.access_code.as_deref() == Some(code.as_str()) => {
                println!(
                    "6. Received and verified passes.permits.issued at {url} (delivery {}): pass {} with code {}.",
                    delivery.delivery_id().unwrap_or("?"),
                    data.pass_number.as_deref().unwrap_or("?"),
                    code,
                )
            }
            other => return Err(format!("expected the issued pass, got {}", other.name()).into()),
        }
    } else {
        println!("6. (No webhook receiver: set BUZZIN_WEBHOOK_ADDR and BUZZIN_WEBHOOK_SECRET.)");
    }

    // 7. Extend the validity: the code stays the same.
    let new_till = now + Duration::from_secs(45 * 24 * 3600);
    let extended = client
        .permits()
        .update_validity(permit_id.clone())
        .valid_till(new_till)
        .send()
        .await?;
    if extended.access_code.as_deref() != Some(code.as_str()) {
        return Err("the access code changed with the validity".into());
    }
    println!(
        "7. Extended permit {permit_id} to {}; same access code.",
        extended
            .valid_till
            .as_ref()
            .map(Timestamp::as_str)
            .unwrap_or("?"),
    );

    // 8. Reissue the pass: a new code, the old one dies.
    client.passes().reissue(permit_id.clone()).send().await?;
    let reissued = client.permits().get(permit_id.clone()).send().await?;
    let new_code = reissued.access_code.clone().unwrap_or_default();
    if new_code.is_empty() || new_code == code {
        return Err("the reissued pass has no new access code".into());
    }
    println!("8. Reissued the pass: new code {new_code} (was {code}).");
    if let Some(sim) = &dashboard {
        println!(
            "   At the gate: old code: {}; new code: {}.",
            gate(sim, &code),
            gate(sim, &new_code)
        );
    }

    // 9. Revoke the pass.
    client
        .passes()
        .revoke(permit_id.clone())
        .reason("Permit cancelled by DAMAC.")
        .send()
        .await?;
    let revoked = client.permits().get(permit_id.clone()).send().await?;
    if revoked.state() != PermitState::Revoked {
        return Err(format!("the revoked permit reads {}", revoked.state()).into());
    }
    println!("9. Revoked the pass: {}.", revoked.state());
    if let Some(sim) = &dashboard {
        if sim.scan(&new_code).is_ok() {
            return Err("a revoked pass opened the gate".into());
        }
        println!("   At the gate: {}.", sim.scan(&new_code).unwrap_err());
    }
    println!("Done.");
    Ok(())
}

/// What the pass's own gate says to `code`.
fn gate(sim: &Simulator, code: &str) -> String {
    match sim.scan(code) {
        Ok(_) => "accepted".into(),
        Err(refusal) => format!("refused ({refusal})"),
    }
}

/// Listens for webhook deliveries on `addr` at `/webhooks`, verifies each with `secret` and
/// hands it over; answers 401 to a delivery that does not verify.
async fn receive_webhooks(
    addr: &str,
    secret: String,
) -> Result<(String, mpsc::UnboundedReceiver<Delivery>), BoxError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = format!("http://{}/webhooks", listener.local_addr()?);
    let (tx, rx) = mpsc::unbounded_channel();
    let verifier = Verifier::new(secret);
    let app = Router::new().route(
        "/webhooks",
        post(move |headers: HeaderMap, body: Bytes| {
            let verifier = verifier.clone();
            let tx = tx.clone();
            async move {
                match verifier.verify(&headers, &body) {
                    Ok(delivery) => {
                        let _ = tx.send(delivery);
                        StatusCode::OK
                    }
                    Err(e) => {
                        eprintln!("   Rejected a webhook delivery: {e}");
                        StatusCode::UNAUTHORIZED
                    }
                }
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, rx))
}
