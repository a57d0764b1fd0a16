//! Event logs: one page of entries and exits, filtered, then every record through the
//! auto-paging stream.
//!
//! `cargo run -p buzzin-examples --example event_logs` (offline), or with `BUZZIN_API_KEY`,
//! `BUZZIN_BASE_URL` (and optionally `BUZZIN_PROPERTY_ID`) set, against a real account.

mod support;

use buzzin::client::DeviceSecret;
use buzzin::models::VisitType;
use futures_util::StreamExt;
use support::*;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (client, sim) = connect().await?;
    let property = var("BUZZIN_PROPERTY_ID", "66e0000000000000000000a1");
    if sim.is_some() {
        // Something to list: the documentation's resident walks in and out three times.
        for secret in ["abc123xyz789...", "sim-nfc-twr07-exit"].repeat(3) {
            client
                .visits()
                .external_nfc(DeviceSecret::new(secret), "784-1234-5678901-2")
                .email("resident@example.com")
                .send()
                .await?;
        }
    }
    let page = client
        .logs()
        .events()
        .property_id(property.as_str())
        .visit_type(VisitType::ExternalNfc)
        .limit(4)
        .send()
        .await?;
    println!(
        "Page 1: {} of {} external NFC events at property {property}:",
        page.data.as_ref().map_or(0, Vec::len),
        page.total.unwrap_or_default()
    );
    for record in page.data.unwrap_or_default() {
        println!(
            "  {} {} flat {}",
            record.created_at.as_ref().map_or("?", |t| t.as_str()),
            record.id.as_ref().map_or("?", |i| i.as_str()),
            record.flat_id.as_ref().map_or("?", |f| f.as_str()),
        );
    }
    let mut stream = client
        .logs()
        .events()
        .property_id(property.as_str())
        .limit(2)
        .stream();
    let mut count = 0;
    while let Some(record) = stream.next().await {
        record?;
        count += 1;
    }
    println!("The stream read {count} records, two per request.");
    Ok(())
}
