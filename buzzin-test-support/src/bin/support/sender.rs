//! The sender of the fault suites (`webhooks_faults.rs`, `pg_inbox_faults.rs`): plays Buzz-In
//! delivering one signed event to receiver replicas on 127.0.0.1, retrying until one answers
//! with a 2xx.

use buzzin_test_support::now_ms;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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

/// What sending every delivery left: the answers, and how many deliveries no copy got a 2xx for.
pub struct Sent {
    /// The answers, by status.
    pub statuses: Arc<Statuses>,
    /// Deliveries none of whose copies was acknowledged before the deadline.
    pub unacknowledged: usize,
}

/// Sends deliveries `0..deliveries` as Buzz-In would: paced evenly over the first 80 % of
/// `span` from `start`, `copies` concurrent copies each (each through [`send_copy`], with a 1 s
/// request timeout). Returns once every copy is acknowledged or has given up.
pub async fn send_all(
    ports: &[u16],
    secret: &'static str,
    deliveries: usize,
    copies: usize,
    (start, span): (Instant, Duration),
    deadline: Instant,
) -> Sent {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let ports: Arc<[u16]> = ports.into();
    let statuses = Arc::new(Statuses::default());
    let unacknowledged = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for n in 0..deliveries {
        let due = start + span.mul_f64(n as f64 / deliveries as f64) * 8 / 10;
        tokio::time::sleep_until(due.into()).await;
        let (http, ports, statuses, unacknowledged) = (
            http.clone(),
            Arc::clone(&ports),
            Arc::clone(&statuses),
            Arc::clone(&unacknowledged),
        );
        tasks.push(tokio::spawn(async move {
            let sent =
                (0..copies).map(|_| send_copy(&http, &ports, secret, &statuses, n, deadline));
            let acknowledged = futures_util::future::join_all(sent).await;
            if !acknowledged.iter().all(|&a| a) {
                unacknowledged.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    Sent {
        statuses,
        unacknowledged: unacknowledged.load(Ordering::Relaxed),
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
