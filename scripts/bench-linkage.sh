#!/usr/bin/env bash
# Identity linkage against Splink (../shared/bench/peers/), in one run on the same files:
# Splink's harness (bench_splink.py, 3 repeats, medians) and `hamafza bench linkage`
# (1 and 2 threads, 3 runs each) on the generator's 100k persons, scored alike by
# scripts/bench_linkage_eval.py; then `hamafza bench match-one` on 1M records.
#
#   scripts/bench-linkage.sh                  # seed 2468 (the generator's default)
#   PERSON_SEED=7 scripts/bench-linkage.sh    # another seed: the figures must hold
#   SKIP_PEERS=1 scripts/bench-linkage.sh     # reuse Splink's last result for this seed
#
# The peers' directory is read-only, so it is copied to $BENCH_DIR (default
# ~/.cache/hamafza/bench-peers) with its Python environment and generated data; files of
# other seeds go to data/seed-<seed>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/bench/peers}
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/hamafza/bench-peers}
SEED=${PERSON_SEED:-2468}
THRESHOLD=${THRESHOLD:-0.9}

mkdir -p "$BENCH_DIR"
cp -r "$PEERS_SRC"/. "$BENCH_DIR"/
chmod -R u+w "$BENCH_DIR"
cd "$BENCH_DIR"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import splink' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q -r requirements.txt
fi
DATA=data/seed-$SEED
mkdir -p "$DATA"
for n in 100000 1000000; do
  label=$([ $n = 100000 ] && echo 100k || echo 1m)
  if [ ! -f "$DATA/persons_$label.csv" ]; then
    PERSON_SEED=$SEED .venv/bin/python gen_data.py persons --n $n >&2
    mv "data/persons_$label.csv" "$DATA/"
  fi
done

OUT=results/linkage-seed-$SEED
mkdir -p "$OUT"
if [ -z "${SKIP_PEERS:-}" ] || [ ! -f "$OUT/splink_100k.json" ]; then
  .venv/bin/python bench_splink.py --csv "$DATA/persons_100k.csv" --threshold "$THRESHOLD" \
    --name "linkage-seed-$SEED-splink_100k" >&2
  cp "results/linkage-seed-$SEED-splink_100k.json" "$OUT/splink_100k.json"
fi

cargo build --release -q -p hamafza --manifest-path "$ROOT/Cargo.toml"
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/hamafza
for run in 1 2 3; do
  for t in 1 2; do
    "$BIN" bench linkage --persons "$DATA/persons_100k.csv" --threads $t --threshold "$THRESHOLD" \
      --pairs-out "$OUT/pairs.csv" --clusters-out "$OUT/clusters.csv" > "$OUT/hamafza_t${t}_run$run.json"
  done
done
.venv/bin/python "$ROOT/scripts/bench_linkage_eval.py" "$DATA/persons_100k.csv" "$OUT/pairs.csv" \
  "$OUT/clusters.csv" "$OUT/hamafza_t2_run3.json" "$THRESHOLD" > "$OUT/hamafza_accuracy.json"
"$BIN" bench match-one --persons "$DATA/persons_1m.csv" --queries 2000 > "$OUT/match_one_1m.json"

.venv/bin/python - "$OUT" "$THRESHOLD" "$SEED" <<'PY'
import json, statistics, sys
from pathlib import Path
out, th, seed = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
splink = json.loads((out / "splink_100k.json").read_text())
ours = json.loads((out / "hamafza_accuracy.json").read_text())["accuracy"]
def med(t, key):
    return statistics.median(json.loads((out / f"hamafza_t{t}_run{r}.json").read_text())[key] for r in (1, 2, 3))
s_total = splink["phases"]["total"]["wall_s"]
h1, h2 = med(1, "total_s"), med(2, "total_s")
m1 = json.loads((out / "match_one_1m.json").read_text())
sa = splink["accuracy"]
print(f"## Linkage, 100k persons, seed {seed}, threshold {th}\n")
print("| | pairwise P | R | F1 | cluster F1 | total s |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for name, a, t in (("Splink 5 (DuckDB, default threads)", sa, s_total), ("Hamafza, 1 thread", ours, h1), ("Hamafza, 2 threads", ours, h2)):
    p = a[f"pairwise@{float(th)}"]
    c = a[f"clusters@{float(th)}"]
    print(f"| {name} | {p['precision']} | {p['recall']} | {p['f1']} | {c['f1']} | {t:.3f} |")
print(f"\nSplink / Hamafza time: {s_total / h1:.1f}× (1 thread), {s_total / h2:.1f}× (2 threads)")
print(f"match-one against {m1['indexed_records']:,} records: p50 {m1['lookup_ms']['p50']:.3f} ms, p99 {m1['lookup_ms']['p99']:.3f} ms")
PY
