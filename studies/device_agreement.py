"""Do runs trained on a GPU agree with the same runs trained on this machine's CPU?

For each ``--group`` (dataset/model/loss/contamination of a profile), takes the stored
runs that an accelerator trained, retrains their first ``--epochs`` epochs here on the
CPU in a scratch store, and compares test AUC at every checkpoint both have. The same
seed gives the same initial weights and batch order on either device (they are drawn on
the CPU), and an autoencoder's epoch e does not depend on how many epochs follow, so
only float arithmetic differs: agreement within float noise means the GPU's records
stand for the CPU's.

    AEUTILS_DATA=data python studies/device_agreement.py \\
        --group mnist/basic/bce+ssim/50 --group cifar10/conv/ssim/0 --epochs 10 \\
        --json benchmarks/results/device_agreement.json
    AEUTILS_DATA=data python studies/device_agreement.py --group mnist/anogan/mse/0 \
        --normal-class 7 --epochs 15 --json benchmarks/results/anogan_device_agreement.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from aeutils import runtime
from aeutils.experiments.agreement import accelerator_runs, compare_group
from aeutils.experiments.store import ResultsStore


def main() -> int:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results/thesis/results.jsonl", help="the store to check")
    ap.add_argument("--profile", default="thesis")
    ap.add_argument("--group", action="append", required=True,
                    help="dataset/model/loss/contamination, e.g. mnist/basic/bce+ssim/50")
    ap.add_argument("--epochs", type=int, default=10, help="epochs retrained on the CPU")
    ap.add_argument("--seed", type=int, action="append",
                    help="only the group's runs of these seeds (repeatable; default: all)")
    ap.add_argument("--normal-class", type=int, action="append", dest="classes",
                    help="only the group's runs of these normal classes (repeatable; default: "
                         "all): a sample of a group whose runs take long on the CPU")
    ap.add_argument("--json", help="write the numbers here")
    args = ap.parse_args()
    store = ResultsStore(args.results)
    out = {"results": args.results, "profile": args.profile, "epochs_retrained": args.epochs,
           "seeds": args.seed, "normal_classes": args.classes,
           "groups": {}}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = ResultsStore(Path(tmp) / "cpu.jsonl", keep_scores="none")
        for group in args.group:
            runs = [c for c in accelerator_runs(store, args.profile, group)
                    if (args.seed is None or c.seed in args.seed)
                    and (args.classes is None or c.normal_class in args.classes)]
            if not runs:
                ap.error(f"--group {group}: no accelerator run of seed(s) {args.seed}, "
                         f"normal class(es) {args.classes}")
            res = compare_group(store, runs, args.epochs, scratch)
            out["groups"][group] = res
            print(f"{group}: {res['runs']} runs, {res['pairs']} (class, epoch) pairs: "
                  f"mean AUC difference GPU − CPU {res['mean_diff']:+.4f}, "
                  f"largest {res['max_abs_diff']:.4f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
