//! The external NFC visit: a resident taps the gate's tag on the way in and on the way out.
//!
//! `cargo run -p buzzin-examples --example nfc_visit` (offline), or with `BUZZIN_API_KEY`,
//! `BUZZIN_BASE_URL`, `BUZZIN_NFC_ENTRY_SECRET`, `BUZZIN_NFC_EXIT_SECRET`,
//! `BUZZIN_RESIDENT_DOCUMENT_ID` and `BUZZIN_RESIDENT_EMAIL` set, against a real account (it
//! opens the real gate twice).

mod support;

use std::time::Duration;

use buzzin::client::DeviceSecret;
use buzzin::models::NfcResponseCode;
use support::*;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (client, sim) = connect().await?;
    let entry = var("BUZZIN_NFC_ENTRY_SECRET", "abc123xyz789...");
    let exit = var("BUZZIN_NFC_EXIT_SECRET", "sim-nfc-twr07-exit");
    let document = var("BUZZIN_RESIDENT_DOCUMENT_ID", "784-1234-5678901-2");
    let email = var("BUZZIN_RESIDENT_EMAIL", "resident@example.com");

    let came = client
        .visits()
        .external_nfc(DeviceSecret::new(entry), document.as_str())
        .email(email.as_str())
        .send()
        .await?;
    println!("In: {:?}.", came.response_code);
    match &sim {
        Some(sim) => sim.advance(Duration::from_secs(2 * 3600)),
        None => tokio::time::sleep(Duration::from_secs(5)).await,
    }
    let left = client
        .visits()
        .external_nfc(DeviceSecret::new(exit), document.as_str())
        .email(email.as_str())
        .send()
        .await?;
    if left.response_code == Some(NfcResponseCode::LeaveEventCreated) {
        let ms = left
            .leave_event
            .and_then(|l| l.duration)
            .unwrap_or_default();
        println!("Out after {} min.", ms / 60_000);
    }

    // A stranger is refused with the documentation's own message.
    let refused = client
        .visits()
        .external_nfc(
            DeviceSecret::new(var("BUZZIN_NFC_ENTRY_SECRET", "abc123xyz789...")),
            "784-0000-0000000-0",
        )
        .email("nobody@example.com")
        .send()
        .await
        .unwrap_err();
    println!("A stranger: {refused}");
    Ok(())
}
