#!/usr/bin/env bash
# CI: the webhook receivers' fault-injection suite (issue 19): 4 receiver processes on one
# redis-server under replica kills, a Redis kill -9 and restart, SIGSTOP, DEBUG SLEEP and failing
# handlers. Fails on any loss, double complete, fence that did not increase, or duplicate effect
# outside the SIGSTOP scenario. About 75 s at 600 deliveries per scenario (FAULT_DELIVERIES).
set -euo pipefail
cd "$(dirname "$0")/.."

printf '\n==> %s\n' "fault-injection suite (examples/webhooks_faults.rs)"
cargo build --locked --features redis,axum,client --example fault_receiver --example webhooks_faults
timeout 240 target/debug/examples/webhooks_faults
