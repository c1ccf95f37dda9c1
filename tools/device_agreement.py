"""Do runs trained on a GPU agree with the same runs trained on this machine's CPU?

For each ``--group`` (dataset/model/loss/contamination of a profile), takes the stored
runs that an accelerator trained, retrains their first ``--epochs`` epochs here on the
CPU in a scratch store, and compares test AUC at every checkpoint both have. The same
seed gives the same initial weights and batch order on either device (they are drawn on
the CPU), and an autoencoder's epoch e does not depend on how many epochs follow, so
only float arithmetic differs: agreement within float noise means the GPU's records
stand for the CPU's.

    AEUTILS_DATA=../shared/data python tools/device_agreement.py \\
        --group mnist/basic/bce+ssim/50 --group cifar10/conv/ssim/0 --epochs 10 \\
        --json benchmarks/results/device_agreement.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aeutils.config import ConfigError, RunConfig  # noqa: E402
from aeutils.data import resolve_dataset  # noqa: E402
from aeutils.experiment import run_configs  # noqa: E402
from aeutils.grid import profile_configs  # noqa: E402
from aeutils.results import ResultsStore, on_accelerator  # noqa: E402


def accelerator_runs(store: ResultsStore, profile: str, group: str) -> list[RunConfig]:
    """The configs of ``profile`` matching ``dataset/model/loss/contamination`` whose
    stored records were trained on an accelerator."""
    try:
        dataset, model, loss, contamination = group.split("/")
    except ValueError:
        raise ConfigError(f"--group {group!r}: expected dataset/model/loss/contamination, "
                          f"e.g. mnist/basic/bce+ssim/50") from None
    on_gpu = {r["key"] for r in store.records() if on_accelerator(r)}
    found = [c for c in profile_configs(profile, store=store)
             if c.dataset == resolve_dataset(dataset) and c.model == model
             and c.loss == loss and c.contamination == float(contamination)
             and c.key() in on_gpu]
    if not found:
        raise ConfigError(f"--group {group!r}: no run of profile {profile!r} in {store.path} "
                          f"matches it and was trained on an accelerator")
    return list({c.key(): c for c in found}.values())


def compare_group(store: ResultsStore, configs: list[RunConfig], epochs: int,
                  scratch: ResultsStore) -> dict:
    """Retrain the first ``epochs`` epochs on the CPU; AUC pairs at the shared checkpoints."""
    short = [replace(c, epochs=epochs, checkpoints=tuple(e for e in c.checkpoints if e < epochs))
             for c in configs]
    run_configs(short, scratch, device="cpu", progress=True)
    pairs = []
    for long, s in zip(configs, short):
        for e in s.eval_epochs:
            gpu, cpu = store.get(long, epoch=e), scratch.get(s, epoch=e)
            if gpu and cpu:
                pairs.append({"class": long.normal_class, "epoch": e,
                              "auc_gpu": gpu[-1]["auc"], "auc_cpu": cpu[-1]["auc"]})
    diff = np.array([p["auc_gpu"] - p["auc_cpu"] for p in pairs])
    per_epoch = {}
    for e in sorted({p["epoch"] for p in pairs}):
        d = [p["auc_gpu"] - p["auc_cpu"] for p in pairs if p["epoch"] == e]
        per_epoch[str(e)] = {"mean_diff": float(np.mean(d)), "max_abs_diff": float(np.max(np.abs(d))),
                             "mean_auc_gpu": float(np.mean([p["auc_gpu"] for p in pairs if p["epoch"] == e])),
                             "mean_auc_cpu": float(np.mean([p["auc_cpu"] for p in pairs if p["epoch"] == e]))}
    return {"runs": len(configs), "pairs": len(pairs), "mean_diff": float(diff.mean()),
            "max_abs_diff": float(np.abs(diff).max()), "per_epoch": per_epoch, "pairs_list": pairs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results/thesis/results.jsonl", help="the store to check")
    ap.add_argument("--profile", default="thesis")
    ap.add_argument("--group", action="append", required=True,
                    help="dataset/model/loss/contamination, e.g. mnist/basic/bce+ssim/50")
    ap.add_argument("--epochs", type=int, default=10, help="epochs retrained on the CPU")
    ap.add_argument("--json", help="write the numbers here")
    args = ap.parse_args()
    store = ResultsStore(args.results)
    out = {"results": args.results, "profile": args.profile, "epochs_retrained": args.epochs,
           "groups": {}}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = ResultsStore(Path(tmp) / "cpu.jsonl", keep_scores="none")
        for group in args.group:
            res = compare_group(store, accelerator_runs(store, args.profile, group), args.epochs,
                                scratch)
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
