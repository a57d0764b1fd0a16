//! The README's quickstart, verbatim: a contractor approved; a permit created, filled in,
//! submitted, approved, extended and revoked, on a local Buzz-In (the simulator).
use std::time::Duration;

use buzzin::client::Contact;
use buzzin::models::{
    CompanyInput, ContractorRef, Date, FileInput, FlatRef, PermitState, PropertyRef, Timestamp,
};
use buzzin_sim::{PermitDetails, Simulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A local, stateful Buzz-In. Against your account instead:
    // `let client = buzzin::Client::from_env()?;` (BUZZIN_API_KEY, BUZZIN_BASE_URL).
    let sim = Simulator::start().await?;
    let client = sim.client()?;

    // 1. A contractor: pending until approved.
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
    println!(
        "1. contractor {} (approved: {:?})",
        contractor.id(),
        contractor.approved
    );

    // 2. Approve it.
    client
        .community_contractors()
        .approve(contractor.id().clone())
        .send()
        .await?;
    println!("2. contractor approved");

    // 3. A work permit for unit UNIT-0712 of tower DAMAC-TWR-07, by DAMAC's own ids: a DRAFT.
    let valid_from = Timestamp::now() + Duration::from_secs(3600);
    let valid_till = valid_from + Duration::from_secs(30 * 24 * 3600);
    let permit = client
        .permits()
        .create(
            "a1B5g000000XYZWEAW",
            ContractorRef::Id(contractor.into_id()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            valid_from..=valid_till,
        )
        .jobs_summary("Full interior fit-out of unit 0712.")
        .send()
        .await?;
    let id = permit.id().clone();
    println!("3. permit {id}: {}", permit.state());

    // 4. Its details (times, representative, employees) are filled in Buzz-In's dashboard, which
    // the API does not reach; the simulator plays that part.
    sim.fill_permit_details(&id, PermitDetails::typical())?;
    println!("4. details filled in");

    // 5. Submit it into the approval workflow.
    client.passes().submit(id.clone()).send().await?;
    let submitted = client.permits().get(id.clone()).send().await?;
    println!("5. submitted: {}", submitted.state());

    // 6. The community approves it in the dashboard (the simulator again): the pass is issued.
    sim.approve_permit(&id)?;
    let accepted = client.permits().get(id.clone()).send().await?;
    assert_eq!(accepted.state(), PermitState::Accepted);
    println!(
        "6. approved: {}, access code {:?}",
        accepted.state(),
        accepted.access_code
    );

    // 7. Extend it by two weeks: the same QR code stays valid.
    let extended = client
        .permits()
        .update_validity(id.clone())
        .valid_till(valid_till + Duration::from_secs(14 * 24 * 3600))
        .send()
        .await?;
    println!(
        "7. extended to {:?}: {}",
        extended.valid_till,
        extended.state()
    );

    // 8. Revoking the pass kills its QR code at once.
    client
        .passes()
        .revoke(id.clone())
        .reason("Permit cancelled by DAMAC.")
        .send()
        .await?;
    let revoked = client.permits().get(id).send().await?;
    assert_eq!(revoked.state(), PermitState::Revoked);
    println!("8. after the revoke: {}", revoked.state());
    Ok(())
}
