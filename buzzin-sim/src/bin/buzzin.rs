//! `buzzin`: run the Buzz-In simulator standalone, sign or verify webhook deliveries, and report
//! where a real account drifts from the spec (`buzzin check`).
//!
//! ```text
//! BUZZIN_WEBHOOK_SECRET=whsec-test buzzin simulate --port 8080 \
//!     --webhook passes.permits.issued=http://localhost:9000/hooks
//! BUZZIN_WEBHOOK_SECRET=whsec-test buzzin webhooks sign --body-file delivery.json
//! BUZZIN_WEBHOOK_SECRET=whsec-test buzzin webhooks verify --header 'buzzin-signature: …' \
//!     --header 'buzzin-signature-timestamp: …' --body-file delivery.json
//! ```
//!
//! Secrets come from the environment (`BUZZIN_SIMULATOR_API_KEY`, `BUZZIN_WEBHOOK_SECRET`,
//! `BUZZIN_WEBHOOK_TOKEN`, `BUZZIN_SIMULATOR_WEBHOOKS`); each also has a flag, which every
//! local user can read in the process list.
//!
//! Exit codes: 0 success, 1 a delivery that does not verify, drift found by `check`, or a
//! runtime failure, 2 a usage error, 3 `check` could not run (no key, refused, unreachable).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use buzzin::models::WebhookEventName;
use buzzin::webhooks::{sign, Verifier};
use buzzin_sim::{Cursor, DeliveryOutcome, Simulator, WebhookDestination};
use clap::{Args, Parser, Subcommand};

#[path = "buzzin/check.rs"]
mod check;

#[derive(Parser)]
#[command(
    name = "buzzin",
    version,
    about = "Buzz-In tools: a local simulator, webhook signatures and a drift report"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The control hooks, listed by `buzzin simulate --help` (and in the README).
/// How many log entries the CLI copies out of the simulator at a time.
const PAGE: usize = 256;

/// Where the API's request bodies are described, named by `--help` and the start banner.
const SPEC: &str =
    "openapi/buzzin.yaml (https://github.com/buzzin-rs/buzzin/blob/main/openapi/buzzin.yaml)";

