//! The simulator's integration tests that run its `buzzin` binary (one test binary, feature
//! `cli`): the CLI, state files, hardening, record and replay, and `buzzin check`'s drift.

#[path = "../simulator_support/mod.rs"]
mod simulator_support;

mod simulator_cli;
mod simulator_drift;
mod simulator_files;
mod simulator_hardening;
mod simulator_record;
mod simulator_state;
