"""Studies that train a profile's block and read a question off its store.

Each is one function here (tested) and one entry point in ``studies/`` (argument parsing
and printing). They train through the grid object that ``python -m aeutils grid`` runs
(:class:`aeutils.experiments.sweep.Grid`: resumable, with worker processes), so a study
trains exactly what a user could by hand.
"""

from __future__ import annotations


def run_proxy_study(dataset: str, profile: str, block: str, stands_for: str, results: str,
                    workers: int) -> dict:
    """Train ``block`` of ``profile`` on ``dataset`` in place of ``stands_for``, then
    study each label-free criterion against the test labels of that held-out dataset
    (:func:`aeutils.selection.proxy_study`)."""
    from ..data.datasets import display_name
    from ..experiments.grid import profile_blocks
    from ..experiments.selection import LABEL_FREE, proxy_study
    from ..experiments.store import ResultsStore
    from ..experiments.sweep import Grid

    Grid(profile, blocks=[block], dataset_map={stands_for: dataset}, results=results,
         keep_scores="none", workers=workers, progress=False).run()
    classes = profile_blocks(profile, [block])[0].classes
    table = proxy_study(ResultsStore(results).table(), dataset, classes, strategies=LABEL_FREE)
    return {"dataset": display_name(dataset), "profile": profile, "block": block, "seed": 0,
            "command": f"python studies/proxy_study.py --dataset {dataset} --profile {profile} "
                       f"--block {block}",
            "rows": table.to_dict(orient="records")}


def run_svdd_budget(results: str, base: str, workers: int, dataset: str = "mnist") -> dict:
    """Train the ``svdd-budget`` profile, then compare its Deep SVDD runs with those of
    the store ``base`` and the paper's per-class numbers (:func:`aeutils.report.budget_check`)."""
    from ..experiments.store import ResultsStore
    from ..experiments.sweep import Grid
    from ..report import budget_check, compute_spent
    from ..report.reference import literature_per_class

    Grid("svdd-budget", results=results, keep_scores="none", workers=workers,
         progress=False).run()
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
    return {"dataset": dataset, "base": base, "command": "python studies/svdd_budget.py",
            **check, "paper": quoted}


ANOGAN_STEPS = (10, 50, 100, 250, 500)
# the precision check reads up to the thesis profile's search length (250 steps)
ANOGAN_PRECISION_STEPS = (10, 50, 100, 250)


