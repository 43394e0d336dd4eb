#!/usr/bin/env python3
"""Figures and ratios for scripts/bench-atlas.sh: Hamafza's runs (median of 3) beside the
peers' results from the same run, and the checks that the answers agree."""
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

base = Path(sys.argv[1])
res = base / "results"
ham = res / "hamafza"


def peer(name, phase):
    return json.loads((res / f"{name}.json").read_text())["phases"][phase]["wall_s"]


def ours(stem, key):
    runs = sorted(ham.glob(f"{stem}_run*.json"))
    return statistics.median(json.loads(p.read_text())[key] for p in runs)


rows = []


def row(job, peer_label, peer_s, our_label, our_s, target=None):
    ratio = peer_s / our_s if our_s else float("inf")
    goal = "" if target is None else ("met" if ratio >= target else "NOT met") + f" (≥{target}×)"
    rows.append((job, peer_label, peer_s, our_label, our_s, ratio, goal))


for n in ("1m", "10m"):
    duck_cat = peer(f"duckdb_spatial_{n}_t1", "join+group_by(nid,category)")
    duck_join = peer(f"duckdb_spatial_{n}_t1", "join_ST_Contains+group_by(from table)")
    duck_e2e = peer(f"duckdb_spatial_{n}_t1", "end_to_end(parquet->join->count)")
    for t in (1, 2):
        j = ours(f"sjoin_{n}_t{t}", "join_s")
        tot = ours(f"sjoin_{n}_t{t}", "total_s")
        row(f"sjoin {n}: join nid×category", "DuckDB 1 thread", duck_cat, f"Hamafza {t} thread(s)", j, 20)
        row(f"sjoin {n}: join nid only", "DuckDB 1 thread", duck_join, f"Hamafza {t} thread(s) (nid×category)", j, 20)
        row(f"sjoin {n}: end to end", "DuckDB 1 thread (from Parquet)", duck_e2e, f"Hamafza {t} thread(s) (from CSV)", tot, 20)
    gp = peer(f"sjoin_{n}", "geopandas_sjoin_within")
    row(f"sjoin {n}: join", "geopandas sjoin", gp, "Hamafza 1 thread", ours(f"sjoin_{n}_t1", "join_s"))

h3py = peer("hotspot_10m", "h3_bin_points+count")
for t in (1, 2):
    row("H3 res 9 binning 10M", "h3-py", h3py, f"Hamafza {t} thread(s)", ours(f"hotspot_10m_t{t}", "bin_s"), 3)
esda999 = peer("hotspot_1m", "esda_G_Local_star_perm999_n_jobs1")
esda0 = peer("hotspot_1m", "esda_G_Local_star_perm0")
for t in (1, 2):
    row("Gi* 999 permutations, 9,241 cells", "esda n_jobs=1 (after JIT)", esda999, f"Hamafza {t} thread(s)",
        ours(f"hotspot_1m_t{t}", "gistar_s"), 10)

print("| job | peer | peer s | Hamafza | Hamafza s | ratio | target |")
print("| --- | --- | ---: | --- | ---: | ---: | --- |")
for job, pl, ps, ol, os_, r, goal in rows:
    print(f"| {job} | {pl} | {ps:.4f} | {ol} | {os_:.4f} | {r:.1f}× | {goal} |")
print(f"\nesda without permutations (analytic z only): {esda0:.4f} s")

print("\nAgreement:")
for n in ("1m", "10m"):
    a = pd.read_csv(base / "holdout" / f"sjoin_counts_{n}.csv")
    b = pd.read_csv(ham / f"sjoin_counts_{n}.csv")
    same = a.shape == b.shape and (a.values == b.values).all()
    print(f"- counts per neighbourhood × category, {n}: {'identical' if same else 'DIFFERENT'} "
          f"to geopandas/shapely ({len(a)} rows)")
a = pd.read_csv(base / "holdout" / "gistar_h3r9_1m.csv")
b = pd.read_csv(ham / "gistar_h3r9_1m.csv")
m = a.merge(b, on="cell", suffixes=("_esda", "_hamafza"))
print(f"- H3 study cells: esda {len(a)}, Hamafza {len(b)}, in both {len(m)}; counts equal: "
      f"{bool((m.count_esda == m.count_hamafza).all())}")
print(f"- Gi* z: max |difference| {np.abs(m.z_esda - m.z_hamafza).max():.2e} "
      f"(the esda file rounds z to 10 decimals)")
print(f"- p_norm: max |difference| {np.abs(m.p_norm_esda - m.p_norm_hamafza).max():.2e}")
agree = ((m.p_sim_seed12345 < 0.05) == (m.p_sim < 0.05)).mean()
print(f"- permutation p < 0.05 in both (different random draws): {agree:.1%} of cells agree")
