//! Shared helpers of the `simulator_*` tests: a simulator with a client, and the records of the
//! DAMAC flow in a few calls.
#![allow(dead_code)] // Each test file uses a different subset.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use buzzin::models::{
    CompanyInput, Contractor, ContractorId, ContractorRef, Date, FileInput, FlatRef, NocInput,
    Permit, PermitId, PropertyRef, Timestamp,
};
use buzzin::{Client, Error};
use buzzin_sim::{PermitDetails, Simulator};

pub const DAY: Duration = Duration::from_secs(24 * 3600);

/// A simulator whose clock is frozen at 2026-06-29T10:15:00Z, and a client for it.
pub async fn start() -> (Simulator, Client) {
    let sim = Simulator::builder()
        .clock_start(ts("2026-06-29T10:15:00.000Z"))
        .freeze_clock()
        .webhook_retry_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("the simulator starts");
    let client = sim.client().expect("a client for the simulator");
    (sim, client)
}

pub fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

pub fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

pub fn url_file(url: &str) -> FileInput {
    FileInput::Url { url: url.into() }
}

pub fn company(name: &str) -> CompanyInput {
    CompanyInput::new(
        name,
        url_file("https://files.example.com/license.pdf"),
        date("2027-03-31"),
    )
}

pub fn noc(number: &str) -> NocInput {
    NocInput::with_details(
        url_file(&format!("https://files.example.com/{number}.pdf")),
        number,
        date("2026-06-20"),
        date("2026-08-20"),
    )
}

/// A pending contractor `n` (its email, phone and Salesforce id derive from `n`).
pub async fn contractor(client: &Client, n: u32) -> Contractor {
    client
        .community_contractors()
        .create(
            buzzin::client::Contact {
                name: format!("Rep {n}"),
                email: format!("ops{n}@contracting.example"),
                phone: format!("+97150000{n:04}"),
            },
            company(&format!("Contracting {n} LLC")),
            format!("a0B5g00000CTR{n:04}"),
        )
        .send()
        .await
        .expect("the contractor is created")
        .into_record()
}

/// An approved contractor `n`.
pub async fn approved_contractor(sim: &Simulator, client: &Client, n: u32) -> ContractorId {
    let id = contractor(client, n).await.id.unwrap();
    sim.approve_contractor(&id).unwrap();
    id
}

/// A DRAFT permit of `contractor` for UNIT-0712 of DAMAC-TWR-07, valid for July 2026.
pub async fn draft_permit(
    client: &Client,
    contractor: &ContractorId,
    salesforce_id: &str,
) -> Permit {
    client
        .permits()
        .create(
            salesforce_id,
            ContractorRef::Id(contractor.clone()),
            PropertyRef::ExternalId("DAMAC-TWR-07".into()),
            FlatRef::ExternalId("UNIT-0712".into()),
            ts("2026-07-01T06:00:00.000Z")..=ts("2026-07-31T18:00:00.000Z"),
        )
        .jobs_summary("Full interior fit-out of unit 0712.")
        .noc(noc("NOC-12345"))
        .send()
        .await
        .expect("the permit is created")
        .into_record()
}

/// An ACCEPTED permit (created, filled in, submitted, approved).
pub async fn accepted_permit(
    sim: &Simulator,
    client: &Client,
    contractor: &ContractorId,
    salesforce_id: &str,
) -> Permit {
    let id = draft_permit(client, contractor, salesforce_id)
        .await
        .id
        .unwrap();
    submit(sim, client, &id).await;
    sim.approve_permit(&id).unwrap()
}

pub async fn submit(sim: &Simulator, client: &Client, id: &PermitId) {
    sim.fill_permit_details(id, PermitDetails::typical())
        .unwrap();
    client.passes().submit(id.clone()).send().await.unwrap();
}

/// The status code and Feathers name of an API error.
pub fn api_error(error: &Error) -> (u16, String) {
    let api = error
        .api_error()
        .unwrap_or_else(|| panic!("not an API error: {error:?}"));
    (
        api.status().as_u16(),
        api.name()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
    )
}

/// A fresh path in the temp dir for a file named after `name` (removed first if it exists).
pub fn temp_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "buzzin-sim-{name}-{}-{}.json",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// Spawns `command` (a `buzzin simulate …` of the test's) as a separate OS process and reads
/// its base URL from the banner; the rest of its output is drained, so that it never blocks on
/// a full pipe. The caller stops the process by its pid.
pub fn spawn_simulator(command: &mut Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn buzzin simulate");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the banner")
            .expect("the banner's text");
        if let Some(url) = line.strip_prefix("  BUZZIN_BASE_URL=") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, base)
}
