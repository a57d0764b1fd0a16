//! The webhook sender: POSTs each queued delivery job to its destination (in order for each
//! destination, the destinations side by side), retries it, and records every attempt.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

use super::delivery::{DeliveryAttempt, DeliveryOutcome, Job, Pending, RetrySettings, Secret};
use super::log::Ring;

/// Delivers the jobs of `jobs` until the outbox is gone.
pub(crate) async fn run(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    settings: RetrySettings,
    attempts: Arc<Mutex<Ring<DeliveryAttempt>>>,
    pending: Arc<Pending>,
) {
    // No redirect is followed: a receiver's `3xx` is its answer (a redirect to another host
    // would carry the delivery and its token there).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .build()
        .expect("a client without TLS builds");
    // One queue per destination: each gets its events in order, and a slow or failing one
    // does not hold up the others.
    let mut queues: std::collections::HashMap<usize, mpsc::UnboundedSender<Job>> =
        std::collections::HashMap::new();
    while let Some(job) = jobs.recv().await {
        let queue = queues.entry(job.destination_index).or_insert_with(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            let (http, attempts, pending) = (http.clone(), attempts.clone(), pending.clone());
            tokio::spawn(async move {
                while let Some(job) = rx.recv().await {
                    deliver(&http, &job, settings, &attempts).await;
                    pending.done();
                }
            });
            tx
        });
        if let Err(mpsc::error::SendError(_)) = queue.send(job) {
            pending.done();
        }
    }
}

async fn deliver(
    http: &reqwest::Client,
    job: &Job,
    settings: RetrySettings,
    attempts: &Mutex<Ring<DeliveryAttempt>>,
) {
    // A redelivery runs after the delivery's earlier attempts (one queue per destination), so
    // its numbering follows theirs.
    let earlier = if job.redelivery {
        attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|a| a.delivery_id == job.delivery_id)
            .map(|a| a.attempt)
            .max()
            .unwrap_or(0)
    } else {
        0
    };
    for try_number in 1..=settings.max_attempts.max(1) {
        let attempt = earlier + try_number;
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-buzzin-event".to_owned(), job.event.as_str().to_owned()),
            ("x-buzzin-delivery".to_owned(), job.delivery_id.clone()),
        ];
        match &job.destination.secret {
            Secret::None => {}
            Secret::Token(secret) => headers.push(("x-buzzin-token".into(), secret.clone())),
            Secret::Signing(secret) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0);
                let signature = buzzin::webhooks::sign(secret, now, job.body.as_slice());
                headers.push(("buzzin-signature".into(), signature));
                headers.push(("buzzin-signature-timestamp".into(), now.to_string()));
            }
        }
        let mut request = http
            .post(&job.destination.url)
            .body(job.body.as_ref().clone());
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let outcome = match request.send().await {
            Ok(response) => DeliveryOutcome::Status(response.status().as_u16()),
            Err(e) => DeliveryOutcome::Failed(e.without_url().to_string()),
        };
        let record = DeliveryAttempt {
            delivery_id: job.delivery_id.clone(),
            event_id: job.event_id.clone(),
            event: job.event.clone(),
            url: job.destination.shown.clone(),
            attempt,
            headers,
            body: job.body.as_ref().clone(),
            outcome,
            destination_index: job.destination_index,
        };
        let succeeded = record.succeeded();
        attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
        if succeeded || try_number >= settings.max_attempts {
            return;
        }
        let factor = 1u32 << (try_number - 1).min(5);
        tokio::time::sleep(settings.base_delay * factor).await;
    }
}
