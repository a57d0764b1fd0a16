#!/usr/bin/env bash
# CI: the PostgreSQL inbox's exactly-once proof (issue 23): 4 receiver processes on one
# PostgreSQL, 2,000 deliveries x 3 concurrent copies, a replica killed -9 every second
# mid-transaction and one SIGSTOPped past its lease, twice. Fails unless the effect table holds
# exactly one row per delivery and none is lost. About 20 s.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '\n==> %s\n' "PostgreSQL inbox proof (examples/pg_inbox_faults.rs)"
cargo build --locked --features postgres,axum,client --example pg_receiver --example pg_inbox_faults
timeout 180 target/debug/examples/pg_inbox_faults
