//! `cargo xtask provision` and `cargo xtask test`: the programs the whole test suite runs
//! (Redis, OpenSSL, PostgreSQL, Chromium and chromedriver), installed through `apt-get` where
//! they are missing, then the suite itself.
//!
//! Each program is looked for where the tests look for it (the same environment variables and
//! Debian paths). A missing one is installed from its Debian package when this runs as root with
//! `apt-get` (one `apt-get update`, then one `apt-get install -y` of every missing package);
//! otherwise the command fails and names each package to install.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that makes the suite strict: set by `cargo xtask test`, it tells
/// the tests that every program is there, so none is skipped.
pub const FULL_TESTS_VAR: &str = "BUZZIN_FULL_TESTS";

/// A program the suite runs, where the tests look for it, and the Debian package that has it.
struct Program {
    /// The name the tests run it by.
    name: &'static str,
    /// The group it belongs to on the command line (`cargo xtask provision postgres`).
    group: &'static str,
    /// The Debian package that installs it.
    package: &'static str,
    /// An environment variable naming the binary (or its folder, for PostgreSQL) instead.
    env: Option<&'static str>,
    /// Where the tests look besides the PATH.
    paths: &'static [&'static str],
}

const PROGRAMS: [Program; 7] = [
    Program {
        name: "redis-server",
        group: "redis",
        package: "redis-server",
        env: None,
        paths: &[],
    },
    Program {
        name: "redis-cli",
        group: "redis",
        package: "redis-tools",
        env: None,
        paths: &[],
    },
    Program {
        name: "openssl",
        group: "openssl",
        package: "openssl",
        env: None,
        paths: &[],
    },
    Program {
        name: "initdb",
        group: "postgres",
        package: "postgresql",
        env: Some("BUZZIN_PG_BINDIR"),
        paths: &[],
    },
    Program {
        name: "postgres",
        group: "postgres",
        package: "postgresql",
        env: Some("BUZZIN_PG_BINDIR"),
        paths: &[],
    },
    Program {
        name: "chromium",
        group: "chromium",
        package: "chromium",
        env: Some("BUZZIN_CHROMIUM"),
        paths: &["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
    },
    Program {
        name: "chromedriver",
        group: "chromium",
        package: "chromium-driver",
        env: Some("BUZZIN_CHROMEDRIVER"),
        paths: &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
    },
];

/// The groups `cargo xtask provision` takes.
pub const GROUPS: [&str; 4] = ["redis", "openssl", "postgres", "chromium"];

/// Where `program` is, if it is installed.
fn locate(program: &Program) -> Option<PathBuf> {
    if let Some(var) = program.env {
        if let Some(value) = std::env::var_os(var) {
            let path = PathBuf::from(value);
            // BUZZIN_PG_BINDIR names the folder, the others the binary.
            let path = if program.group == "postgres" {
                path.join(program.name)
            } else {
                path
            };
            return path.is_file().then_some(path);
        }
    }
    if program.group == "postgres" {
        // The tests take the newest /usr/lib/postgresql/<version>/bin first.
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                let path = entry.path().join("bin").join(program.name);
                path.is_file().then_some((version, path))
            })
            .collect();
        found.sort();
        if let Some((_, path)) = found.pop() {
            return Some(path);
        }
    }
    if let Some(path) = program
        .paths
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    {
        return Some(path);
    }
    on_path(program.name)
}

/// `name` on the PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Makes sure the programs of `groups` (all of them when empty) are installed: installs the
/// missing ones through `apt-get` when this runs as root with it, or fails naming each missing
/// Debian package.
pub fn provision(groups: &[&str]) -> Result<(), String> {
    for group in groups {
        if !GROUPS.contains(group) {
            return Err(format!(
                "unknown group {group:?}: the groups are {}",
                GROUPS.join(", ")
            ));
        }
    }
    let wanted: Vec<&Program> = PROGRAMS
        .iter()
        .filter(|p| groups.is_empty() || groups.contains(&p.group))
        .collect();
    // A program named by its environment variable is not installed for: the variable is wrong.
    let misnamed: Vec<String> = wanted
        .iter()
        .filter_map(|p| {
            let var = p.env?;
            let value = std::env::var(var).ok()?;
            locate(p)
                .is_none()
                .then(|| format!("{var} names {value:?}, where there is no {}", p.name))
        })
        .collect();
    if !misnamed.is_empty() {
        return Err(misnamed.join("; "));
    }
    let mut packages: Vec<&str> = Vec::new();
    for program in &wanted {
        if locate(program).is_none() && !packages.contains(&program.package) {
            packages.push(program.package);
        }
    }
    if !packages.is_empty() {
        let missing = packages.join(" ");
        if !can_apt_get() {
            return Err(format!(
                "the test suite needs programs that are missing; install the Debian packages {missing} \
                 (as root: apt-get install -y {missing})"
            ));
        }
        println!("installing the Debian packages {missing}");
        apt_get(&["update"])?;
        let mut install = vec!["install", "-y"];
        install.extend(&packages);
        apt_get(&install)?;
    }
    let mut still_missing = Vec::new();
    for program in &wanted {
        match locate(program) {
            Some(path) => println!("{:<13} {}", program.name, path.display()),
            None => still_missing.push(format!(
                "{} (Debian package {})",
                program.name, program.package
            )),
        }
    }
    if still_missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "still missing after the install: {}",
            still_missing.join(", ")
        ))
    }
}

/// Whether this process may install packages: root, with `apt-get` on the PATH.
fn can_apt_get() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    root && on_path("apt-get").is_some()
}

fn apt_get(args: &[&str]) -> Result<(), String> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("apt-get {}: {e}", args.join(" ")))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("apt-get {} failed ({status})", args.join(" ")))
    }
}

/// `cargo xtask test`: provisions every program, then runs the whole suite with
/// [`FULL_TESTS_VAR`] set, so that a test whose program is missing fails instead of skipping.
/// `extra` goes to `cargo test` after the suite's own flags (`-- --test-threads 1`, a filter).
pub fn test(root: &Path, extra: &[&str]) -> Result<(), String> {
    provision(&[])?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["test", "--workspace", "--all-features", "--locked"])
        .args(extra)
        .env(FULL_TESTS_VAR, "1")
        .current_dir(root);
    println!(
        "running: cargo test --workspace --all-features --locked {}",
        extra.join(" ")
    );
    let status = command.status().map_err(|e| format!("cargo test: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the test suite failed ({status})"))
    }
}
