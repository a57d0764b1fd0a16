//! The simulator's integration tests that run it in-process (one test binary): its API, rules,
//! lifecycle, refusals against the spec, faults, abuse, security and the dashboard.

#[path = "../simulator_support/mod.rs"]
mod simulator_support;

mod simulator_abuse;
mod simulator_dashboard;
mod simulator_faults;
mod simulator_lifecycle;
mod simulator_refusals;
mod simulator_rules;
mod simulator_security;
mod simulator_spec;
