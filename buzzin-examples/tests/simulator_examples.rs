//! The README's run command, `cargo run -p buzzin-examples --example quickstart`, succeeds
//! offline: the quickstart checks each step itself (the issued webhook verified and carrying
//! the new code, the same code after an extension, a new one after a reissue, a revoked pass
//! refused at the gate) and fails otherwise.

#[path = "../examples/lifecycle.rs"]
mod lifecycle;

#[test]
fn the_quickstart_walks_the_whole_lifecycle_offline() {
    // Offline whatever the environment says: without these the quickstart starts a simulator.
    std::env::remove_var("BUZZIN_API_KEY");
    std::env::remove_var("BUZZIN_BASE_URL");
    lifecycle::main().expect("the lifecycle example succeeds");
}

/// The README's quickstart is `buzzin-examples/examples/quickstart.rs` (which CI runs), less its
/// two header lines: what a reader copies is what runs.
#[test]
fn the_readme_quickstart_is_the_quickstart_example() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../examples/quickstart.rs");
    let section = &readme[readme.find("## Quickstart").expect("a Quickstart section")..];
    let start = section.find("```rust,ignore\n").expect("a rust block") + "```rust,ignore\n".len();
    let block = &section[start..];
    let block = &block[..block.find("\n```").expect("the block ends")];
    let body: String = example
        .splitn(3, '\n')
        .nth(2)
        .unwrap()
        .trim_end()
        .to_owned();
    assert_eq!(
        block, body,
        "README.md's quickstart differs from buzzin-examples/examples/quickstart.rs"
    );
}
