//! Property managers: create one for a property, then give them a second property.
//!
//! `cargo run -p buzzin-examples --example property_managers` (offline), or with
//! `BUZZIN_API_KEY`, `BUZZIN_BASE_URL`, `BUZZIN_PROPERTY_ID` and `BUZZIN_SECOND_PROPERTY_ID`
//! set, against a real account.

mod support;

use buzzin::client::Contact;
use buzzin::Error;
use support::*;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (client, _sim) = connect().await?;
    let first = var("BUZZIN_PROPERTY_ID", "66e0000000000000000000a1");
    let second = var("BUZZIN_SECOND_PROPERTY_ID", "66e0000000000000000000a2");
    let email = format!("omar+{}@example.com", run_id());
    let manager = client
        .property_managers()
        .create(
            Contact {
                name: "Omar Manager".into(),
                email: email.as_str().into(),
                phone: "+971502223344".into(),
            },
            [first.as_str()],
        )
        .send()
        .await?;
    let id = manager.id().clone();
    println!("Created property manager {id} for {first}.");
    let updated = client
        .property_managers()
        .update(id.clone())
        .properties_ids([first.as_str(), second.as_str()])
        .send()
        .await?;
    println!(
        "{id} now manages {} properties.",
        updated.properties_ids.map_or(0, |p| p.len())
    );
    match client
        .property_managers()
        .create(
            Contact {
                name: "Omar Again".into(),
                email: email.as_str().into(),
                phone: "+971502223345".into(),
            },
            [first.as_str()],
        )
        .send()
        .await
    {
        Err(Error::Conflict(e)) => {
            println!("The same email again: 409 ({}).", e.message().unwrap_or(""))
        }
        other => println!("The same email again: {other:?}"),
    }
    Ok(())
}
