#!/usr/bin/env bash
# Figures for a large council: builds `bench-hq` (2,000 resolutions, 20,000 updates by
# default) through the normal write path on SQLite and, given a PostgreSQL URL for an
# empty database, on PostgreSQL too; prints the JSON of `hamafza bench resolutions`
# (list query, dashboard figures, XLSX export, PDF report), then serves the data and
# measures the dashboard page, the list page and the list API under load with wrk.
#
#   scripts/bench-resolutions.sh [postgres://user@host:port/empty_db]
#
# Needs a release build (cargo build --release -p hamafza) and wrk (Debian: wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${HAMAFZA_BIN:-${CARGO_TARGET_DIR:-target}/release/hamafza}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cargo build --release -p hamafza" >&2; exit 1; }
resolutions=${RESOLUTIONS:-2000}
updates=${UPDATES:-20000}
duration=${DURATION:-20s}

# Whatever happens (a failed step, Ctrl-C), the server started below is stopped and the
# temporary data directory removed.
server_pid=
data=$(mktemp -d)
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

measure() { # engine-label, database arguments...
  local label=$1; shift
  echo "== $label: building bench-hq ($resolutions resolutions, $updates updates)"
  "$bin" "$@" bench resolutions --resolutions "$resolutions" --updates "$updates" 2>/dev/null
  local token port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  token=$("$bin" "$@" token create --username admin --label bench 2>/dev/null | grep -Eo '[A-Za-z0-9_-]{32,}' | head -1)
  "$bin" "$@" serve --listen 127.0.0.1:$port >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do curl -fs http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
  for path in "/councils/bench-hq" "/resolutions?council=bench-hq&overdue=true" "/api/v1/resolutions?council=bench-hq"; do
    printf '%s %-45s ' "$label" "$path"
    wrk -t2 -c8 -d"$duration" -s scripts/wrk-percentiles.lua -H "Authorization: Bearer $token" \
      "http://127.0.0.1:$port$path" | tail -1
  done
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

measure sqlite --data-dir "$data"
if [ $# -gt 0 ]; then
  measure postgres --database-url "$1"
fi
