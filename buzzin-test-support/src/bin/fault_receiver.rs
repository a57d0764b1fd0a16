//! One webhook receiver replica for the fault-injection suite (`webhooks_faults`
//! spawns four): the README's "Running several receivers" pattern, a `RedisStore` and
//! `handle_once`, plus a ledger (another Redis) of what it did.
//!
//! Environment: `FAULT_PORT`, `FAULT_STORE_URL`, `FAULT_LEDGER_URL`, `FAULT_LEASE_MS`,
//! `FAULT_SECRET`, `FAULT_FAIL_FIRST` (`1`: the handler fails on the first attempt of every
//! tenth delivery). The ledger gets:
//! - `claims`: `<key> <fence> <sent µs> <answered µs>` for every `New` claim;
//! - `effects`: `<key> <fence> <pid> <start µs> <end µs> <1 accepted | 0 refused>` for every
//!   effect the handler wrote, through a store that refuses a fence lower than the last one;
//! - `completes`: `<key>` for every `complete` the store accepted.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use buzzin::webhooks::store::redis::RedisStore;
use buzzin::webhooks::store::{handle_once, Claim, DeliveryStore, Lease, StoreFuture};
use buzzin::webhooks::{Delivery, Verifier};

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros()
}

/// A `DeliveryStore` that logs `New` claims and accepted completes to the ledger.
struct Logged {
    store: RedisStore,
    ledger: redis::aio::MultiplexedConnection,
}

impl DeliveryStore for Logged {
    fn claim<'a>(&'a self, key: &'a str, lease_for: Duration) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let sent = now_us();
            let claim = self.store.claim(key, lease_for).await?;
            if let Claim::New(lease) = &claim {
                let line = format!("{key} {} {sent} {}", lease.fence(), now_us());
                let _: Result<(), _> = redis::cmd("RPUSH")
                    .arg("claims")
                    .arg(line)
                    .query_async(&mut self.ledger.clone())
                    .await;
            }
            Ok(claim)
        })
    }
    fn complete<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.store.complete(lease).await?;
            let _: Result<(), _> = redis::cmd("RPUSH")
                .arg("completes")
                .arg(lease.key())
                .query_async(&mut self.ledger.clone())
                .await;
            Ok(())
        })
    }
    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        self.store.release(lease)
    }
    fn extend<'a>(&'a self, lease: &'a Lease, lease_for: Duration) -> StoreFuture<'a, ()> {
        self.store.extend(lease, lease_for)
    }
}

/// The handler's own storage: writes an effect unless a writer with a higher fence has.
const EFFECT: &str = r"
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local ok = 0
if tonumber(ARGV[1]) > last then redis.call('SET', KEYS[1], ARGV[1]); ok = 1 end
redis.call('RPUSH', KEYS[2], ARGV[2] .. ' ' .. ok)
return ok
";

#[derive(Clone)]
struct App {
    verifier: Verifier,
    store: Arc<Logged>,
    ledger: redis::aio::MultiplexedConnection,
    lease_for: Duration,
    fail_first: bool,
}

impl FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

async fn receive(State(app): State<App>, headers: HeaderMap, delivery: Delivery) -> StatusCode {
    let key = delivery.dedup_key();
    let first_attempt = headers
        .get("x-attempt")
        .is_some_and(|v| v.as_bytes() == b"1");
    let n: u64 = delivery
        .id()
        .map(|id| id.as_str().trim_start_matches("evt-").parse().unwrap_or(0))
        .unwrap_or(0);
    // Handled on a task of its own: when Buzz-In's request goes away (its timeout), hyper
    // drops this handler, but a "done" mark that could not reach Redis in time goes on trying.
    let handling = tokio::spawn(async move {
        let outcome = handle_once(&*app.store, &key, app.lease_for, |lease| {
            let mut ledger = app.ledger.clone();
            async move {
                let start = now_us();
                if app.fail_first && first_attempt && n.is_multiple_of(10) {
                    return Err("failed on its first attempt");
                }
                tokio::time::sleep(Duration::from_millis(fastrand::u64(5..25))).await;
                let record = format!(
                    "{} {} {} {start} {}",
                    lease.key(),
                    lease.fence(),
                    std::process::id(),
                    now_us()
                );
                let accepted: i64 = redis::cmd("EVAL")
                    .arg(EFFECT)
                    .arg(2)
                    .arg(format!("fence:{}", lease.key()))
                    .arg("effects")
                    .arg(lease.fence())
                    .arg(record)
                    .query_async(&mut ledger)
                    .await
                    .map_err(|_| "the ledger failed")?;
                if accepted == 1 {
                    Ok(())
                } else {
                    Err("a newer holder wrote first: stale")
                }
            }
        })
        .await;
        outcome.status()
    });
    handling.await.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name}"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = RedisStore::connect(&env("FAULT_STORE_URL")).await?;
    let ledger = redis::Client::open(env("FAULT_LEDGER_URL"))?
        .get_multiplexed_async_connection()
        .await?;
    let app = App {
        verifier: Verifier::new(env("FAULT_SECRET")),
        store: Arc::new(Logged {
            store,
            ledger: ledger.clone(),
        }),
        ledger,
        lease_for: Duration::from_millis(env("FAULT_LEASE_MS").parse()?),
        fail_first: env("FAULT_FAIL_FIRST") == "1",
    };
    let router = Router::new().route("/hook", post(receive)).with_state(app);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", env("FAULT_PORT").parse()?)).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
