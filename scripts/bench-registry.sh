#!/usr/bin/env bash
# The registry at scale (issue 12's figures): registers PEOPLE invented people through
# the registry's own path (`hamafza bench registry`: every check, the audit entry, the
# atlas's counts), reads one person 1,000 times and times their access report, prints
# the size on disk; then serves that database and runs wrk on registration
# (POST /api/v1/persons) and name search (GET /api/v1/persons?q=…), printing p50, p99,
# requests per second and errors.
#
#   scripts/bench-registry.sh                      # SQLite, PEOPLE=1000000
#   DATABASE_URL=postgres://… scripts/bench-registry.sh   # an empty PostgreSQL database
#
# Needs a release build (cargo build --release -p hamafza) and wrk (Debian: wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${HAMAFZA_BIN:-${CARGO_TARGET_DIR:-target}/release/hamafza}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cargo build --release -p hamafza" >&2; exit 1; }
people=${PEOPLE:-1000000}
duration=${DURATION:-30s}
connections=${CONNECTIONS:-16}
# Searches read and audit up to 20 names each: fewer at once, and time to answer.
search_connections=${SEARCH_CONNECTIONS:-4}

server_pid=
data=${DATA:-$(mktemp -d)}
db=(--data-dir "$data")
[ -n "${DATABASE_URL:-}" ] && db+=(--database-url "$DATABASE_URL")
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -z "${DATA:-}" ] && rm -rf "$data"
}
trap cleanup EXIT

if [ "${SKIP_LOAD:-}" != 1 ]; then
  "$bin" "${db[@]}" bench registry --people "$people" --reads 1000 2>/dev/null | tail -1
fi
token=$("$bin" "${db[@]}" token create --username d01.officer --label bench 2>/dev/null | grep -Eo '[A-Za-z0-9_-]{32,}' | head -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" "${db[@]}" serve --listen 127.0.0.1:$port --max-connections-per-address 10000 >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 300); do curl -fs http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
auth=(-H "Authorization: Bearer $token")
MET_PLACE=$(curl -fs "${auth[@]}" "http://127.0.0.1:$port/api/v1/places?level=neighbourhood&limit=1000" \
  | python3 -c 'import json,sys; print(next(p["id"] for p in json.load(sys.stdin)["items"] if p["code"].startswith("SYN-HMF-D01")))')
export MET_PLACE
echo "wrk -t2 -c$connections -d$duration, bearer token (d01.officer), release build, $([ -n "${DATABASE_URL:-}" ] && echo PostgreSQL || echo SQLite)"
printf '%-40s ' "register (POST /api/v1/persons)"
wrk -t2 -c"$connections" -d"$duration" -s scripts/wrk-register.lua "${auth[@]}" "http://127.0.0.1:$port" | tail -1
printf '%-40s ' "search by name, -c$search_connections (GET /api/v1/persons?q=)"
wrk -t2 -c"$search_connections" -d"$duration" --timeout 10s -s scripts/wrk-search.lua "${auth[@]}" "http://127.0.0.1:$port" | tail -1
