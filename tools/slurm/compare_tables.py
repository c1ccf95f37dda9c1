"""Compare two aeutils results tables: the same (key, epoch) pairs and AUC within a tolerance.

    python tools/slurm/compare_tables.py MERGED.jsonl SINGLE.jsonl [--tol 1e-4]

Exit status 0 when both tables hold exactly the same (key, epoch) pairs and every
|AUC difference| is at most ``--tol``; 1 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys


def load(path: str) -> dict[tuple[str, int], dict]:
    out = {}
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue  # a partial last line (a killed writer) is not a record
            out[(r["key"], int(r["epoch"]))] = r
    return out


def _max_diff(a: dict, b: dict, pairs, field: str):
    diffs = {k: abs(a[k][field] - b[k][field]) for k in pairs
             if isinstance(a[k].get(field), (int, float)) and isinstance(b[k].get(field), (int, float))
             and not (math.isnan(a[k][field]) and math.isnan(b[k][field]))}
    if not diffs:
        return None, 0.0
    worst = max(diffs, key=diffs.get)
    return worst, diffs[worst]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", help="first table (e.g. the merged shards)")
    p.add_argument("b", help="second table (e.g. the one-machine run)")
    p.add_argument("--tol", type=float, default=1e-4, help="largest |AUC difference| allowed")
    p.add_argument("--label", default="compare", help="prefix of the printed lines")
    args = p.parse_args(argv)

    a, b = load(args.a), load(args.b)
    only_a, only_b = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
    both = a.keys() & b.keys()
    n_keys = len({k for k, _ in both})
    worst, auc = _max_diff(a, b, both, "auc")
    _, val = _max_diff(a, b, both, "val_auc")
    lab = args.label
    print(f"{lab}: {len(a)} vs {len(b)} records; {len(both)} (key, epoch) pairs in both over "
          f"{n_keys} keys; only in first {len(only_a)}, only in second {len(only_b)}")
    where = ""
    if worst is not None and auc > 0:
        r = b[worst]
        where = f" ({r.get('model')}/{r.get('loss')} class {r.get('normal_class')} epoch {worst[1]})"
    print(f"{lab}: max |AUC difference| = {auc:.3g}{where}; max |val AUC difference| = {val:.3g}; "
          f"tolerance {args.tol:g}")
    for k in only_a[:5]:
        print(f"  only in {args.a}: {k}")
    for k in only_b[:5]:
        print(f"  only in {args.b}: {k}")
    ok = bool(both) and not only_a and not only_b and auc <= args.tol
    print(f"{lab}: " + ("OK, the tables agree" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
