#!/usr/bin/env python3
"""Scores `hamafza bench linkage` output against the generator's answers, the way
bench_splink.py scores Splink: pairwise precision/recall/F1 of the pairs at the
threshold, and of the pairs implied by the clusters.

  bench_linkage_eval.py persons.csv pairs.csv clusters.csv hamafza.json [threshold]

Prints one JSON object: Hamafza's timings (from hamafza.json) with the accuracy.
"""
import csv
import json
import sys
from collections import Counter


def prf(tp, n_pred, n_true):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp,
            "predicted_pairs": n_pred, "true_pairs": n_true}


def pairs_in(groups):
    return sum(c * (c - 1) // 2 for c in groups.values())


def main():
    persons, pairs, clusters, figures = sys.argv[1:5]
    threshold = float(sys.argv[5]) if len(sys.argv) > 5 else 0.9
    truth, corr = {}, {}
    with open(persons, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[row["record_id"]] = row["cluster_id"]
            corr[row["record_id"]] = row.get("corruptions", "")
    n_true = pairs_in(Counter(truth.values()))
    out = json.load(open(figures))
    out.pop("model", None)
    acc = {}
    missed_kinds = Counter()
    found = set()
    with open(pairs, newline="") as f:
        rows = [(a, b, float(p)) for a, b, p in csv.reader(f) if a != "record_id_l"]
    for th in sorted({0.5, threshold, 0.99}):
        sel = [(a, b) for a, b, p in rows if p >= th]
        tp = sum(truth[a] == truth[b] for a, b in sel)
        acc[f"pairwise@{th}"] = prf(tp, len(sel), n_true)
        if th == threshold:
            found = {(min(a, b), max(a, b)) for a, b in sel}
    cl = {}
    with open(clusters, newline="") as f:
        for row in csv.DictReader(f):
            cl[row["record_id"]] = row["cluster"]
    n_pred = pairs_in(Counter(cl.values()))
    tp = pairs_in(Counter((cl[r], truth[r]) for r in truth))
    acc[f"clusters@{threshold}"] = prf(tp, n_pred, n_true)
    # Which corruptions the missed true pairs carry (as bench_splink.py reports).
    members = {}
    for r, c in truth.items():
        members.setdefault(c, []).append(r)
    n_fn = 0
    for ids in members.values():
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                a, b = min(ids[i], ids[j]), max(ids[i], ids[j])
                if (a, b) not in found:
                    n_fn += 1
                    for k in set(filter(None, (corr[a] + ";" + corr[b]).split(";"))):
                        missed_kinds[k] += 1
    acc["misses@threshold"] = {"false_negative_pairs": n_fn, "by_corruption": dict(missed_kinds.most_common(8))}
    out["accuracy"] = acc
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