const SIMULATE_HOOKS: &str = "The API's operations and request bodies are described in openapi/buzzin.yaml
  (https://github.com/buzzin-rs/buzzin/blob/main/openapi/buzzin.yaml); a body it does not
  allow is answered 400 with the schema's reason.
Secrets, from the environment (a flag is visible to every local user in ps):
  BUZZIN_SIMULATOR_API_KEY   the API key (--api-key; default bz_test_simulator)
  BUZZIN_WEBHOOK_SECRET      the signing secret of deliveries (--signing-secret)
  BUZZIN_WEBHOOK_TOKEN       a static X-Buzzin-Token instead (--token)
  BUZZIN_SIMULATOR_WEBHOOKS  more EVENT=URL entries, separated by spaces (--webhook)
The hooks (a community admin, a gate, the clock), each with the API key:
  K='x-api-key: bz_test_simulator'; B=http://127.0.0.1:8080   (the default key and port)
  curl -X POST -H \"$K\" $B/_simulator/contractors/ID/approve        approve a contractor
  curl -X POST -H \"$K\" $B/_simulator/permits/ID/details            fill a permit's details
       (no body: typical values; or -d '{\"timeIn\":\"08:00\",\"timeOut\":\"18:00\",
        \"representativeName\":\"…\",\"representativeContact\":\"+971…\",\"employees\":[\"…\"]}')
  curl -X POST -H \"$K\" $B/_simulator/permits/ID/approve            approve a permit (issues its pass)
  curl -X POST -H \"$K\" -d '{\"accessCode\":\"CODE\"}' $B/_simulator/scan
       scan a pass at a gate (optional \"propertyId\", \"direction\": \"entry\"|\"exit\")
  curl -X POST -H \"$K\" -d '{\"ms\":3600000}' $B/_simulator/clock/advance   move the clock
  curl -H \"$K\" $B/_simulator/events                                the webhook events sent
  curl -H \"$K\" $B/_simulator/deliveries                            every delivery attempt
  curl -X POST -H \"$K\" $B/_simulator/deliveries/ID/redeliver  deliver a delivery again
  curl -X POST -H \"$K\" -d '{\"tag\":0,\"resident\":0}' $B/_simulator/nfc/tap   tap a seeded NFC tag
  curl -H \"$K\" $B/_simulator/state                                 everything the dashboard shows
  curl -H \"$K\" $B/_simulator/snapshot > s.json                     export the whole state
  curl -X PUT -H \"$K\" --data-binary @s.json $B/_simulator/snapshot   import it
  curl -X POST -H \"$K\" -d '{\"operation\":\"getPermit\",\"status\":503,\"times\":2}' $B/_simulator/faults
       a fault rule (or \"path\"; \"delayMs\" or \"reset\":true; \"probability\")
  curl -H \"$K\" $B/_simulator/faults     the rules;   curl -X DELETE -H \"$K\" $B/_simulator/faults/ID
  A request with the header x-buzzin-sim-answer: 503 gets that answer (the SDK never sends it).
The dashboard, $B/_simulator/ in a browser, plays them by button (no key needed on loopback).";

#[derive(Subcommand)]
enum Command {
    /// Run the Buzz-In simulator until Ctrl-C.
    Simulate(Simulate),
    /// Sign or verify webhook deliveries.
    #[command(subcommand)]
    Webhooks(Webhooks),
    /// Report what a real account answers that the spec does not know (read-only calls).
    Check(check::Check),
}

#[derive(Args)]
#[command(after_help = SIMULATE_HOOKS)]
struct Simulate {
    /// The address to listen on. Anything but loopback (0.0.0.0 in a container) needs your
    /// own API key: every route, the /_simulator/ hooks included, requires the key (the
    /// dashboard page loads without it, then asks for it).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The API key the simulator accepts: set $BUZZIN_SIMULATOR_API_KEY, or give it here (a
    /// flag is visible to every local user, in ps and /proc/PID/cmdline). Default:
    /// bz_test_simulator.
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// Deliver an event to a URL: EVENT=URL, where EVENT is an event name such as
    /// passes.permits.issued, or * for every event. Repeat for more. A URL with a credential
    /// in it belongs in $BUZZIN_SIMULATOR_WEBHOOKS instead (EVENT=URL entries separated by
    /// spaces), which is added to these. URLs are shown with userinfo and query values
    /// redacted.
    #[arg(long = "webhook", value_name = "EVENT=URL", value_parser = parse_webhook)]
    webhooks: Vec<(Option<WebhookEventName>, String)>,
    /// Sign deliveries with this secret (buzzin-signature): set $BUZZIN_WEBHOOK_SECRET, or give
    /// it here (visible to every local user).
    #[arg(long, value_name = "SECRET", conflicts_with = "token")]
    signing_secret: Option<String>,
    /// Send this secret as X-Buzzin-Token instead of signing: set $BUZZIN_WEBHOOK_TOKEN, or
    /// give it here (visible to every local user).
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Attempts per delivery, the first included.
    #[arg(long, default_value_t = 5)]
    attempts: u32,
    /// How many requests, and how many delivery attempts, the simulator keeps in its logs (the
    /// oldest are dropped first; what is printed here is not affected).
    #[arg(long, default_value_t = buzzin_sim::DEFAULT_LOG_CAPACITY)]
    log_capacity: usize,
    /// How many bytes of paths, query strings and answer bodies the request log keeps (the
    /// oldest requests are dropped first; the last is always kept whole).
    #[arg(long, default_value_t = buzzin_sim::DEFAULT_REQUEST_LOG_BYTES)]
    request_log_bytes: usize,
    /// Keep the state in FILE: loaded at start (a file of another format version is refused),
    /// written atomically within the write interval (--state-interval-ms, 1 s) plus the time of
    /// two writes of each change (nine times a write's time for a large state), and at Ctrl-C
    /// or SIGTERM, so a kill -9 loses at most that. It holds the records, events and clock; never the API
    /// key, the webhook destinations or their secrets.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Record: forward every keyed API request (with the key it came with) to this upstream, a
    /// real account's base URL such as https://api.buzz-in.co, and append each request and
    /// answer to --cassette, redacted (no API key, no secret, no personal data: every field the
    /// spec marks secret or personal, in bodies, queries and error texts).
    #[arg(
        long,
        value_name = "URL",
        requires = "cassette",
        conflicts_with = "replay"
    )]
    record_from: Option<String>,
    /// The cassette --record-from writes (replaced if it exists).
    #[arg(long, value_name = "FILE", requires = "record_from")]
    cassette: Option<PathBuf>,
    /// Replay a cassette: each API request gets the recorded answer to the same method, path
    /// and body (a 501 when the cassette has none); no API key is checked.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Answer as a drifting Buzz-In would: extra fields, unknown enum values, an undocumented
    /// status (to try `buzzin check` out; see the README).
    #[arg(long)]
    drift: bool,
    /// The shortest wait between two writes of --state, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000, requires = "state")]
    state_interval_ms: u64,
    /// The most connections served at once; one more is closed at once.
    #[arg(long, value_name = "N", default_value_t = buzzin_sim::DEFAULT_CONNECTION_LIMIT)]
    connection_limit: usize,
    /// How long a client has to send a request's headers, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// How long a connection may stay idle, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    idle_timeout_ms: u64,
}

#[derive(Subcommand)]
enum Webhooks {
    /// Print the signature headers of a body (read from --body-file or standard input).
    Sign {
        /// The webhook secret: set $BUZZIN_WEBHOOK_SECRET, or give it here (a flag is visible
        /// to every local user, in ps and /proc/PID/cmdline).
        #[arg(long)]
        secret: Option<String>,
        /// The signing time in Unix milliseconds (default: now).
        #[arg(long)]
        timestamp: Option<u64>,
        /// The body; standard input when absent.
        #[arg(long)]
        body_file: Option<PathBuf>,
    },
    /// Check a captured delivery: its headers and its exact body.
    Verify {
        /// The webhook secret: set $BUZZIN_WEBHOOK_SECRET, or give it here (a flag is visible
        /// to every local user, in ps and /proc/PID/cmdline).
        #[arg(long)]
        secret: Option<String>,
        /// A request header, 'name: value'. Repeat for each header.
        #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
        headers: Vec<(String, String)>,
        /// The body exactly as received; standard input when absent.
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// Accept a signature however old (for replaying a stored delivery).
        #[arg(long)]
        any_timestamp: bool,
    },
}

fn parse_webhook(text: &str) -> Result<(Option<WebhookEventName>, String), String> {
    // Never echo the URL: it may hold a credential.
    let (event, url) = text
        .split_once('=')
        .ok_or_else(|| "a webhook is EVENT=URL, and this has no `=`".to_owned())?;
    url::Url::parse(url).map_err(|e| format!("the URL of `{event}=…` is not a URL: {e}"))?;
    if event == "*" {
        return Ok((None, url.to_owned()));
    }
    match WebhookEventName::from(event) {
        WebhookEventName::Unknown(_) => Err(format!(
            "`{event}` is not a Buzz-In event (such as passes.permits.issued), nor *"
        )),
        known => Ok((Some(known), url.to_owned())),
    }
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not 'name: value'"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// The environment variable of the simulator's API key.
const API_KEY_VAR: &str = "BUZZIN_SIMULATOR_API_KEY";
/// The environment variable of the webhook signing secret.
const SECRET_VAR: &str = "BUZZIN_WEBHOOK_SECRET";
/// The environment variable of the static webhook token.
const TOKEN_VAR: &str = "BUZZIN_WEBHOOK_TOKEN";
/// The environment variable of more `--webhook` entries (EVENT=URL, separated by spaces).
const WEBHOOKS_VAR: &str = "BUZZIN_SIMULATOR_WEBHOOKS";

/// A secret from its flag, else from its (non-empty) environment variable.
fn flag_or_env(flag: Option<String>, var: &str) -> Option<String> {
    flag.or_else(|| std::env::var(var).ok())
        .filter(|s| !s.is_empty())
}

fn secret(given: Option<String>) -> Result<String, String> {
    flag_or_env(given, SECRET_VAR)
        .ok_or_else(|| format!("no secret: set {SECRET_VAR} (or give --secret)"))
}

/// How deliveries are authenticated: a flag wins over the environment; both variables set
/// and no flag is ambiguous.
fn delivery_secret(args: &Simulate) -> Result<Option<DeliverySecret>, String> {
    if let Some(token) = args.token.clone() {
        return Ok(Some(DeliverySecret::Token(token)));
    }
    if let Some(secret) = args.signing_secret.clone() {
        return Ok(Some(DeliverySecret::Signing(secret)));
    }
    match (flag_or_env(None, TOKEN_VAR), flag_or_env(None, SECRET_VAR)) {
        (Some(_), Some(_)) => Err(format!(
            "both {TOKEN_VAR} and {SECRET_VAR} are set: unset one, or choose with --token or \
             --signing-secret"
        )),
        (Some(token), None) => Ok(Some(DeliverySecret::Token(token))),
        (None, Some(secret)) => Ok(Some(DeliverySecret::Signing(secret))),
        (None, None) => Ok(None),
    }
}

/// The secret a simulated delivery carries.
enum DeliverySecret {
    /// Sent as is in `X-Buzzin-Token`.
    Token(String),
    /// Signs each delivery.
    Signing(String),
}

/// The `--webhook` entries, then those of [`WEBHOOKS_VAR`].
fn webhook_entries(args: &Simulate) -> Result<Vec<(Option<WebhookEventName>, String)>, String> {
    let mut entries = args.webhooks.clone();
    if let Ok(listed) = std::env::var(WEBHOOKS_VAR) {
        for entry in listed.split_whitespace() {
            entries.push(parse_webhook(entry).map_err(|e| format!("{WEBHOOKS_VAR}: {e}"))?);
        }
    }
    Ok(entries)
}

fn read_body(path: Option<PathBuf>) -> Result<Vec<u8>, String> {
    match path {
        Some(path) => {
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        None => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(body)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate(args) => simulate(args),
        Command::Check(args) => return check::run(args),
        Command::Webhooks(Webhooks::Sign {
            secret: given,
            timestamp,
            body_file,
        }) => (|| {
            let secret = secret(given)?;
            let body = read_body(body_file)?;
            let timestamp = timestamp.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0)
            });
            println!("buzzin-signature: {}", sign(secret, timestamp, &body));
            println!("buzzin-signature-timestamp: {timestamp}");
            Ok(())
        })(),
        Command::Webhooks(Webhooks::Verify {
            secret: given,
            headers,
            body_file,
            any_timestamp,
        }) => (|| {
            let secret = secret(given)?;
            let body = read_body(body_file)?;
            let mut verifier = Verifier::new(secret);
            if any_timestamp {
                verifier = verifier.accept_any_timestamp();
            }
            match verifier.verify(&headers, &body) {
                Ok(delivery) => {
                    println!(
                        "valid: {} (authenticated by {:?}), event id {}, delivery {}",
                        delivery.event_name(),
                        delivery.authentication(),
                        delivery.id().map_or("?", |i| i.as_str()),
                        delivery.delivery_id().unwrap_or("?"),
                    );
                    Ok(())
                }
                Err(e) => {
                    eprintln!("invalid: {e}");
                    Err(String::new())
                }
            }
        })(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

fn simulate(args: Simulate) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let api_key = flag_or_env(args.api_key.clone(), API_KEY_VAR)
            .unwrap_or_else(|| buzzin_sim::DEFAULT_API_KEY.to_owned());
        if !args.host.is_loopback() && api_key == buzzin_sim::DEFAULT_API_KEY {
            return Err(format!(
                "refusing to listen on {} with the well-known default API key: set \
                 {API_KEY_VAR} (or give --api-key) to a key of your own",
                args.host
            ));
        }
        let delivery_secret = delivery_secret(&args)?;
        let webhooks = webhook_entries(&args)?;
        let mut builder = Simulator::builder()
            .host(args.host)
            .port(args.port)
            .api_key(api_key)
            .webhook_attempts(args.attempts)
            .log_capacity(args.log_capacity)
            .connection_limit(args.connection_limit)
            .header_timeout(Duration::from_millis(args.header_timeout_ms))
            .idle_timeout(Duration::from_millis(args.idle_timeout_ms))
            .request_log_bytes(args.request_log_bytes)
            .control_api();
        if args.drift {
            builder = builder.drift();
        }
        if let (Some(url), Some(cassette)) = (&args.record_from, &args.cassette) {
            builder = builder.record_from(url.clone(), cassette.clone());
        }
        if let Some(cassette) = &args.replay {
            builder = builder.replay(cassette.clone());
        }
        if let Some(path) = &args.state {
            builder = builder
                .state_file(path)
                .state_write_interval(Duration::from_millis(args.state_interval_ms));
        }
        let mut shown = Vec::new();
        for (event, url) in webhooks {
            let mut destination = WebhookDestination::new(url);
            if let Some(event) = &event {
                destination = destination.event(event.clone());
            }
            destination = match &delivery_secret {
                Some(DeliverySecret::Token(token)) => destination.token(token.clone()),
                Some(DeliverySecret::Signing(secret)) => destination.signing_secret(secret.clone()),
                None => destination,
            };
            shown.push((event, destination.shown_url().to_owned()));
            builder = builder.webhook(destination);
        }
        let sim = builder.start().await.map_err(|e| {
            if matches!(
                e.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
            ) {
                e.to_string()
            } else {
                format!("cannot start on {}:{}: {e}", args.host, args.port)
            }
        })?;
        print_banner(&sim, &shown, delivery_secret.as_ref(), args.state.as_deref());
        if let (Some(url), Some(cassette)) = (&args.record_from, &args.cassette) {
            let origin = url::Url::parse(url)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            println!(
                "Recording: API requests go to {origin}; the cassette is {}",
                cassette.display()
            );
        }
        if let Some(cassette) = &args.replay {
            println!("Replaying {}: API requests get its answers", cassette.display());
        }
        let mut seen_requests = Cursor::default();
        let mut seen_attempts = Cursor::default();
        let mut ticker = tokio::time::interval(Duration::from_millis(200));
        let terminate = terminated();
        tokio::pin!(terminate);
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                // `docker stop`, `kill PID`: stop as Ctrl-C does (the state file written).
                _ = &mut terminate => break,
                _ = ticker.tick() => {
                    // Only what is new, a page at a time (a bounded copy however fast requests
                    // arrive), copied out under the lock and printed after it.
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    print_pages(&mut seen_requests, |c| sim.requests_page(c, PAGE), |r| {
                        let query = r.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default();
                        let _ = writeln!(out, "{} {}{} -> {}", r.method, r.path, query, r.status);
                    });
                    print_pages(&mut seen_attempts, |c| sim.deliveries_page(c, PAGE), |a| {
                        let outcome = match &a.outcome {
                            DeliveryOutcome::Status(code) => code.to_string(),
                            DeliveryOutcome::Failed(e) => format!("failed: {e}"),
                            _ => "?".to_owned(),
                        };
                        let _ = writeln!(out, "  webhook {} -> {} (attempt {}): {outcome}", a.event, a.url, a.attempt);
                    });
                    let _ = out.flush();
                }
            }
        }
        println!("Stopping.");
        // A failed last write of the state file is a failure of the run (it names the file).
        sim.close().await.map_err(|e| e.to_string())
    })
}

