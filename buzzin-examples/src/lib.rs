//! The runnable examples of `buzzin` and `buzzin-sim`, in `examples/`; this library is empty.
//!
//! ```sh
//! cargo run -p buzzin-examples --example quickstart
//! cargo run -p buzzin-examples --example webhook_axum --features axum
//! ```
//!
//! A crate of its own so that an example builds only the crates it names: the SDK's
//! dev-dependencies (its test tools) are not built for them.
