//! QR accesses: a one-day QR code for a visitor of a unit.
//!
//! `cargo run -p buzzin-examples --example qr_access` (offline), or with `BUZZIN_API_KEY`,
//! `BUZZIN_BASE_URL`, `BUZZIN_PROPERTY_ID` and `BUZZIN_FLAT_ID` set, against a real account.

mod support;

use std::time::Duration;

use buzzin::client::Unit;
use buzzin::models::Timestamp;
use support::*;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (client, _sim) = connect().await?;
    let property = var("BUZZIN_PROPERTY_ID", "66e0000000000000000000a1");
    let flat = var("BUZZIN_FLAT_ID", "66e0000000000000000000b2");
    let from = Timestamp::now() + Duration::from_secs(3600);
    let access = client
        .accesses()
        .create_qr(
            "Sara Visitor",
            Unit {
                property_id: property.as_str().into(),
                flat_id: flat.as_str().into(),
            },
            from..=from + Duration::from_secs(12 * 3600),
        )
        .visitor_phone("+971501112233")
        .send()
        .await?;
    println!(
        "QR access {} for Sara: code {}, valid {} to {}; image at {}.",
        access.id.as_ref().map_or("?", |i| i.as_str()),
        access.access_code.as_deref().unwrap_or("?"),
        access.valid_from.as_ref().map_or("?", |t| t.as_str()),
        access.valid_till.as_ref().map_or("?", |t| t.as_str()),
        access.qr_image_url.as_deref().unwrap_or("?"),
    );
    Ok(())
}