/// Resolves when the process is asked to terminate (SIGTERM); never elsewhere.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            term.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}

/// Reads a simulator log from `cursor` a page at a time until it is empty, handing each entry
/// to `print` and moving `cursor` past it.
fn print_pages<T>(
    cursor: &mut Cursor,
    page: impl Fn(Cursor) -> (Vec<T>, Cursor),
    mut print: impl FnMut(&T),
) {
    loop {
        let (entries, next) = page(*cursor);
        *cursor = next;
        if entries.is_empty() {
            return;
        }
        entries.iter().for_each(&mut print);
    }
}

/// Prints where the simulator listens, its seed and its webhooks (`webhooks`: each event and
/// its URL as shown, redacted).
fn print_banner(
    sim: &Simulator,
    webhooks: &[(Option<WebhookEventName>, String)],
    secret: Option<&DeliverySecret>,
    state: Option<&std::path::Path>,
) {
    let base = sim.base_url();
    println!("Buzz-In simulator listening on {base}");
    println!("  Dashboard: {base}/_simulator/  (open it in a browser)");
    println!("  BUZZIN_BASE_URL={base}");
    if sim.api_key() == buzzin_sim::DEFAULT_API_KEY {
        println!(
            "  BUZZIN_API_KEY={}  (send as x-api-key or Authorization: Bearer)",
            sim.api_key()
        );
    } else {
        println!("  BUZZIN_API_KEY=<the key you gave>  (x-api-key or Bearer)");
    }
    println!("  Request bodies: as described in {SPEC}");
    if let Some(path) = state {
        println!(
            "  State: {} (written within about 1 s of a change, and at Ctrl-C)",
            path.display()
        );
    }
    println!("  Community {}", sim.community_id());
    for property in &sim.seed().properties {
        let flats: Vec<String> = property
            .flats
            .iter()
            .map(|f| format!("{} ({})", f.external_id, f.id))
            .collect();
        println!(
            "  Property {} ({}): {}",
            property.external_id,
            property.id,
            flats.join(", ")
        );
    }
    for (event, url) in webhooks {
        let event = event.as_ref().map_or("*", |e| e.as_str());
        let scheme = match secret {
            Some(DeliverySecret::Token(_)) => "X-Buzzin-Token",
            Some(DeliverySecret::Signing(_)) => "signed",
            None => "no secret",
        };
        println!("  Webhook {event} -> {url} ({scheme})");
    }
    println!("Dashboard, gates and clock (same API key):");
    println!("  POST {base}/_simulator/contractors/ID/approve");
    println!("  POST {base}/_simulator/permits/ID/details   {{}} fills typical details");
    println!("  POST {base}/_simulator/permits/ID/approve");
    println!("  POST {base}/_simulator/scan                 {{\"accessCode\": \"…\", \"direction\": \"entry\"}}");
    println!("  POST {base}/_simulator/clock/advance        {{\"ms\": 86400000}}");
    println!("  GET  {base}/_simulator/events | /_simulator/deliveries");
    println!("Ctrl-C stops.");
}
