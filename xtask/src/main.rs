//! Repository tasks. `cargo xtask codegen` regenerates `src/generated/` from the spec.
fn main() {
    eprintln!("usage: cargo xtask codegen [--check]");
    std::process::exit(2);
}
