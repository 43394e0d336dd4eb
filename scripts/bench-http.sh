#!/usr/bin/env bash
# The places and atlas APIs and the main pages under 200 connections (issue 11 point 9):
# loads the demo into a fresh data directory, serves it, and runs wrk against each path
# with a bearer token, printing p50, p99, requests per second and errors; then, with
# SOAK=600s, holds 200 connections on the county list for that long and prints the
# server's resident memory every minute.
#
#   scripts/bench-http.sh            # DURATION=30s CONNECTIONS=200 by default
#
# Needs a release build (cargo build --release -p hamafza) and wrk (Debian: wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${HAMAFZA_BIN:-${CARGO_TARGET_DIR:-target}/release/hamafza}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cargo build --release -p hamafza" >&2; exit 1; }
duration=${DURATION:-30s}
connections=${CONNECTIONS:-200}

server_pid=
data=$(mktemp -d)
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

"$bin" --data-dir "$data" demo >/dev/null 2>&1
token=$("$bin" --data-dir "$data" token create --username admin --label bench 2>/dev/null | grep -Eo '[A-Za-z0-9_-]{32,}' | head -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# wrk opens all its connections from one address: lift the per-address cap for it.
"$bin" --data-dir "$data" serve --listen 127.0.0.1:$port --max-connections-per-address 10000 >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
auth=(-H "Authorization: Bearer $token")
city=$(curl -fs "${auth[@]}" "http://127.0.0.1:$port/api/v1/places?level=city&limit=1000" \
  | python3 -c 'import json,sys; print(next(p["id"] for p in json.load(sys.stdin)["items"] if p["code"]=="SYN-HMF"))')

paths=(
  "/api/v1/places?level=county"
  "/api/v1/places/$city"
  "/api/v1/atlas?place=$city&indicator=begging_rate&period=1403"
  "/api/v1/priority?place=$city&index=neighbourhood_priority&period=1403"
  "/"
  "/places"
  "/atlas?place=$city&indicator=begging_rate&period=1403"
)
echo "wrk -t2 -c$connections -d$duration, bearer token, release build, SQLite"
for path in "${paths[@]}"; do
  printf '%-70s ' "${path:0:70}"
  wrk -t2 -c"$connections" -d"$duration" -s scripts/wrk-percentiles.lua "${auth[@]}" \
    "http://127.0.0.1:$port$path" | tail -1
done

if [ -n "${SOAK:-}" ]; then
  echo "soak: $connections connections on the county list for $SOAK; resident memory (kB) each minute"
  wrk -t2 -c"$connections" -d"$SOAK" -s scripts/wrk-percentiles.lua "${auth[@]}" \
    "http://127.0.0.1:$port/api/v1/places?level=county" > "$data/soak.txt" &
  wrk_pid=$!
  while kill -0 $wrk_pid 2>/dev/null; do
    echo "  $(date +%T) rss=$(awk '/VmRSS/ {print $2}' /proc/$server_pid/status)"
    sleep 60
  done
  tail -1 "$data/soak.txt"
fi
