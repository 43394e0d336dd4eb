#!/usr/bin/env bash
# The atlas's spatial benchmarks against the peers in ../shared/bench/peers/, in one run
# on the same files: geopandas/shapely, DuckDB spatial (1 and 2 threads), h3-py + esda,
# then `hamafza bench sjoin` and `hamafza bench hotspot` (1 and 2 threads, 3 runs each),
# then a table of figures and ratios, with the checks that the answers are the same
# (counts per neighbourhood and category; cells, counts and Gi* z-scores).
#
#   scripts/bench-atlas.sh            # everything (about 15 minutes on 2 cores)
#   SKIP_PEERS=1 scripts/bench-atlas.sh   # reuse the peers' last results
#
# The peers' directory is read-only, so it is copied to $BENCH_DIR (default
# ~/.cache/hamafza/bench-peers) with its Python environment and generated data.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/bench/peers}
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/hamafza/bench-peers}

mkdir -p "$BENCH_DIR"
cp -r "$PEERS_SRC"/. "$BENCH_DIR"/
chmod -R u+w "$BENCH_DIR"
cd "$BENCH_DIR"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import esda, duckdb, geopandas' 2>/dev/null; then
  python3 -m venv .venv
  # Some Pythons make a venv without bin/pip; the module works either way.
  .venv/bin/python -m pip install -q -r requirements.txt
fi
[ -f data/events_10m.csv ] || ./run.sh gen

if [ -z "${SKIP_PEERS:-}" ]; then
  ./run.sh sjoin
  ./run.sh duckdb
  ./run.sh hotspot
fi

cargo build --release -q -p hamafza --manifest-path "$ROOT/Cargo.toml"
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/hamafza
OUT=results/hamafza
mkdir -p "$OUT"
for run in 1 2 3; do
  for t in 1 2; do
    for n in 1m 10m; do
      "$BIN" bench sjoin --polygons data/city_354.geojson --events "data/events_$n.csv" \
        --threads "$t" --counts-out "$OUT/sjoin_counts_$n.csv" > "$OUT/sjoin_${n}_t${t}_run$run.json"
    done
    "$BIN" bench hotspot --polygons data/city_354.geojson --events data/events_1m.csv \
      --threads "$t" --permutations 999 --seed 12345 --cells-out "$OUT/gistar_h3r9_1m.csv" \
      > "$OUT/hotspot_1m_t${t}_run$run.json"
    "$BIN" bench hotspot --polygons data/city_354.geojson --events data/events_10m.csv \
      --threads "$t" > "$OUT/hotspot_10m_t${t}_run$run.json"
  done
done
.venv/bin/python "$ROOT/scripts/bench_atlas_ratios.py" "$BENCH_DIR"
