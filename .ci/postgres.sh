#!/usr/bin/env bash
# PostgreSQL for the PgStore tests and the inbox proof: Debian's `postgresql` package (the tests
# run `initdb` and `postgres` themselves, on a free loopback port, as the `postgres` user when
# run as root). `cargo xtask provision postgres` installs it when initdb is missing; `cargo xtask
# test` provisions it (and the rest) before the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo xtask provision postgres
