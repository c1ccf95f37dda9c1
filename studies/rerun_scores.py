"""Give a shipped store the search score files it did not keep, from a re-run of the same runs.

The label-free ensemble (:mod:`aeutils.experiments.ensemble`) reads every search configuration's test
scores at the epochs it is reported at. A store whose search ran without ``--keep-scores``
has the records but not the scores. This re-runs the search's blocks into a scratch store
with every checkpoint's scores (float32), checks that the re-run's test AUCs agree with the
shipped records within float noise (the largest difference measured between two devices,
``benchmarks/results/device_agreement*.json``), and only then copies the score files at
the ensemble's epochs into the shipped store, in float16 as a shipped store keeps them. The
agreement is written beside the store, so the ensemble's rows can say their members are a
re-run's.

    AEUTILS_DATA=data python -m aeutils grid --profile compare --block main-mnist \\
        --block main-cifar10 --block main-cifar10-vae --results build/compare-search/results.jsonl \\
        --keep-scores all --workers 2
    AEUTILS_DATA=data python studies/rerun_scores.py --profile compare \\
        --rerun build/compare-search/results.jsonl --tolerance 0.03

The check also records how far the re-run moves a configuration's mean over its classes
(``mean_diffs``, ``max_abs_mean_diff``): the noise of a mean between two hosts, which the
reproduction verdict reads (:mod:`aeutils.experiments.verdict`). ``--means-from-scores``
measures it again without the re-run's store, from the re-run's score files that were
copied into the shipped store (those holding scores and labels only, as
:func:`copy_scores` writes them; float16), and adds it to the check file.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from aeutils.experiments.ensemble import search_epochs
from aeutils.experiments.grid import block_group, profile_configs
from aeutils.experiments.store import ResultsStore, shipped_path
from aeutils.experiments.verdict import config_names, float_noise_tolerance, frame, mean_level


def wanted(profile: str, source: str) -> set[tuple[str, int]]:
    """(key, epoch) of every search configuration at the epochs its dataset's ensemble is
    reported at."""
    blocks = block_group(profile, source)
    out = set()
    for ds, epochs in search_epochs(profile, source).items():
        for c in profile_configs(profile, blocks=blocks, only_datasets=[ds]):
            out.update((c.key(), e) for e in epochs if e in c.eval_epochs)
    return out


def _describe(r: dict) -> str:
    return f"{r['dataset_label']} {r['model']}/{r['loss']} class {r['normal_class']} epoch {r['epoch']}"


def agreement(want: set[tuple[str, int]], rerun: dict, stored: dict) -> dict:
    """How the re-run's test AUCs compare with the stored ones at ``want`` (records by
    (key, epoch) in ``rerun`` and ``stored``)."""
    pairs = sorted(want)
    diffs = np.abs([rerun[k]["auc"] - stored[k]["auc"] for k in pairs])
    noise = float_noise_tolerance(reruns=False)  # between devices: not this check's own kind
    made = {f"{rerun[k]['commit']}{'+dirty' if rerun[k].get('dirty') else ''}" for k in pairs}
    means = mean_agreement(want, {k: rerun[k]["auc"] for k in pairs}, stored)
    return {"commit": ", ".join(sorted(made)), "pairs": len(pairs), **means,
            "identical": int((diffs == 0).sum()), "mean_abs_diff": float(diffs.mean()),
            "max_abs_diff": float(diffs.max()), "worst": _describe(stored[pairs[diffs.argmax()]]),
            "beyond_float_noise": int((diffs > noise).sum()), "float_noise": noise,
            "epochs": sorted({e for _, e in pairs})}


def mean_agreement(want: set[tuple[str, int]], rerun_auc: dict, stored: dict) -> dict:
    """Per (dataset, configuration, epoch): the re-run's mean AUC over its classes minus the
    stored one, over the pairs of ``want`` that ``rerun_auc`` ((key, epoch) → AUC) holds."""
    pairs = sorted(k for k in want if k in rerun_auc)
    shipped = frame([stored[k] for k in pairs])
    shipped["auc_mine"] = [rerun_auc[k] for k in pairs]
    shipped["diff"] = shipped["auc_mine"] - shipped["auc"]
    groups = mean_level(shipped, shipped, config_names(shipped), noise=0.0)
    diffs = {f"{g['dataset']} {g['config']} epoch {g['epoch']}": g["diff"] for g in groups}
    return {"mean_pairs": len(pairs), "mean_diffs": diffs,
            "max_abs_mean_diff": max(abs(d) for d in diffs.values())}


def rerun_aucs_from_scores(want: set[tuple[str, int]], shipped: ResultsStore) -> dict:
    """(key, epoch) → test AUC of the re-run's score file in ``shipped``, for the files
    :func:`copy_scores` wrote (scores and labels only; a run's own file keeps more)."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for key, epoch in sorted(want):
        path = shipped.scores_dir / f"{key}-e{epoch}.npz"
        if not path.exists():
            continue
        with np.load(path) as z:
            if sorted(z.files) == ["labels", "scores"]:
                out[(key, epoch)] = float(roc_auc_score(z["labels"], z["scores"].astype(float)))
    return out


def copy_scores(want: set[tuple[str, int]], rerun: ResultsStore, shipped: ResultsStore) -> int:
    """The re-run's score files at ``want`` that the shipped store lacks, copied in as the
    shipped store keeps them (float16). Returns how many."""
    copied = 0
    for key, epoch in sorted(want):
        if (shipped.scores_dir / f"{key}-e{epoch}.npz").exists():
            continue  # the shipped run's own file stays
        z = rerun.load_scores(key, epoch)
        # scores and labels only: the ensemble reads nothing else (example reconstructions
        # would add a third to the files' size)
        shipped.save_scores(key, epoch, z["scores"], z["labels"], final=True)
        copied += 1
    return copied


def add_means(want: set[tuple[str, int]], shipped: ResultsStore) -> int:
    """``--means-from-scores``: the mean differences added to the existing check file."""
    out = shipped.path.parent / "rerun_scores.json"
    check = json.loads(out.read_text())
    stored = {(r["key"], r["epoch"]): r for r in shipped.records()}
    means = mean_agreement(want, rerun_aucs_from_scores(want, shipped), stored)
    check.update(means, means_from="the re-run's score files in the shipped store (float16)")
    out.write_text(json.dumps(check, indent=1) + "\n")
    print(f"{means['mean_pairs']} pairs, largest |mean difference| "
          f"{means['max_abs_mean_diff']:.4f}; added to {out}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="compare")
    ap.add_argument("--source", default="main", help="the search's block group")
    ap.add_argument("--rerun", help="the re-run's store (kept every checkpoint)")
    ap.add_argument("--means-from-scores", action="store_true",
                    help="no re-run store: add the mean differences, from the re-run's score "
                         "files in the shipped store, to its rerun_scores.json")
    ap.add_argument("--results", help="the shipped store (default: results/PROFILE/)")
    ap.add_argument("--tolerance", type=float,
                    help="largest |AUC difference| accepted (default: the float noise measured "
                         "between devices); a larger one is recorded beside that noise")
    args = ap.parse_args()
    shipped = ResultsStore(args.results or shipped_path(args.profile), keep_scores="final")
    want = wanted(args.profile, args.source)
    if args.means_from_scores:
        return add_means(want, shipped)
    if not args.rerun:
        ap.error("give --rerun (or --means-from-scores)")
    rerun = ResultsStore(args.rerun)
    ours = {(r["key"], r["epoch"]): r for r in rerun.records()}
    theirs = {(r["key"], r["epoch"]): r for r in shipped.records()}
    missing = [k for k in want if k not in ours or k not in theirs]
    if missing:
        print(f"error: {len(missing)} of {len(want)} (key, epoch) pairs are not in both stores, "
              f"e.g. {missing[0]}", file=sys.stderr)
        return 2
    check = {"profile": args.profile, "source": args.source, **agreement(want, ours, theirs)}
    check["tolerance"] = check["float_noise"] if args.tolerance is None else args.tolerance
    print(json.dumps(check))
    if check["max_abs_diff"] > check["tolerance"]:
        print(f"error: the re-run differs from the shipped records by up to "
              f"{check['max_abs_diff']:.4f} ({check['worst']}), beyond {check['tolerance']:.4f}; "
              "nothing copied (--tolerance accepts more, on the record)", file=sys.stderr)
        return 1
    check["copied"] = copy_scores(want, rerun, shipped)
    out = shipped.path.parent / "rerun_scores.json"
    out.write_text(json.dumps(check, indent=1) + "\n")
    print(f"copied {check['copied']} score files into {shipped.scores_dir}; the check is in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
