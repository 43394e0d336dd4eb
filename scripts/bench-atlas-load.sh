#!/usr/bin/env bash
# The atlas with many stored events: stores the peers' events (10M by default) through
# the normal write path (`hamafza bench atlas`, which also times the map query and one
# event's way into it), then serves the data and measures the choropleth page and the
# indicator API under load with wrk, and the time from posting one event over HTTP to
# seeing it in the indicator API.
#
#   scripts/bench-atlas-load.sh [events.csv]     # default: the 10M file of scripts/bench-atlas.sh
#
# Needs a release build and wrk (Debian: wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${HAMAFZA_BIN:-${CARGO_TARGET_DIR:-target}/release/hamafza}
events=${1:-${BENCH_DIR:-$HOME/.cache/hamafza/bench-peers}/data/events_10m.csv}
duration=${DURATION:-20s}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cargo build --release -p hamafza" >&2; exit 1; }
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"$bin" --data-dir "$data" bench atlas --events "$events" 2>/dev/null
token=$("$bin" --data-dir "$data" token create --username analyst --label bench 2>/dev/null | grep -Eo '[A-Za-z0-9_-]{32,}' | head -1)
admin=$("$bin" --data-dir "$data" token create --username admin --label bench 2>/dev/null | grep -Eo '[A-Za-z0-9_-]{32,}' | head -1)
port=18182
"$bin" --data-dir "$data" serve --listen 127.0.0.1:$port >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
city=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/places?level=city" | grep -Eo '"id":"[^"]+"' | head -1 | cut -d'"' -f4)
q="place=$city&indicator=begging_rate&period=1403Q2"
for path in "/atlas?$q" "/api/v1/atlas?$q"; do
  printf '%-60s ' "$path"
  wrk -t2 -c8 -d"$duration" -s scripts/wrk-percentiles.lua -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port$path" | tail -1
done
# One event over HTTP, then the indicator API: how long until the count moved.
before=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/atlas?$q" | md5sum)
start=$(date +%s.%N)
curl -fs -o /dev/null -X POST -H "Authorization: Bearer $admin" -H 'content-type: application/json' \
  -d '{"category":"begging","occurred_at":"2024-06-25T10:00:00Z","lon":51.41,"lat":35.69}' \
  "http://127.0.0.1:$port/api/v1/events"
after=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/atlas?$q" | md5sum)
end=$(date +%s.%N)
echo "post one event -> visible in /api/v1/atlas: $(echo "($end - $start) * 1000" | bc -l | cut -c1-6) ms (changed: $([ "$before" != "$after" ] && echo yes || echo no))"
