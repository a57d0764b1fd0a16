//! Shared by the per-resource examples: a client for a real account when `BUZZIN_API_KEY` and
//! `BUZZIN_BASE_URL` are set, else a client for a freshly started simulator.
#![allow(dead_code)] // Each example uses a different subset.

use buzzin::Client;
use buzzin_sim::Simulator;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The client, and the simulator it talks to (`None` on a real account).
pub async fn connect() -> Result<(Client, Option<Simulator>), BoxError> {
    if std::env::var("BUZZIN_API_KEY").is_ok() && std::env::var("BUZZIN_BASE_URL").is_ok() {
        println!("Using the Buzz-In account at $BUZZIN_BASE_URL.");
        return Ok((Client::from_env()?, None));
    }
    let sim = Simulator::start().await?;
    println!("Started the Buzz-In simulator at {}.", sim.base_url());
    Ok((sim.client()?, Some(sim)))
}

/// An environment variable, or the simulator's seeded value.
pub fn var(name: &str, seeded: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| seeded.to_owned())
}

/// A suffix that differs from run to run, for unique emails and Salesforce ids.
pub fn run_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64 % 10_000_000)
        .unwrap_or(0)
}
