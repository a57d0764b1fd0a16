#!/usr/bin/env bash
# CI for the webhook receiver side: the lean webhook-only build. (Redis and openssl for the
# store tests are `cargo xtask test`'s to install: `cargo xtask provision redis openssl`.)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "webhook-only build: cargo build --no-default-features"
cargo build --locked --lib --no-default-features
cargo build --locked --lib --no-default-features --features axum
cargo build --locked --lib --no-default-features --features http02

step "webhook-only dependency tree: no HTTP client stack, at most 40 crates"
mkdir -p target
cargo tree --locked -e normal --no-default-features --prefix none \
  | awk '{print $1}' | sort -u > target/webhook-only-crates.txt
count=$(wc -l < target/webhook-only-crates.txt)
echo "$count crates (buzzin included)"
forbidden=$(grep -xE 'reqwest|hyper|h2|tokio|rustls|openssl|url|idna' target/webhook-only-crates.txt || true)
if [ -n "$forbidden" ]; then
  echo "the webhook-only build must not depend on: $forbidden" >&2
  exit 1
fi
if [ "$count" -gt 40 ]; then
  echo "the webhook-only build has $count crates, more than 40" >&2
  exit 1
fi
