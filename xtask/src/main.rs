//! Repository tasks for `buzzin`.
//!
//! - `cargo xtask codegen`: regenerate `src/generated/` from `openapi/buzzin.yaml`.
//! - `cargo xtask codegen --check`: fail when the committed code differs from what the spec
//!   generates now (CI's drift check).

mod codegen;

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
                println!("src/generated/ is up to date with openapi/buzzin.yaml");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: cargo xtask codegen [--check]");
            ExitCode::from(2)
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
