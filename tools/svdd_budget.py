"""Was Deep SVDD stopped short? The authors' budget beside the compare profile's.

The ``compare`` profile trains Deep SVDD for 50 pre-training + 100 one-class epochs at a
constant learning rate: its test AUC levels off, its training loss does not. The
``svdd-budget`` profile trains the same method on the same images (MNIST one-vs-rest, all
training images of the class) for the budget of the authors' code: 350 pre-training epochs
with lr × 0.1 after 250, then 150 one-class epochs with lr × 0.1 after 50, on the classes
and seed it lists. This trains it (resumable) and writes, per budget, the test AUC by
checkpoint, the fall of the training loss over the last tenth of the epochs, and the test
AUC of each class at the last epoch, on the classes and seeds both stores hold, beside the
paper's per-class numbers for those classes (quoted, with their own preprocessing).

    AEUTILS_DATA=../shared/data python tools/svdd_budget.py --workers 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aeutils.__main__ import main as cli
from aeutils.reference import literature_per_class
from aeutils.report import budget_check, compute_spent
from aeutils.results import ResultsStore

DEFAULT_DIR = "results/svdd-budget"


def run(results: str, base: str, workers: int, dataset: str = "mnist") -> dict:
    args = ["grid", "--profile", "svdd-budget", "--results", results, "--keep-scores", "none",
            "--workers", str(workers), "--no-progress"]
    if cli(args) != 0:
        raise SystemExit(f"training failed: python -m aeutils {' '.join(args)}")
    longer = ResultsStore(results).table()
    check = budget_check(ResultsStore(base).table(), longer[longer["model"] == "deep-svdd"],
                         dataset)
    paper = literature_per_class(dataset)
    paper = paper[(paper["method"] == "Deep SVDD") & paper["class"].isin(check["classes"])]
    quoted = {"source": paper["source"].iloc[0],
              "auc": {str(int(c)): float(a) for c, a in zip(paper["class"], paper["auc"])},
              "mean_auc": float(paper["auc"].mean())} if not paper.empty else None
    for name, store in (("grid", base), ("longer", results)):
        if name in check:  # CPU-hours of training and scoring, from the records
            check[name]["compute"] = compute_spent(ResultsStore(store), set(check[name]["keys"]))
    return {"dataset": dataset, "base": base, "command": "python tools/svdd_budget.py",
            **check, "paper": quoted}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default=f"{DEFAULT_DIR}/results.jsonl")
    p.add_argument("--base", default="results/compare/results.jsonl",
                   help="the store whose Deep SVDD runs are checked")
    p.add_argument("--json", default=f"{DEFAULT_DIR}/svdd_budget.json")
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    out = run(a.results, a.base, a.workers)
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(out, indent=1) + "\n")
    print(f"classes {out['classes']}, seeds {out['seeds']}")
    for name in ("grid", "longer"):
        if name in out:
            print(f"{name}: {out[name]['settings']}: mean AUC at the last epoch "
                  f"{out[name]['mean_auc_last']:.4f}")


if __name__ == "__main__":
    main()
