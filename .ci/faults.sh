#!/usr/bin/env bash
# CI: the webhook receivers' fault-injection suite: 4 receiver processes on one redis-server
# under replica kills, Redis killed -9 and started again after 1 s and after 10 s, SIGSTOP,
# DEBUG SLEEP and failing handlers, with a 1 s sender timeout (handlers dropped mid-flight).
# Fails on any loss, delivery done without its effect, double complete, fence that did not
# increase, or stale write the fence accepted; effects handled again after a lost "done" mark
# are counted and printed. About 90 s at 600 deliveries per scenario (FAULT_DELIVERIES).
set -euo pipefail
cd "$(dirname "$0")/.."

printf '\n==> %s\n' "fault-injection suite (buzzin-test-support/src/bin/webhooks_faults.rs)"
cargo build --locked -p buzzin-test-support --features faults --bin fault_receiver --bin webhooks_faults
timeout 300 "${CARGO_TARGET_DIR:-target}/debug/webhooks_faults"
