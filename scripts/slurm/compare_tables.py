"""Compare two aeutils results tables: the same (key, epoch) pairs and AUC within a tolerance.

    python scripts/slurm/compare_tables.py MERGED.jsonl SINGLE.jsonl [--tol 1e-4]

A thin wrapper around :func:`aeutils.experiments.store.compare_stores` (the comparison that
``make reproduce`` also ends with). Exit status 0 when both tables hold exactly the
same (key, epoch) pairs and every |AUC| and |validation AUC| difference is at most
``--tol``; 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from aeutils.experiments.store import ResultsStore, compare_stores


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", help="first table (e.g. the merged shards)")
    p.add_argument("b", help="second table (e.g. the one-machine run)")
    p.add_argument("--tol", type=float, default=1e-4, help="largest |AUC difference| allowed")
    p.add_argument("--label", default="compare", help="prefix of the printed lines")
    args = p.parse_args(argv)
    a, b = ResultsStore(args.a), ResultsStore(args.b)
    auc = compare_stores(a, b, args.tol, "auc")
    val = compare_stores(a, b, args.tol, "val_auc")
    lab = args.label
    print(f"{lab}: {len(a.records())} vs {len(b.records())} records; {auc['compared']} (key, "
          f"epoch) pairs in both; only in first {auc['only_mine']}, only in second "
          f"{auc['only_shipped']}")
    print(f"{lab}: max |AUC difference| = {auc['max_abs_diff']:.3g}; max |val AUC difference| = "
          f"{val['max_abs_diff']:.3g}; tolerance {args.tol:g}")
    for d in auc["differ"][:5]:
        print(f"  differs: {d['model']}/{d['loss']} class {d['class']} epoch {d['epoch']}: "
              f"{d['mine']:.6f} vs {d['shipped']:.6f}")
    ok = (auc["compared"] > 0 and not auc["only_mine"] and not auc["only_shipped"]
          and not auc["differ"] and not val["differ"])
    print(f"{lab}: " + ("OK, the tables agree" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
