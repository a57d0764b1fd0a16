//! Code generated from `openapi/buzzin.yaml` by `cargo xtask codegen`. Do not edit by hand.
