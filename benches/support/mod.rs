//! What the delivery-store benchmarks share: running deliveries on concurrent tasks, and their
//! arithmetic.
#![allow(dead_code)] // Each benchmark uses a subset.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs deliveries `0..deliveries` on `handlers` concurrent tasks (task `h` takes `h`,
/// `h + handlers`, …), each by `one(i)`; returns the wall time.
pub async fn run_deliveries<F, Fut>(deliveries: usize, handlers: usize, one: F) -> Duration
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let one = Arc::new(one);
    let start = Instant::now();
    let tasks: Vec<_> = (0..handlers)
        .map(|h| {
            let one = Arc::clone(&one);
            tokio::spawn(async move {
                for i in (h..deliveries).step_by(handlers) {
                    one(i).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

/// Microseconds per delivery.
pub fn per_delivery(elapsed: Duration, deliveries: usize) -> f64 {
    elapsed.as_secs_f64() * 1e6 / deliveries as f64
}

/// The median of `samples`.
pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
