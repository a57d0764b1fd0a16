//! The README's run command, `cargo run --example quickstart --features testing`, succeeds
//! offline: the quickstart checks each step itself (the issued webhook verified and carrying
//! the new code, the same code after an extension, a new one after a reissue, a revoked pass
//! refused at the gate) and fails otherwise.

#[path = "../examples/quickstart.rs"]
mod quickstart;

#[test]
fn the_quickstart_walks_the_whole_lifecycle_offline() {
    // Offline whatever the environment says: without these the quickstart starts a simulator.
    std::env::remove_var("BUZZIN_API_KEY");
    std::env::remove_var("BUZZIN_BASE_URL");
    quickstart::main().expect("the quickstart succeeds");
}
