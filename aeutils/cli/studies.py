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
