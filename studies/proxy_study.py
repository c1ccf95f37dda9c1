"""Which synthetic anomalies stand in for real ones: label-free criteria on a held-out dataset.

Label-free selection (:mod:`aeutils.experiments.selection`) scores a candidate by how well it tells
validation normals from synthetic anomalies made from them (:mod:`aeutils.data.corruptions`).
Which kinds of synthetic anomaly to trust is itself a choice, and making it with the test
labels of MNIST or CIFAR-10 would be selection on the test set. So this trains one block
of a profile (default: the ``compare`` profile's MNIST search space) on *another* dataset
(default Fashion-MNIST), whose labels may be read, and reports for each criterion (the
five kinds pooled, and each kind alone) its Spearman correlation with the test AUC over
the candidates, its pick, and the pick's test AUC and gap to the best candidate on test.

The rule, fixed before the Fashion-MNIST numbers were seen: the criterion whose pick has
the highest test AUC on the held-out dataset wins (ties: the higher Spearman). If that is a
single kind rather than the five pooled, the ``compare`` and ``quick`` profiles gain a
selection block for it beside ``label-free`` (which stays the headline: it was fixed before
any of this was measured). Disclosed with it: the kinds' correlations on the ``quick``
store's MNIST and CIFAR-10 test sets had been looked at before this study was set up.

    AEUTILS_DATA=../shared/data python studies/proxy_study.py --workers 2

The store is resumable (``--results``); the numbers go to ``--json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aeutils import runtime
from aeutils.cli.studies import run_proxy_study

DEFAULT_DIR = "results/proxy-study"


def main() -> None:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="fashion-mnist", help="the held-out dataset")
    p.add_argument("--profile", default="compare")
    p.add_argument("--block", default="main-mnist", help="the search space to train")
    p.add_argument("--stands-for", default="mnist", help="the block's dataset it replaces")
    p.add_argument("--results", default=f"{DEFAULT_DIR}/results.jsonl")
    p.add_argument("--json", default=f"{DEFAULT_DIR}/proxy_study.json")
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    out = run_proxy_study(a.dataset, a.profile, a.block, a.stands_for, a.results, a.workers)
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(out, indent=1, default=float) + "\n")
    print(f"{out['dataset']}, {a.profile} profile, block {a.block}, seed 0; "
          f"{out['rows'][0]['candidates']} candidates")
    print("| criterion | Spearman with test AUC | pick | pick's test AUC | gap to best on test |")
    print("|---|---|---|---|---|")
    for r in out["rows"]:
        print(f"| {r['strategy']} | {r['spearman']:.3f} | {r['model']}/{r['loss']}, epoch "
              f"{r['epoch']} | {r['test_auc']:.4f} | {r['gap_single']:.4f} |")


if __name__ == "__main__":
    main()
