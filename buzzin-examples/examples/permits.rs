//! Permits: create a DRAFT by DAMAC's ids, read it back, change its validity, replace its NOC.
//!
//! `cargo run -p buzzin-examples --example permits` (offline), or with `BUZZIN_API_KEY`,
//! `BUZZIN_BASE_URL` and `BUZZIN_CONTRACTOR_SALESFORCE_ID` (an approved contractor) set,
//! against a real account.

mod support;

use std::time::Duration;

use buzzin::client::Contact;
use buzzin::models::{
    CompanyInput, ContractorRef, Date, FileInput, FlatRef, NocInput, PropertyRef, Timestamp,
};
use support::*;

fn noc(number: &str, issued: &str, expires: &str) -> Result<NocInput, BoxError> {
    Ok(NocInput::with_details(
        FileInput::Url {
            url: format!("https://files.example.com/{number}.pdf"),
        },
        number,
        Date::parse(issued)?,
        Date::parse(expires)?,
    ))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (client, sim) = connect().await?;
    let run = run_id();
    let contractor = match &sim {
        Some(sim) => {
            // The simulator starts empty: create a contractor and approve it in its dashboard.
            let created = client
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
            sim.approve_contractor(created.id().clone())?;
            "a0B5g000000ABCDEAW".to_owned()
        }
        None => std::env::var("BUZZIN_CONTRACTOR_SALESFORCE_ID")?,
    };
    let start = Timestamp::now() + Duration::from_secs(24 * 3600);
    let permit = client
        .permits()
        .create(
            format!("a1B5g00000P{run:07}"),
            ContractorRef::SalesforceId(contractor.into()),
            PropertyRef::ExternalId(var("BUZZIN_PROPERTY_EXTERNAL_ID", "DAMAC-TWR-07")),
            FlatRef::ExternalId(var("BUZZIN_FLAT_EXTERNAL_ID", "UNIT-0712")),
            start..=start + Duration::from_secs(30 * 24 * 3600),
        )
        .jobs_summary("Full interior fit-out.")
        .noc(noc("NOC-12345", "2026-06-20", "2026-08-20")?)
        .send()
        .await?;
    let id = permit.id().clone();
    println!("Created permit {id} ({}).", permit.state());

    let read = client.permits().get(id.clone()).send().await?;
    println!(
        "Read it back: pass {}.",
        read.pass_number.as_deref().unwrap_or("?")
    );

    let extended = client
        .permits()
        .update_validity(id.clone())
        .valid_till(start + Duration::from_secs(45 * 24 * 3600))
        .send()
        .await?;
    println!(
        "Valid till {}.",
        extended.valid_till.as_ref().map_or("?", |t| t.as_str())
    );

    let replaced = client
        .permits()
        .replace_noc(id, noc("NOC-12399", "2026-07-10", "2026-09-10")?)
        .send()
        .await?;
    let damac = replaced.integrations.and_then(|i| i.damac);
    println!(
        "NOC now {}; {} in the history.",
        damac
            .as_ref()
            .and_then(|d| d.noc.as_ref())
            .and_then(|n| n.noc_number.as_deref())
            .unwrap_or("?"),
        damac
            .as_ref()
            .and_then(|d| d.noc_history.as_ref())
            .map_or(0, Vec::len)
    );
    Ok(())
}
