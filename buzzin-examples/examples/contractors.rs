//! Contractors: create one (pending), approve it, then revoke it.
//!
//! `cargo run -p buzzin-examples --example contractors` (offline), or with `BUZZIN_API_KEY` and
//! `BUZZIN_BASE_URL` set, against a real account.

mod support;

use buzzin::client::Contact;
use buzzin::models::{CompanyInput, Date, FileInput};
use buzzin::Error;
use support::*;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (client, _sim) = connect().await?;
    let run = run_id();
    let email = format!("ops+{run}@ahmed-contracting.ae");
    let company = CompanyInput::new(
        "Ahmed Contracting LLC",
        FileInput::Url {
            url: "https://files.example.com/license.pdf".into(),
        },
        Date::parse("2027-03-31")?,
    );
    let contractor = client
        .community_contractors()
        .create(
            Contact {
                name: "Ahmed Contracting LLC Rep".into(),
                email: email.as_str().into(),
                phone: format!("+97150{run:07}"),
            },
            company.clone(),
            format!("a0B5g00000C{run:07}"),
        )
        .send()
        .await?;
    let id = contractor.id().clone();
    println!(
        "Created contractor {id}: approved = {:?}.",
        contractor.approved
    );

    match client
        .community_contractors()
        .create(
            Contact {
                name: "Someone Else".into(),
                email: email.as_str().into(),
                phone: "+971511111111".into(),
            },
            company,
            "a0B5g00000OTHER0",
        )
        .send()
        .await
    {
        Err(Error::Conflict(e)) => println!("The same email again: 409 {:?}.", e.name()),
        other => println!("The same email again: {other:?}"),
    }

    client
        .community_contractors()
        .approve(id.clone())
        .send()
        .await?;
    println!("Approved {id}.");
    client
        .community_contractors()
        .revoke(id.clone())
        .send()
        .await?;
    println!("Revoked {id}: its active permits are archived.");
    Ok(())
}
