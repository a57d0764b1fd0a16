#!/usr/bin/env bash
# CI for the simulator dashboard: its browser test (tests/simulator_dashboard.rs) drives
# /usr/bin/chromium through /usr/bin/chromedriver, Debian's `chromium` and `chromium-driver`.
set -euo pipefail

step() { printf '\n==> %s\n' "$*"; }

step "chromium and chromedriver for the dashboard's browser test"
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y chromium chromium-driver
fi
/usr/bin/chromedriver --version
