//! The README's quickstart, verbatim: a contractor, a permit, and its pass revoked, on a local
//! Buzz-In (the simulator). `cargo run --example quickstart`
use std::time::Duration;

use buzzin::client::Contact;
use buzzin::models::{
    CompanyInput, ContractorRef, Date, FileInput, FlatRef, PropertyRef, Timestamp,
};
use buzzin_sim::Simulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A local, stateful Buzz-In. Against your account instead:
    // `let client = buzzin::Client::from_env()?;` (BUZZIN_API_KEY, BUZZIN_BASE_URL).
    let sim = Simulator::start().await?;
    let client = sim.client()?;

    // A contractor, pending until a community admin approves it.
    let contractor = client
        .community_contractors()
        .create(
            Contact {
                name: "Ahmed Contracting LLC Rep".into(),
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
    let contractor_id = contractor.into_id();
    sim.approve_contractor(&contractor_id)?; // what the admin does in Buzz-In's dashboard

    // A draft work permit for unit UNIT-0712 of tower DAMAC-TWR-07, by DAMAC's own ids.
    let valid_from = Timestamp::now() + Duration::from_secs(3600);
    let valid_till = valid_from + Duration::from_secs(30 * 24 * 3600);
    let permit = client
        .permits()
        .create(
            "a1B5g000000XYZWEAW",
            ContractorRef::Id(contractor_id),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            valid_from..=valid_till,
        )
        .jobs_summary("Full interior fit-out of unit 0712.")
        .send()
        .await?;
    println!("draft permit {}: {}", permit.id(), permit.state());
    let permit_id = permit.into_id();

    // Revoking the pass kills its QR code at once.
    client
        .passes()
        .revoke(permit_id.clone())
        .reason("Permit cancelled by DAMAC.")
        .send()
        .await?;
    let state = client.permits().get(permit_id).send().await?.state();
    println!("after the revoke: {state}");
    Ok(())
}
