#!/usr/bin/env bash
# Chromium for the simulator dashboard's browser test (buzzin-sim/tests/api/simulator_dashboard.rs):
# /usr/bin/chromium through /usr/bin/chromedriver, Debian's `chromium` and `chromium-driver`.
# `cargo xtask provision chromium` installs them when missing; `cargo xtask test` provisions them
# (and the rest) before the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo xtask provision chromium
