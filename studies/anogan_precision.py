"""Does AnoGAN's latent search lose anything in bfloat16? Its test AUC both ways.

AnoGAN's search (``search_precision``) can run its forward and backward passes in
bfloat16, 1.7× faster than float32 with 2 threads on a CPU with bfloat16 instructions
(``benchmarks/bench_baselines.py``), while the score stays the float32 loss at the z the
search reached. This trains AnoGAN ONCE on each ``--classes`` class of each
``--datasets`` dataset (as ``studies/anogan_iterations.py``: one-vs-rest, ``--epochs`` 15,
seed 0, the same stratified ``--test-images`` subsample), then runs the search once in
float32 and once in bfloat16 on the same networks, each read after 10, 50, 100 and 250
steps. It writes both AUCs, the Spearman correlation of the two searches' scores and
their largest relative difference; an interrupted run resumes from ``--json``.

    AEUTILS_DATA=../shared/data python studies/anogan_precision.py
    python studies/anogan_precision.py --quick --datasets folder:<path> --json /tmp/q.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aeutils.cli.studies import ANOGAN_PRECISION_STEPS, run_anogan_iterations
from aeutils.files import atomic_write

DEFAULT_JSON = "results/anogan-iterations/anogan_precision.json"
# --quick: seconds, for the test and a first look (tiny nets, 64 training images).
QUICK = dict(steps=(1, 5), settings={"epochs": 2, "batch_size": 16, "latent_dim": 8,
                                     "max_train": 64}, extra={"ndf": 8})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="*", default=["mnist", "cifar10"])
    p.add_argument("--classes", nargs="*", type=int, default=[0, 1], help="normal classes")
    p.add_argument("--test-images", type=int, default=1000, help="test subsample size")
    p.add_argument("--epochs", type=int, default=15, help="AnoGAN training epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="tiny settings (2 epochs, 64 training images, 1/5 steps)")
    p.add_argument("--json", default=DEFAULT_JSON)
    a = p.parse_args()
    if a.quick:
        steps, settings, extra = QUICK["steps"], dict(QUICK["settings"]), QUICK["extra"]
    else:
        steps, settings, extra = ANOGAN_PRECISION_STEPS, {"epochs": a.epochs}, {}
    path = Path(a.json)
    previous = json.loads(path.read_text()) if path.exists() else None
    command = (f"python studies/anogan_precision.py --datasets {' '.join(a.datasets)} "
               f"--classes {' '.join(map(str, a.classes))} --test-images {a.test_images} "
               f"--epochs {a.epochs} --seed {a.seed}" + (" --quick" if a.quick else ""))

    def save(out: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({**out, "command": command}, indent=1) + "\n")

    out = run_anogan_iterations(a.datasets, a.classes, a.test_images, steps, a.seed, settings,
                                extra, previous, save, study="precision")
    last = str(out["steps"][-1])
    print(f"AnoGAN's search in float32 and bfloat16 on the same networks; {a.test_images} "
          f"test images per class; {out['wall_seconds']:.0f} s in all")
    print("| dataset | class | " + " | ".join(f"AUC @{k} fp32 / bf16" for k in out["steps"])
          + f" | Spearman @{last} | search s fp32 / bf16 |")
    print("|---|---|" + "---|" * (len(out["steps"]) + 2))
    for ds in out["datasets"].values():
        for r in ds["classes"]:
            auc, s = r["auc"], r["search_seconds"]
            print(f"| {ds['name']} | {r['class']} | "
                  + " | ".join(f"{auc['fp32'][str(k)]:.4f} / {auc['bf16'][str(k)]:.4f}"
                               for k in out["steps"])
                  + f" | {r['spearman'][last]:.4f} | {s['fp32']:.0f} / {s['bf16']:.0f} |")


if __name__ == "__main__":
    main()
