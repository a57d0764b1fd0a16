//! Passes: submit a DRAFT permit, reissue its pass once it is ACCEPTED, then revoke it.
//!
//! `cargo run -p buzzin-examples --example passes` (offline), or with `BUZZIN_API_KEY`,
//! `BUZZIN_BASE_URL` and `BUZZIN_PERMIT_ID` (a DRAFT permit whose details are filled in) set,
//! against a real account; there, approve the permit in the dashboard when asked.

mod support;

use std::time::Duration;

use buzzin::client::Contact;
use buzzin::models::{
    CompanyInput, ContractorRef, Date, FileInput, FlatRef, PermitId, PermitState, PropertyRef,
    Timestamp,
};
use buzzin::Client;
use buzzin_sim::{PermitDetails, Simulator};
use support::*;

/// A DRAFT permit with its details filled in, on the simulator.
async fn simulated_draft(sim: &Simulator, client: &Client) -> Result<PermitId, BoxError> {
    let contractor = client
        .community_contractors()
        .create(
            Contact {
                name: "Rep".into(),
                email: "ops@ahmed-contracting.ae".into(),
                phone: "+971500000000".into(),
            },
            CompanyInput::new(
                "Ahmed Contracting LLC",
                FileInput::Url {
                    url: "https://files.example.com/license.pdf".into(),
                },
                Date::parse("2027-03-31")?,
            ),
            "a0B5g000000ABCDEAW",
        )
        .send()
        .await?;
    let contractor = contractor.into_id();
    sim.approve_contractor(&contractor)?;
    let now = Timestamp::now();
    let permit = client
        .permits()
        .create(
            "a1B5g000000XYZWEAW",
            ContractorRef::Id(contractor),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            now..=now + Duration::from_secs(30 * 24 * 3600),
        )
        .send()
        .await?;
    let id = permit.into_id();
    sim.fill_permit_details(&id, PermitDetails::typical())?;
    Ok(id)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (client, sim) = connect().await?;
    let id = match &sim {
        Some(sim) => simulated_draft(sim, &client).await?,
        None => PermitId::new(std::env::var("BUZZIN_PERMIT_ID")?),
    };
    client.passes().submit(id.clone()).send().await?;
    println!("Submitted {id}.");
    match &sim {
        Some(sim) => {
            sim.approve_permit(&id)?;
        }
        None => println!("Approve {id} in the dashboard; waiting."),
    }
    let mut permit = client.permits().get(id.clone()).send().await?;
    while permit.state() != PermitState::Accepted {
        tokio::time::sleep(Duration::from_secs(10)).await;
        permit = client.permits().get(id.clone()).send().await?;
    }
    println!(
        "ACCEPTED with code {}.",
        permit.access_code.as_deref().unwrap_or("?")
    );

    client.passes().reissue(id.clone()).send().await?;
    let reissued = client.permits().get(id.clone()).send().await?;
    println!(
        "Reissued: new code {}.",
        reissued.access_code.as_deref().unwrap_or("?")
    );

    client
        .passes()
        .revoke(id.clone())
        .reason("Permit cancelled by DAMAC.")
        .send()
        .await?;
    let revoked = client.permits().get(id).send().await?;
    println!("Revoked: {}.", revoked.state());
    Ok(())
}
