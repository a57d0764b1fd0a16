#!/usr/bin/env bash
# CI: the PostgreSQL inbox's exactly-once proof: 4 receiver processes on one PostgreSQL,
# 1,200 deliveries x 3 concurrent copies with a 1 s sender timeout (handlers dropped
# mid-flight), in four scenarios: replicas killed -9 and SIGSTOPped, PostgreSQL stopped
# `-m immediate` and started again after 1 s and after 10 s, and PostgreSQL with fewer
# connections than the replicas' pools. Fails on any delivery lost, done without its effect or
# handled twice, or a first 2xx later than 2 s after a restart. About 70 s.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '\n==> %s\n' "PostgreSQL inbox proof (buzzin-test-support/src/bin/pg_inbox_faults.rs)"
cargo build --locked -p buzzin-test-support --features faults --bin pg_receiver --bin pg_inbox_faults
timeout 600 "${CARGO_TARGET_DIR:-target}/debug/pg_inbox_faults"
