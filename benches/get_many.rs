//! `client.permits().get_many(ids)` against a hand-written `buffer_unordered` loop over raw
//! reqwest, both at concurrency 16, 10,000 gets of real permits on the simulator, in one run.
//!
//! Run: `cargo bench --bench get_many` (env `BUZZIN_BENCH_GETS`, default 10000).
//! Target: throughput ratio (SDK / raw) ≥ 0.9.
//!
//! The simulator runs in this process on the same runtime (so both sides pay for it alike);
//! 100 permits are created first and the ids cycle over them. Runs alternate SDK and raw, five
//! pairs; the median of the pairs' ratios is reported.

use std::time::{Duration, Instant};

use buzzin::client::Contact;
use buzzin::models::{
    CompanyInput, ContractorRef, Date, FileInput, FlatRef, Permit, PermitId, PropertyRef, Timestamp,
};
use buzzin_sim::Simulator;
use futures_util::StreamExt;

const CONCURRENCY: usize = 16;
const PAIRS: usize = 5;

fn main() {
    let gets: usize = std::env::var("BUZZIN_BENCH_GETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let sim = Simulator::start().await.unwrap();
        let client = sim.client().unwrap();
        let contractor = client
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
                    Date::parse("2027-03-31").unwrap(),
                ),
                "a0B5g000000ABCDEAW",
            )
            .await
            .unwrap();
        sim.approve_contractor(contractor.id().clone()).unwrap();
        let start = Timestamp::now() + Duration::from_secs(24 * 3600);
        let mut permits = Vec::new();
        for i in 0..100 {
            let created = client
                .permits()
                .create(
                    format!("a1B5g00000P{i:07}"),
                    ContractorRef::SalesforceId("a0B5g000000ABCDEAW".into()),
                    PropertyRef::ExternalId("DAMAC-TWR-07".into()),
                    FlatRef::ExternalId("UNIT-0712".into()),
                    start..=start + Duration::from_secs(30 * 24 * 3600),
                )
                .await
                .unwrap();
            permits.push(created.id().clone());
        }
        let ids: Vec<PermitId> = permits.iter().cycle().take(gets).cloned().collect();

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let base = sim.base_url().to_owned();
        let key = sim.api_key().to_owned();
        let raw = |ids: Vec<PermitId>| {
            let (http, base, key) = (http.clone(), base.clone(), key.clone());
            async move {
                futures_util::stream::iter(ids)
                    .map(|id| {
                        let (http, base, key) = (&http, &base, &key);
                        async move {
                            let permit: Result<Permit, reqwest::Error> = async {
                                http.get(format!("{base}/permits/{}", id.as_str()))
                                    .header("x-api-key", key)
                                    .header("user-agent", buzzin::client::USER_AGENT)
                                    .send()
                                    .await?
                                    .error_for_status()?
                                    .json()
                                    .await
                            }
                            .await;
                            (id, permit)
                        }
                    })
                    .buffer_unordered(CONCURRENCY)
                    .fold(0usize, |ok, (_, permit)| async move {
                        ok + usize::from(permit.is_ok())
                    })
                    .await
            }
        };
        let sdk = |ids: Vec<PermitId>| {
            let client = client.clone();
            async move {
                client
                    .permits()
                    .get_many(ids)
                    .concurrency(CONCURRENCY)
                    .fold(0usize, |ok, (_, permit)| async move {
                        ok + usize::from(permit.is_ok())
                    })
                    .await
            }
        };
        // Warm up, and check that both read every permit.
        assert_eq!(sdk(ids[..1000.min(gets)].to_vec()).await, 1000.min(gets));
        assert_eq!(raw(ids[..1000.min(gets)].to_vec()).await, 1000.min(gets));

        let mut ratios = Vec::new();
        let (mut best_sdk, mut best_raw) = (0f64, 0f64);
        for i in 0..PAIRS {
            let timed = |sdk_first: bool| {
                let ids = ids.clone();
                let (sdk, raw) = (&sdk, &raw);
                async move {
                    let t = Instant::now();
                    let ok = if sdk_first { sdk(ids).await } else { raw(ids).await };
                    assert_eq!(ok, gets);
                    gets as f64 / t.elapsed().as_secs_f64()
                }
            };
            let (s, r) = if i % 2 == 0 {
                let s = timed(true).await;
                (s, timed(false).await)
            } else {
                let r = timed(false).await;
                (timed(true).await, r)
            };
            best_sdk = best_sdk.max(s);
            best_raw = best_raw.max(r);
            ratios.push(s / r);
        }
        ratios.sort_by(f64::total_cmp);
        println!("get_many, {gets} gets at concurrency {CONCURRENCY}, {PAIRS} back-to-back pairs:");
        println!("  raw reqwest buffer_unordered  best {best_raw:>9.0} gets/s");
        println!("  buzzin get_many               best {best_sdk:>9.0} gets/s");
        println!(
            "  get_many throughput ratio (SDK / raw, median of pairs): {:.3} (best vs best: {:.3}); target >= 0.9",
            ratios[PAIRS / 2],
            best_sdk / best_raw
        );
    });
}
