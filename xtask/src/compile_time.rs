//! `cargo xtask compile-time`: a clean debug build of `buzzin` (default features) against a
//! bare crate that depends on the same crates, timed in one run, with the ratio; then a clean
//! build of a webhook-only user crate (`buzzin` with `default-features = false`) against a bare
//! crate with the verifier's own dependencies.
//!
//! The bare crate depends on the crates every SDK of this kind needs (reqwest with json,
//! serde, serde_json, tokio, hmac, sha2, hex, thiserror, url), each copied from buzzin's own
//! manifest so versions and features match, and with the same default features. What buzzin
//! adds on top (its own code and its few small extra dependencies) is what the ratio measures.
//!
//! The ratio is of CPU time (user and system time of the build's processes), not of wall time:
//! on a machine that other work shares, the wall time of a build depends on what else runs
//! during it, so a wall-time ratio went past the target (an error) whenever the load changed
//! between the two builds. The CPU time a build takes hardly depends on the load. Wall times are
//! printed too, and the two builds of a round alternate which goes first.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const BARE_CRATES: [&str; 9] = [
    "reqwest",
    "serde",
    "serde_json",
    "tokio",
    "hmac",
    "sha2",
    "hex",
    "thiserror",
    "url",
];
const TARGET: f64 = 1.3;

/// What the webhook verifier, events, models and delivery store depend on.
const VERIFIER_CRATES: [&str; 9] = [
    "serde",
    "serde_json",
    "hmac",
    "sha2",
    "hex",
    "thiserror",
    "base64",
    "http",
    "subtle",
];

pub fn run(root: &Path, rounds: u32) -> Result<(), String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let work = std::env::temp_dir().join(format!("buzzin-compile-time-{}", std::process::id()));
    let bare = work.join("bare");
    std::fs::create_dir_all(bare.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(bare.join("Cargo.toml"), bare_manifest(&manifest)?)
        .map_err(|e| e.to_string())?;
    std::fs::write(
        bare.join("src/lib.rs"),
        "//! Depends on the crates, uses none.\n",
    )
    .map_err(|e| e.to_string())?;
    // The same lock file, so both builds compile the very same dependency versions.
    std::fs::copy(root.join("Cargo.lock"), bare.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let (bare_verifier, user) = webhook_crates(root, &manifest, &work)?;

    let mut bare_times = Vec::new();
    let mut sdk_times = Vec::new();
    for round in 1..=rounds {
        let (b, s) = pair(
            &work,
            round,
            (&bare, "bare", &["build", "--lib"]),
            (root, "sdk", &["build", "--lib", "-p", "buzzin"]),
        )?;
        println!(
            "round {round}: bare {b}, buzzin {s}, CPU ratio {:.3}",
            s.cpu / b.cpu
        );
        bare_times.push(b.cpu);
        sdk_times.push(s.cpu);
        let (bv, u) = pair(
            &work,
            round,
            (&bare_verifier, "bare-verifier", &["build", "--lib"]),
            (&user, "webhook-user", &["build", "--lib"]),
        )?;
        println!(
            "round {round}: verifier's dependencies {bv} ({} crates), webhook-only user of buzzin {u} ({} crates), CPU ratio {:.3}",
            crate_count(&bare_verifier)?,
            crate_count(&user)?,
            u.cpu / bv.cpu
        );
    }
    let _ = std::fs::remove_dir_all(&work);
    let best = |times: &[f64]| times.iter().copied().fold(f64::INFINITY, f64::min);
    let bare_best = best(&bare_times);
    let sdk_best = best(&sdk_times);
    let ratio = sdk_best / bare_best;
    println!(
        "clean debug build, default features (best of {rounds}, CPU time): bare crate {bare_best:.1}s, buzzin {sdk_best:.1}s, ratio {ratio:.3} (target <= {TARGET})"
    );
    if ratio <= TARGET {
        Ok(())
    } else {
        Err(format!(
            "buzzin builds {ratio:.3}x slower than the bare crate (target {TARGET})"
        ))
    }
}

/// The time one build took.
#[derive(Clone, Copy)]
struct BuildTime {
    /// Wall time, seconds.
    wall: f64,
    /// CPU time (user and system) of the build's processes, seconds; the wall time where the
    /// system does not tell (no `/proc`).
    cpu: f64,
}

impl std::fmt::Display for BuildTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1}s CPU ({:.1}s wall)", self.cpu, self.wall)
    }
}

/// A build to time: the crate's folder, a name for its target folder, cargo's arguments.
type Build<'a> = (&'a Path, &'a str, &'a [&'a str]);

/// Both builds of a round, each in a fresh target folder under `work`: the first one first in
/// odd rounds and second in even ones, so that neither always runs on a cold or a warm machine.
fn pair(
    work: &Path,
    round: u32,
    first: Build,
    second: Build,
) -> Result<(BuildTime, BuildTime), String> {
    let time = |(dir, name, args): Build| {
        timed_build(dir, &work.join(format!("target-{name}-{round}")), args)
    };
    if round % 2 == 1 {
        let a = time(first)?;
        Ok((a, time(second)?))
    } else {
        let b = time(second)?;
        Ok((time(first)?, b))
    }
}

/// The user and system CPU seconds of this process's waited-for children (and theirs), from
/// `/proc/self/stat` (fields 16 and 17, in clock ticks); `None` without `/proc`.
fn children_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let cutime: f64 = fields.get(13)?.parse().ok()?;
    let cstime: f64 = fields.get(14)?.parse().ok()?;
    Some((cutime + cstime) / clock_ticks_per_second())
}

/// `getconf CLK_TCK`, 100 (Linux's USER_HZ) when it cannot say.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&hz: &f64| hz > 0.0)
        .unwrap_or(100.0)
}

