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

    AEUTILS_DATA=../shared/data python studies/svdd_budget.py --workers 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aeutils import runtime
from aeutils.cli.studies import run_svdd_budget

DEFAULT_DIR = "results/svdd-budget"


def main() -> None:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default=f"{DEFAULT_DIR}/results.jsonl")
    p.add_argument("--base", default="results/compare/results.jsonl",
                   help="the store whose Deep SVDD runs are checked")
    p.add_argument("--json", default=f"{DEFAULT_DIR}/svdd_budget.json")
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    out = run_svdd_budget(a.results, a.base, a.workers)
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(out, indent=1) + "\n")
    print(f"classes {out['classes']}, seeds {out['seeds']}")
    for name in ("grid", "longer"):
        if name in out:
            print(f"{name}: {out[name]['settings']}: mean AUC at the last epoch "
                  f"{out[name]['mean_auc_last']:.4f}")


if __name__ == "__main__":
    main()
