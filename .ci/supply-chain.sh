#!/usr/bin/env bash
# The supply chain, offline: `cargo deny check advisories bans licenses sources` (deny.toml)
# against the RustSec advisory database copy in ../shared/advisory-db (a plain copy of
# rustsec/advisory-db, no git history). cargo-deny reads a database as a git checkout (it asks
# git for the HEAD's date), so the copy is committed into a repository under target/ dated as
# the snapshot. A self-check first proves the check can fail: an advisory made up for a crate
# of the tree must be reported.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

CARGO_DENY_VERSION=0.20.2
SNAPSHOT=../shared/advisory-db
# cargo-deny's directory for https://github.com/rustsec/advisory-db under db-path.
DB_DIR=advisory-db-3157b0e258782691

step "cargo-deny $CARGO_DENY_VERSION"
if ! cargo deny --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION"; then
  cargo install --locked "cargo-deny@$CARGO_DENY_VERSION"
fi
cargo deny --version

if [ ! -d "$SNAPSHOT/crates" ]; then
  echo "no RustSec advisory database at $SNAPSHOT (crates/<name>/RUSTSEC-*.md)" >&2
  exit 1
fi
snapshot_date=$(sed -n 's/^- commit: [0-9a-f]* (\([0-9-]*\)).*/\1/p' "$SNAPSHOT/SNAPSHOT.md")
snapshot_date=${snapshot_date:-1970-01-01}

# A git repository of the snapshot (plus `extra`, a file to add), at $1/$DB_DIR.
make_db() {
  local root=$1 extra=${2:-}
  rm -rf "$root"
  mkdir -p "$root/$DB_DIR"
  cp -R "$SNAPSHOT/." "$root/$DB_DIR/"
  chmod -R u+w "$root/$DB_DIR"
  if [ -n "$extra" ]; then
    mkdir -p "$root/$DB_DIR/crates/hex"
    cp "$extra" "$root/$DB_DIR/crates/hex/RUSTSEC-2099-0001.md"
  fi
  (
    cd "$root/$DB_DIR"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="${snapshot_date}T00:00:00Z" GIT_COMMITTER_DATE="${snapshot_date}T00:00:00Z" \
      git -c user.name=ci -c user.email=ci@localhost -c commit.gpgsign=false \
      commit -q -m "RustSec advisory-db snapshot of $snapshot_date"
  )
}

step "self-check: a made-up advisory for hex (a dependency of buzzin) fails the check"
mkdir -p target
cat > target/fake-advisory.md <<'EOF'
```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "hex"
date = "2099-01-01"
categories = ["memory-corruption"]

[versions]
patched = []
```

# Made up by buzzin's CI to prove that the advisories check can fail
EOF
make_db target/advisory-dbs-selfcheck target/fake-advisory.md
# deny.toml with the self-check's database instead.
sed "s|^db-path = .*|db-path = \"$PWD/target/advisory-dbs-selfcheck\"|" deny.toml \
  > target/deny-selfcheck.toml
if cargo deny --offline --locked --config target/deny-selfcheck.toml check advisories \
  > target/deny-selfcheck.log 2>&1; then
  cat target/deny-selfcheck.log >&2
  echo "cargo deny passed a tree with a known advisory: the check is not reading the database" >&2
  exit 1
fi
grep -q "RUSTSEC-2099-0001" target/deny-selfcheck.log
echo "refused, as it must: $(grep -m1 -o 'RUSTSEC-2099-0001' target/deny-selfcheck.log)"

step "cargo deny check advisories bans licenses sources (snapshot of $snapshot_date)"
make_db target/advisory-dbs
cargo deny --offline --locked check advisories bans licenses sources
