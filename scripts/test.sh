#!/usr/bin/env bash
# Runs every Hamafza test: formatting and lints, unit tests, the store and HTTP
# integration tests on SQLite and on a real PostgreSQL server, and the browser tests in
# headless Chromium. Installs PostgreSQL, Chromium, Node.js and poppler-utils from Debian's packages
# when they are missing (as root); fails loudly otherwise. Nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
command -v pdftotext >/dev/null || missing+=(poppler-utils) # reads the PDF reports back
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${missing[*]} — install them (Debian packages) or run as root" >&2
    exit 1
  fi
  echo "==> installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "==> starting PostgreSQL"
# A server of this run's own (free port, own folder), removed at the end with every test
# database in it; test data directories and browser profiles go to one directory, too.
pg_dir=$(mktemp -d /tmp/hamafza-pg.XXXXXX)
test_tmp=$(mktemp -d /tmp/hamafza-tests.XXXXXX)
trap 'scripts/pg-test-server.sh stop "$pg_dir"; rm -rf "$test_tmp"' EXIT
HAMAFZA_TEST_PG_URL=$(scripts/pg-test-server.sh start "$pg_dir")
export HAMAFZA_TEST_PG_URL
export TMPDIR=$test_tmp

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

log=$(mktemp)
status=0
echo "==> cargo test (unit, SQLite and PostgreSQL integration)"
cargo test --workspace --no-fail-fast 2>&1 | tee "$log" || status=1

echo "==> browser tests (headless Chromium)"
# `cargo test --workspace` has built the binary already (the CLI tests run it); a separate
# `cargo build -p hamafza` would resolve features differently and rebuild Typst.
HAMAFZA_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/hamafza"
export HAMAFZA_BIN
(cd tests/browser && npm ci --no-audit --no-fund --silent) || status=1
node --test tests/browser/ 2>&1 | tee -a "$log" || status=1

# One closing line for the whole run, summed over cargo's and node's own summaries, and
# printed whether or not something failed: a failed run shows how much failed.
passed=$(( $(grep -oE '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}') \
         + $(grep -oE '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}') ))
failed=$(( $(grep -oE '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}') \
         + $(grep -oE '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}') ))
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # A suite that did not get as far as counting (a build error, a crashed runner).
  failed=1
  echo "==> a test suite failed before it could report its count"
fi
[ "$status" -eq 0 ] && echo "==> all tests passed" || echo "==> tests FAILED"
echo "$passed passed, $failed failed"
exit "$status"
