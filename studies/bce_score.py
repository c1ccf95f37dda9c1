"""The BCE score before and after it became a reconstruction error, on MNIST and CIFAR-10.

Trains the basic autoencoder with BCE on every class (one-vs-rest, all training images,
the whole test set, ``--epochs`` epochs, seed 0) and scores it twice: ``score="loss"``,
the raw per-image BCE (which includes the entropy of the image itself), and
``score="error"``, BCE minus that entropy (the per-pixel Bernoulli KL, 0 for a perfect
reconstruction; the default). MSE is shown for reference. Mean test AUC over classes,
per dataset; ``--json`` writes every number.

    AEUTILS_DATA=../shared/data python studies/bce_score.py --json benchmarks/results/bce_score.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from aeutils import runtime
from aeutils.config import RunConfig
from aeutils.data import display_name, resolve_dataset
from aeutils.experiments.runs import run_configs
from aeutils.experiments.store import ResultsStore

VARIANTS = {"bce, raw (score=loss)": ("bce", "loss"), "bce, error (score=error)": ("bce", "error"),
            "mse": ("mse", "error")}


def main() -> None:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10, help="training epochs per run")
    p.add_argument("--datasets", nargs="*", default=["mnist", "cifar10"])
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    a = p.parse_args()
    out = {"epochs": a.epochs, "datasets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(Path(tmp) / "r.jsonl")
        for ds in a.datasets:
            name = resolve_dataset(ds)
            row = {}
            for label, (loss, score) in VARIANTS.items():
                cfgs = [RunConfig(dataset=name, model="basic", loss=loss, score=score,
                                  normal_class=c, epochs=a.epochs) for c in range(10)]
                recs = run_configs(cfgs, store, progress=False)
                row[label] = {"mean_auc": sum(r["auc"] for r in recs) / len(recs),
                              "per_class": [r["auc"] for r in recs]}
            out["datasets"][display_name(name)] = row
    print(f"basic autoencoder, {a.epochs} epochs, one-vs-rest, mean test AUC over 10 classes")
    print("| dataset | " + " | ".join(VARIANTS) + " |")
    print("|---|" + "---|" * len(VARIANTS))
    for ds, row in out["datasets"].items():
        print(f"| {ds} | " + " | ".join(f"{row[v]['mean_auc']:.4f}" for v in VARIANTS) + " |")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
