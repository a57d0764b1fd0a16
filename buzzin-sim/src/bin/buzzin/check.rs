//! `buzzin check`: the drift report. Read-only calls only (a page of event logs, and
//! `GET /permits/{id}` for each id given), with the key and base URL the SDK's
//! `Client::from_env` reads (`BUZZIN_API_KEY`, `BUZZIN_BASE_URL`).

use std::process::ExitCode;

use buzzin_sim::drift::{self, Drift};
use clap::Args;
use serde_json::{json, Value};

/// The arguments of `buzzin check`.
#[derive(Args)]
#[command(
    after_help = "The key and the base URL come from the environment, as the SDK's \
    Client::from_env reads them:
  BUZZIN_API_KEY    the API key of your account (never printed)
  BUZZIN_BASE_URL   the API (default https://api.buzz-in.co)
Only read-only calls are made: GET /events (one page) and GET /permits/ID for each ID given.
Every field, enum value and status the spec (openapi/buzzin.yaml) does not know is printed; a
field is shown by its JSON type, never its value. Exit status: 0 no drift, 1 drift, 3 the
check could not run. Send the --json report as a GitHub issue (see the README)."
)]
pub(crate) struct Check {
    /// Permit ids to read with GET /permits/ID (read-only).
    #[arg(value_name = "PERMIT_ID")]
    permits: Vec<String>,
    /// How many event-log records to read (one page).
    #[arg(long, default_value_t = 10)]
    limit: u64,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// One call made, and how it was answered.
struct Call {
    operation: &'static str,
    request: String,
    status: u16,
}

/// What a call's error says: its status when Buzz-In answered, else why the check stops.
fn answered(error: &buzzin::Error) -> Result<u16, String> {
    match error {
        buzzin::Error::Unauthorized(api) => Err(format!(
            "the API key was refused ({}): check BUZZIN_API_KEY",
            api.status().as_u16()
        )),
        buzzin::Error::Server(api) | buzzin::Error::RateLimited { error: api, .. } => Err(format!(
            "Buzz-In failed ({}): try again later",
            api.status().as_u16()
        )),
        other => match other.api_error() {
            Some(api) => Ok(api.status().as_u16()),
            None => Err(other.to_string()),
        },
    }
}

pub(crate) fn run(args: Check) -> ExitCode {
    match report(args) {
        Ok(drifted) if drifted => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", printable(&message));
            ExitCode::from(3)
        }
    }
}

/// `text` safe for a terminal: each control character (ESC, CR, BEL, …: a server's text could
/// retitle or clear the terminal) is shown escaped, as `\u{1b}`, and a backslash as `\\`.
fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || c == '\\' {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

fn report(args: Check) -> Result<bool, String> {
    let client = buzzin::Client::from_env().map_err(|e| e.to_string())?;
    let base = client.base_url().to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (calls, found) = runtime.block_on(async {
        let mut calls = Vec::new();
        let mut found: Vec<Drift> = Vec::new();
        let request = format!("GET /events?$limit={}", args.limit);
        let status = match client.logs().events().limit(args.limit).send().await {
            Ok(page) => {
                for mut d in drift::in_event_page(&page) {
                    d.operation = "listEvents".into();
                    found.push(d);
                }
                200
            }
            Err(e) => answered(&e)?,
        };
        found.extend(drift::status("listEvents", &request, status));
        calls.push(Call {
            operation: "listEvents",
            request,
            status,
        });
        for id in &args.permits {
            let request = format!("GET /permits/{id}");
            let status = match client.permits().get(id.as_str()).send().await {
                Ok(permit) => {
                    for mut d in drift::in_permit(&permit) {
                        d.operation = "getPermit".into();
                        d.location = format!("{id}: {}", d.location);
                        found.push(d);
                    }
                    200
                }
                Err(e) => answered(&e)?,
            };
            found.extend(drift::status("getPermit", &request, status));
            calls.push(Call {
                operation: "getPermit",
                request,
                status,
            });
        }
        Ok::<_, String>((calls, found))
    })?;
    if args.json {
        let report = json!({
            "baseUrl": base,
            "sdk": concat!("buzzin-sim ", env!("CARGO_PKG_VERSION")),
            "calls": calls.iter().map(|c| json!({
                "operation": c.operation, "request": c.request, "status": c.status,
            })).collect::<Vec<Value>>(),
            "drift": found.iter().map(Drift::to_json).collect::<Vec<Value>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("JSON serializes")
        );
    } else {
        println!("Checked {}:", printable(&base));
        for call in &calls {
            println!(
                "  {} ({}) -> {}",
                printable(&call.request),
                call.operation,
                call.status
            );
        }
        if found.is_empty() {
            println!("No drift: every field, enum value and status is in the spec.");
        } else {
            let rows: Vec<[String; 4]> = found
                .iter()
                .map(|d| {
                    [
                        printable(&d.operation),
                        d.kind.as_str().to_owned(),
                        printable(&d.location),
                        printable(&d.value),
                    ]
                })
                .collect();
            let header = ["OPERATION", "KIND", "WHERE", "VALUE"].map(str::to_owned);
            let mut widths = [0usize; 4];
            for row in std::iter::once(&header).chain(&rows) {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            for row in std::iter::once(&header).chain(&rows) {
                let line: Vec<String> = row
                    .iter()
                    .zip(widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                println!("{}", line.join("  ").trim_end());
            }
            println!(
                "{} thing(s) the spec does not know. Please send `buzzin check --json` \
                 to https://github.com/buzzin-rs/buzzin/issues (it holds no key and no field \
                 values).",
                found.len()
            );
        }
    }
    Ok(!found.is_empty())
}
