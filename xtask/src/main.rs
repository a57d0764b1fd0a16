//! Repository tasks for `buzzin`.
//!
//! - `cargo xtask codegen`: regenerate `src/models/generated/` from `openapi/buzzin.yaml`.
//! - `cargo xtask codegen --check`: fail when the committed code differs from what the spec
//!   generates now (CI's drift check).
//! - `cargo xtask compile-time [--rounds N]`: time a clean debug build of buzzin against a bare
//!   crate with the same dependencies, and print the ratio of their CPU times (target ≤ 1.3).
//! - `cargo xtask provision [GROUP...]`: install the programs the test suite runs (groups
//!   `redis`, `openssl`, `postgres`, `chromium`; all by default) through `apt-get` where they are
//!   missing, or fail naming each missing Debian package.
//! - `cargo xtask test [ARGS...]`: provision, then run the whole suite (`cargo test --workspace
//!   --all-features --locked ARGS...`), where no test may skip for a missing program.

mod codegen;
mod compile_time;
mod suite;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => match codegen::write(&repo_root()) {
            Ok(written) => {
                for path in written {
                    println!("wrote {}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::FAILURE
            }
        },
        ["codegen", "--check"] => match codegen::check(&repo_root()) {
            Ok(()) => {
                println!("src/models/generated/ is up to date with openapi/buzzin.yaml");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::FAILURE
            }
        },
        ["compile-time", rest @ ..] => {
            let rounds = match rest {
                [] => 1,
                ["--rounds", n] => match n.parse() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        eprintln!("error: --rounds takes a whole number above 0");
                        return ExitCode::from(2);
                    }
                },
                _ => {
                    eprintln!("usage: cargo xtask compile-time [--rounds N]");
                    return ExitCode::from(2);
                }
            };
            report(compile_time::run(&repo_root(), rounds))
        }
        ["provision", groups @ ..] => report(suite::provision(groups)),
        ["test", extra @ ..] => report(suite::test(&repo_root(), extra)),
        _ => {
            eprintln!(
                "usage: cargo xtask codegen [--check] | cargo xtask compile-time [--rounds N] \
                 | cargo xtask provision [{}...] | cargo xtask test [CARGO TEST ARGS...]",
                suite::GROUPS.join("|")
            );
            ExitCode::from(2)
        }
    }
}

/// Success, or the error printed and a failure.
fn report(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: the parent of this crate's directory.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository root")
        .to_path_buf()
}
