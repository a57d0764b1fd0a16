//! The sender of the fault suites (`webhooks_faults.rs`, `pg_inbox_faults.rs`): plays Buzz-In
//! delivering one signed event to receiver replicas on 127.0.0.1, retrying until one answers
//! with a 2xx.

use buzzin_test_support::now_ms;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use buzzin::webhooks::sign;

/// Attempts per copy before the sender gives up (a bound, never reached when nothing is lost).
pub const MAX_ATTEMPTS: usize = 300;

/// How many answers of each status the sender got (0: no answer, a connection error or a
/// timeout), and when each 2xx came.
#[derive(Default)]
pub struct Statuses {
    counts: Mutex<HashMap<u16, usize>>,
    acknowledged_at: Mutex<Vec<Instant>>,
}

impl Statuses {
    /// The counts, by status.
    pub fn sorted(&self) -> Vec<(u16, usize)> {
        let mut statuses: Vec<(u16, usize)> =
            self.counts.lock().unwrap().clone().into_iter().collect();
        statuses.sort();
        statuses
    }

    /// The first 2xx answered after `at` (`pg_inbox_faults` measures its recovery with it).
    #[allow(dead_code)]
    pub fn first_2xx_after(&self, at: Instant) -> Option<Instant> {
        let answered = self.acknowledged_at.lock().unwrap();
        answered.iter().filter(|&&t| t > at).min().copied()
    }

    fn count(&self, status: u16) {
        *self.counts.lock().unwrap().entry(status).or_default() += 1;
        if (200..300).contains(&status) {
            self.acknowledged_at.lock().unwrap().push(Instant::now());
        }
    }
}

/// Sends one copy of delivery `n`, signed with `secret`, to random replicas of `ports` until
/// one answers 2xx (`true`), backing off from 50 ms to 1 s (as a webhook sender backs off), until `deadline` or
/// [`MAX_ATTEMPTS`]. Each attempt says its number in `x-attempt`.
pub async fn send_copy(
    http: &reqwest::Client,
    ports: &[u16],
    secret: &str,
    statuses: &Statuses,
    n: usize,
    deadline: Instant,
) -> bool {
    let body = format!(
        r#"{{"id":"evt-{n:05}","event":"passes.permits.expired","communityId":"6840270a99ca91002185fcd6","data":{{}}}}"#
    );
    let mut backoff = Duration::from_millis(50);
    for attempt in 1..=MAX_ATTEMPTS {
        if Instant::now() >= deadline {
            return false;
        }
        let port = ports[fastrand::usize(..ports.len())];
        let ts = now_ms();
        let status = http
            .post(format!("http://127.0.0.1:{port}/hook"))
            .header("buzzin-signature", sign(secret, ts, &body))
            .header("buzzin-signature-timestamp", ts.to_string())
            .header("x-buzzin-event", "passes.permits.expired")
            .header("x-attempt", attempt.to_string())
            .body(body.clone())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        statuses.count(status);
        if (200..300).contains(&status) {
            return true;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
    false
}
