"""How many search steps does AnoGAN need? Its test AUC after 10, 50, 100, 250 and 500.

AnoGAN scores an image by searching the latent space (500 Adam steps in the paper and
the reference code), which makes it by far the costliest baseline to score. This trains
AnoGAN on each ``--classes`` class of each ``--datasets`` dataset (one-vs-rest, all
training images of the class less the validation tenth, as the thesis profile;
``--epochs`` 15 as in GANomaly's comparison, seed 0), draws a fixed ``--test-images``
subsample of the test set (stratified by class, seeded: the whole set's share of normals
and of every anomalous class), and runs ONE search of 500 steps on it, reading every
image's loss after each step count (the search's schedule is by step number, so that is
exactly the score of a search of that length). It writes the AUC at each count, the
training and search seconds per class and the mean AUC per dataset; rows already in
``--json`` with the same settings are kept, so an interrupted run resumes.

    AEUTILS_DATA=../shared/data python studies/anogan_iterations.py
    python studies/anogan_iterations.py --quick --datasets folder:<path> --json /tmp/q.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aeutils.cli.studies import ANOGAN_STEPS, run_anogan_iterations
from aeutils.files import atomic_write

DEFAULT_JSON = "results/anogan-iterations/anogan_iterations.json"
# --quick: seconds, for the test and a first look (tiny nets, 64 training images).
QUICK = dict(steps=(1, 2, 5), settings={"epochs": 2, "batch_size": 16, "latent_dim": 8,
                                        "max_train": 64}, extra={"ndf": 8})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="*", default=["mnist", "cifar10"])
    p.add_argument("--classes", nargs="*", type=int, default=[0, 1], help="normal classes")
    p.add_argument("--test-images", type=int, default=1000, help="test subsample size")
    p.add_argument("--epochs", type=int, default=15, help="AnoGAN training epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="tiny settings (2 epochs, 64 training images, 1/2/5 steps)")
    p.add_argument("--json", default=DEFAULT_JSON)
    a = p.parse_args()
    if a.quick:
        steps, settings, extra = QUICK["steps"], dict(QUICK["settings"]), QUICK["extra"]
    else:
        steps, settings, extra = ANOGAN_STEPS, {"epochs": a.epochs}, {}
    path = Path(a.json)
    previous = json.loads(path.read_text()) if path.exists() else None

    def save(out: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({**out, "command": command(a)}, indent=1) + "\n")

    out = run_anogan_iterations(a.datasets, a.classes, a.test_images, steps, a.seed, settings,
                                extra, previous, save)
    print(f"AnoGAN, one search read at {', '.join(map(str, out['steps']))} steps; "
          f"{a.test_images} test images per class; {out['wall_seconds']:.0f} s in all")
    print("| dataset | class | " + " | ".join(f"AUC @{k}" for k in out["steps"])
          + " | train s | search s |")
    print("|---|---|" + "---|" * (len(out["steps"]) + 2))
    for ds in out["datasets"].values():
        for r in ds["classes"]:
            print(f"| {ds['name']} | {r['class']} | "
                  + " | ".join(f"{r['auc'][str(k)]:.4f}" for k in out["steps"])
                  + f" | {r['train_seconds']:.0f} | {r['search_seconds']:.0f} |")


def command(a) -> str:
    """The command line that reproduces this output."""
    return (f"python studies/anogan_iterations.py --datasets {' '.join(a.datasets)} "
            f"--classes {' '.join(map(str, a.classes))} --test-images {a.test_images} "
            f"--epochs {a.epochs} --seed {a.seed}" + (" --quick" if a.quick else ""))


if __name__ == "__main__":
    main()
