#!/usr/bin/env bash
# Third-party tools judge the spec and the simulator: Redocly lints openapi/buzzin.yaml,
# @hey-api/openapi-ts and openapi-python-client must generate every operation from it (the
# Python client's models must round-trip every request example), and
# Schemathesis runs every phase (examples, coverage, fuzzing, stateful) and every check but
# positive_data_acceptance (the simulator refuses documented business-rule violations) against
# `buzzin simulate`. Pinned versions, installed under target/.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

SCHEMATHESIS_VERSION=4.32.5
REDOCLY_VERSION=2.77.0
OPENAPI_TS_VERSION=0.80.16
TYPESCRIPT_VERSION=5.9.3
OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
PYTHON_DATEUTIL_VERSION=2.9.0.post0
tools=target/conformance-tools
mkdir -p "$tools"

step "Redocly lint (@redocly/cli $REDOCLY_VERSION)"
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "@redocly/cli@$REDOCLY_VERSION"
fi
"$tools/node_modules/.bin/redocly" lint openapi/buzzin.yaml --format stylish

step "@hey-api/openapi-ts $OPENAPI_TS_VERSION generates every operation"
if [ ! -x "$tools/node_modules/.bin/openapi-ts" ]; then
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "@hey-api/openapi-ts@$OPENAPI_TS_VERSION" "typescript@$TYPESCRIPT_VERSION"
fi
rm -rf target/conformance-ts
"$tools/node_modules/.bin/openapi-ts" -i "$PWD/openapi/buzzin.yaml" -o target/conformance-ts
missing=0
operations=$(grep -oE '^      operationId: [A-Za-z]+' openapi/buzzin.yaml | awk '{print $2}' | sort -u)
for op in $operations; do
  if ! grep -qE "^export const $op = " target/conformance-ts/sdk.gen.ts; then
    echo "openapi-ts generated no $op" >&2
    missing=1
  fi
done
[ "$missing" = 0 ]
echo "all $(echo "$operations" | wc -l) operations generated"

step "openapi-python-client $OPENAPI_PYTHON_CLIENT_VERSION generates every operation"
if [ ! -x "$tools/pyclient/bin/openapi-python-client" ]; then
  python3 -m venv "$tools/pyclient"
  "$tools/pyclient/bin/pip" install --quiet "openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION" \
    "python-dateutil==$PYTHON_DATEUTIL_VERSION"
fi
rm -rf target/conformance-py
printf 'post_hooks: []\n' > target/conformance-py.yaml
"$tools/pyclient/bin/openapi-python-client" generate --path openapi/buzzin.yaml \
  --output-path target/conformance-py/buzzin_api --meta none --config target/conformance-py.yaml \
  2>&1 | tee target/conformance-py.log
# It still writes a client when it skips an operation or a schema; its warnings are failures.
if grep -qE "Warning|will not be generated|Unable to" target/conformance-py.log; then
  echo "openapi-python-client warned about the spec" >&2
  exit 1
fi
"$tools/pyclient/bin/python" .ci/python_client_check.py openapi/buzzin.yaml target/conformance-py

step "Schemathesis $SCHEMATHESIS_VERSION against buzzin simulate"
if [ ! -x "$tools/venv/bin/schemathesis" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --locked -p buzzin-sim --bin buzzin
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/debug/buzzin simulate --port "$port" > target/conformance-simulator.log 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q BUZZIN_BASE_URL target/conformance-simulator.log && break
  sleep 0.1
done
timeout 600 "$tools/venv/bin/schemathesis" run openapi/buzzin.yaml \
  --url "http://127.0.0.1:$port" \
  -H "x-api-key: bz_test_simulator" \
  --phases examples,coverage,fuzzing,stateful \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples 30 --request-timeout 5 --seed 1 \
  --no-color
rm -rf .schemathesis
