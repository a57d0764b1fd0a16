#!/usr/bin/env bash
# PostgreSQL for the PgStore tests and the inbox proof: Debian's `postgresql` package (the tests
# run `initdb` and `postgres` themselves, on a free loopback port, as the `postgres` user when
# run as root). Installs it when initdb is missing.
set -euo pipefail

printf '\n==> %s\n' "PostgreSQL for the transactional inbox tests"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y postgresql
fi
ls /usr/lib/postgresql/*/bin/postgres
id postgres