fn timed_build(dir: &Path, target: &Path, args: &[&str]) -> Result<BuildTime, String> {
    // Fetch first, so that network time is not counted.
    let fetch = Command::new("cargo")
        .arg("fetch")
        .current_dir(dir)
        .status()
        .map_err(|e| e.to_string())?;
    if !fetch.success() {
        return Err(format!("cargo fetch failed in {}", dir.display()));
    }
    let cpu_before = children_cpu_seconds();
    let start = Instant::now();
    let status = Command::new("cargo")
        .args(args)
        .arg("--quiet")
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .current_dir(dir)
        .status()
        .map_err(|e| e.to_string())?;
    let wall = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "cargo {} failed in {}",
            args.join(" "),
            dir.display()
        ));
    }
    let cpu = match (cpu_before, children_cpu_seconds()) {
        (Some(before), Some(after)) if after > before => after - before,
        _ => wall,
    };
    Ok(BuildTime { wall, cpu })
}

/// Writes the webhook pair: a bare crate with the verifier's own dependencies, and a user crate
/// that depends on buzzin without default features and calls the verifier.
fn webhook_crates(
    root: &Path,
    manifest: &str,
    work: &Path,
) -> Result<(std::path::PathBuf, std::path::PathBuf), String> {
    let io = |e: std::io::Error| e.to_string();
    let bare = work.join("bare-verifier");
    std::fs::create_dir_all(bare.join("src")).map_err(io)?;
    let deps = dependency_lines(manifest, &VERIFIER_CRATES)?;
    std::fs::write(
        bare.join("Cargo.toml"),
        format!("[package]\nname = \"bare-verifier\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{deps}"),
    )
    .map_err(io)?;
    std::fs::write(
        bare.join("src/lib.rs"),
        "//! Depends on the crates, uses none.\n",
    )
    .map_err(io)?;
    std::fs::copy(root.join("Cargo.lock"), bare.join("Cargo.lock")).map_err(io)?;

    let user = work.join("webhook-user");
    std::fs::create_dir_all(user.join("src")).map_err(io)?;
    std::fs::write(
        user.join("Cargo.toml"),
        format!(
            "[package]\nname = \"webhook-user\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nbuzzin = {{ path = {:?}, default-features = false }}\n",
            root.display().to_string()
        ),
    )
    .map_err(io)?;
    std::fs::write(
        user.join("src/lib.rs"),
        "//! A webhook-only receiver.\npub fn kind(headers: &[(&str, &str)], body: &[u8]) -> Option<String> {\n    let delivery = buzzin::webhooks::Verifier::new(\"secret\").verify(&headers, body).ok()?;\n    Some(delivery.event_name().to_owned())\n}\n",
    )
    .map_err(io)?;
    std::fs::copy(root.join("Cargo.lock"), user.join("Cargo.lock")).map_err(io)?;
    Ok((bare, user))
}

/// How many crates (the crate itself included) a normal build of the crate in `dir` compiles.
fn crate_count(dir: &Path) -> Result<usize, String> {
    let out = Command::new("cargo")
        .args(["tree", "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let names: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    Ok(names.len())
}

/// buzzin's `[dependencies]` lines for `crates`, made non-optional.
fn dependency_lines(manifest: &str, crates: &[&str]) -> Result<String, String> {
    let mut deps = String::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_deps = trimmed == "[dependencies]";
            continue;
        }
        let name = trimmed.split(['=', ' ']).next().unwrap_or_default();
        if in_deps && crates.contains(&name) {
            deps.push_str(&line.replace(", optional = true", ""));
            deps.push('\n');
        }
    }
    let found = deps.lines().count();
    if found != crates.len() {
        return Err(format!(
            "found {found} of the {} crates in Cargo.toml's [dependencies]",
            crates.len()
        ));
    }
    Ok(deps)
}

/// The bare crate's manifest: buzzin's lines for the bare crates, and buzzin's default features
/// restricted to what they enable in those crates.
fn bare_manifest(manifest: &str) -> Result<String, String> {
    let mut deps = String::new();
    let mut in_deps = false;
    let mut features = Vec::new();
    let mut in_features = false;
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_deps = trimmed == "[dependencies]";
            in_features = trimmed == "[features]";
            continue;
        }
        if in_deps {
            let name = trimmed.split(['=', ' ']).next().unwrap_or_default();
            if BARE_CRATES.contains(&name) {
                // `client` makes them optional in buzzin; the bare crate always builds them.
                deps.push_str(&line.replace(", optional = true", ""));
                deps.push('\n');
            }
        }
        if in_features && !trimmed.starts_with('#') && trimmed.contains('=') {
            features.push(trimmed.to_owned());
        }
    }
    let found = deps.lines().count();
    if found != BARE_CRATES.len() {
        return Err(format!(
            "found {found} of the {} bare crates in Cargo.toml",
            BARE_CRATES.len()
        ));
    }
    // Expand buzzin's default features into what they enable in the bare crates.
    let lookup = |name: &str| -> Vec<String> {
        features
            .iter()
            .find(|f| f.split('=').next().unwrap().trim() == name)
            .map(|f| {
                f.split_once('=')
                    .unwrap()
                    .1
                    .trim()
                    .trim_matches(['[', ']'])
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut enabled = Vec::new();
    let mut queue = lookup("default");
    while let Some(feature) = queue.pop() {
        if let Some((krate, _)) = feature.split_once('/') {
            if BARE_CRATES.contains(&krate) {
                enabled.push(format!("{feature:?}"));
            }
        } else if !feature.starts_with("dep:") {
            queue.extend(lookup(&feature));
        }
    }
    Ok(format!(
        "[package]\nname = \"bare\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[features]\ndefault = [{}]\n\n[dependencies]\n{deps}",
        enabled.join(", ")
    ))
}