def stratified_subset(labels, n: int, seed: int):
    """``n`` indices (sorted) drawn with seed ``seed``, each label in its share of the set:
    a fixed test subsample with the whole test set's normals and anomalies of every class."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    if n >= len(labels):
        return np.arange(len(labels))
    idx, _ = train_test_split(np.arange(len(labels)), train_size=n, stratify=labels,
                              random_state=seed)
    return np.sort(idx)


# --quick: seconds, for the tests and a first look (tiny nets, 64 training images).
ANOGAN_QUICK = {"settings": {"epochs": 2, "batch_size": 16, "latent_dim": 8, "max_train": 64},
                "extra": {"ndf": 8}}


def anogan_study_main(script: str, description: str, default_json: str, steps,
                      quick_steps, study: str = "iterations") -> tuple[dict, object]:
    """The command line both AnoGAN studies share: parse it, run
    :func:`run_anogan_iterations` (resuming from ``--json``, writing it after every class)
    and return its output with the parsed arguments, for the script to print."""
    import argparse
    import json
    from pathlib import Path

    from ..files import atomic_write

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--datasets", nargs="*", default=["mnist", "cifar10"])
    p.add_argument("--classes", nargs="*", type=int, default=[0, 1], help="normal classes")
    p.add_argument("--test-images", type=int, default=1000, help="test subsample size")
    p.add_argument("--epochs", type=int, default=15, help="AnoGAN training epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny settings (2 epochs, 64 training "
                   f"images, {'/'.join(map(str, quick_steps))} steps)")
    p.add_argument("--json", default=default_json)
    a = p.parse_args()
    if a.quick:
        steps, settings, extra = quick_steps, dict(ANOGAN_QUICK["settings"]), ANOGAN_QUICK["extra"]
    else:
        settings, extra = {"epochs": a.epochs}, {}
    path = Path(a.json)
    previous = json.loads(path.read_text()) if path.exists() else None
    command = (f"python studies/{script} --datasets {' '.join(a.datasets)} "
               f"--classes {' '.join(map(str, a.classes))} --test-images {a.test_images} "
               f"--epochs {a.epochs} --seed {a.seed}" + (" --quick" if a.quick else ""))

    def save(out: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({**out, "command": command}, indent=1) + "\n")

    return run_anogan_iterations(a.datasets, a.classes, a.test_images, steps, a.seed, settings,
                                 extra, previous, save, study), a


def _anogan_on_subsample(dataset: str, normal_class: int, test_images: int, iterations: int,
                        seed: int, settings: dict | None, extra: dict | None) -> dict:
    """AnoGAN trained on one class as the grid trains it (one-vs-rest; ``settings``: other
    RunConfig fields, such as ``epochs``), with a fixed stratified test subsample."""
    import time

    import torch

    from ..config import RunConfig
    from ..data.datasets import split_for, test_subset
    from ..detectors.groups import training_group

    cfg = RunConfig(dataset=dataset, model="anogan", normal_class=normal_class, seed=seed,
                    **(settings or {}), extra={**(extra or {}), "iterations": iterations})
    data, split = split_for(cfg)
    idx = stratified_subset(test_subset(data, cfg.max_test)[1].numpy(), test_images, seed)
    group = training_group([cfg])
    t0 = time.perf_counter()
    group.fit([split.train_x])  # as the grid fits it (no threshold pass over the training set)
    det = group.detectors[0]
    y = split.test_y[torch.as_tensor(idx)].numpy()
    return {"detector": det, "x": split.test_x[torch.as_tensor(idx)], "y": y,
            "row": {"class": normal_class, "class_name": data.classes[normal_class],
                    "train_images": len(split.train_x), "test_images": len(idx),
                    "anomalies": int(y.sum()),
                    "train_seconds": round(time.perf_counter() - t0, 1),
                    "threads": torch.get_num_threads(), "device": str(det.device_),
                    "generator_loss": det.loss_curve_}}


def anogan_iteration_curve(dataset: str, normal_class: int, test_images: int,
                           steps=ANOGAN_STEPS, seed: int = 0, settings: dict | None = None,
                           extra: dict | None = None) -> dict:
    """Train AnoGAN on one class (:func:`_anogan_on_subsample`) and score the test
    subsample with ONE search of ``max(steps)`` steps, read at every count in ``steps``:
    the test AUC at each."""
    import time

    from ..detectors.metrics import evaluate

    steps = sorted(steps)
    run = _anogan_on_subsample(dataset, normal_class, test_images, steps[-1], seed, settings,
                               extra)
    y, t0 = run["y"], time.perf_counter()
    losses = run["detector"].search_losses(run["x"], steps)
    metrics = {k: evaluate(losses[k], y) for k in steps}
    return {**run["row"], "search_seconds": round(time.perf_counter() - t0, 1),
            "auc": {str(k): metrics[k]["auc"] for k in steps},
            "ap": {str(k): metrics[k]["ap"] for k in steps},
            "mean_loss_normal": {str(k): float(losses[k][y == 0].mean()) for k in steps},
            "mean_loss_anomalous": {str(k): float(losses[k][y == 1].mean()) for k in steps}}


def anogan_precision_check(dataset: str, normal_class: int, test_images: int,
                           steps=ANOGAN_PRECISION_STEPS, seed: int = 0,
                           settings: dict | None = None, extra: dict | None = None) -> dict:
    """Train AnoGAN on one class once (:func:`_anogan_on_subsample`), then search the test
    subsample once in each search precision, read at every count in ``steps``: the test
    AUC of each, the rank correlation of their scores and the largest relative score
    difference, so the precision's effect is not mixed with a second training's."""
    import time

    import numpy as np
    from scipy.stats import spearmanr

    from ..detectors.anogan import SEARCH_PRECISIONS
    from ..detectors.metrics import evaluate

    steps = sorted(steps)
    run = _anogan_on_subsample(dataset, normal_class, test_images, steps[-1], seed, settings,
                               extra)
    det, y = run["detector"], run["y"]
    losses, seconds = {}, {}
    for precision in SEARCH_PRECISIONS:
        det.search_precision = precision
        t0 = time.perf_counter()
        losses[precision] = det.search_losses(run["x"], steps)
        seconds[precision] = round(time.perf_counter() - t0, 1)
    ref, low = losses["fp32"], losses["bf16"]
    return {**run["row"], "search_seconds": seconds,
            "auc": {p: {str(k): evaluate(losses[p][k], y)["auc"] for k in steps}
                    for p in SEARCH_PRECISIONS},
            "spearman": {str(k): float(spearmanr(ref[k], low[k])[0]) for k in steps},
            "max_relative_difference": {str(k): float(np.max(np.abs(low[k] - ref[k])
                                                             / np.abs(ref[k])))
                                        for k in steps}}


def run_anogan_iterations(datasets, classes, test_images: int, steps=ANOGAN_STEPS,
                          seed: int = 0, settings: dict | None = None,
                          extra: dict | None = None, previous: dict | None = None,
                          save=None, study: str = "iterations") -> dict:
    """:func:`anogan_iteration_curve` (``study="precision"``: :func:`anogan_precision_check`)
    for every dataset and class; the mean AUC per step count per dataset. Rows of
    ``previous`` (an earlier output) with the same settings are kept, not re-run;
    ``save(out)`` is called after every class (a long run resumes)."""
    import time

    from ..data.catalog import display_name, resolve_dataset
    from ..provenance import stamp

    head = {"steps": sorted(steps), "test_images": test_images, "seed": seed,
            "settings": dict(settings or {}), "extra": dict(extra or {})}
    same = previous is not None and all(previous.get(k) == v for k, v in head.items())
    out = {**head, "datasets": {}, "commit": stamp()}
    t0 = time.perf_counter()
    for ds in datasets:
        name = resolve_dataset(ds)
        old = {r["class"]: r for r in (previous or {}).get("datasets", {}).get(ds, {})
               .get("classes", [])} if same else {}
        rows = []
        for c in classes:
            curve = anogan_precision_check if study == "precision" else anogan_iteration_curve
            rows.append(old.get(c) or curve(name, c, test_images, steps, seed, settings, extra))
            out["datasets"][ds] = {"name": display_name(name), "classes": rows,
                                   "mean_auc": _mean_auc(rows, sorted(steps))}
            out["wall_seconds"] = round(time.perf_counter() - t0, 1)
            if save is not None:
                save(out)
    return out


def _mean_auc(rows: list[dict], steps) -> dict:
    """The mean over classes of each step count's AUC (per precision where rows have one)."""
    def mean(get) -> dict:
        return {str(k): sum(get(r)[str(k)] for r in rows) / len(rows) for k in steps}

    first = rows[0]["auc"]
    if isinstance(next(iter(first.values())), dict):
        return {p: mean(lambda r, p=p: r["auc"][p]) for p in first}
    return mean(lambda r: r["auc"])
