"""Measured rows beside the literature, selection optimism."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import reference
from ..registry import AUTOENCODERS
from ..selection import STRATEGIES
from .records import (
    CLASS_COLUMN,
    _clean_autoencoders,
    add_config,
    same_dataset,
)
from .thesis import best_per_class, best_single_config, validation_selected


# --- measured vs literature ----------------------------------------------------------
def measured_rows(main: pd.DataFrame, dataset: str, baselines: pd.DataFrame | None = None,
                  selections: Mapping[str, pd.DataFrame | None] | None = None) -> pd.DataFrame:
    """This project's per-class rows, long form: method, protocol, selection, class, auc, std, n.

    From ``main`` (the autoencoder grid): the best of the grid per class (selected
    on test, optimistic), the best single configuration, and the per-class
    validation-selected configuration. From ``selections`` (strategy name → records of
    its derived block: the chosen configuration re-run on seeds that did not choose it)
    one row per strategy with mean ± std over those seeds, saying whether anomaly
    labels took part. From ``baselines``: each (method, protocol), mean ± std over seeds.
    """
    parts = []
    best = best_per_class(main, dataset)
    if not best.empty:
        n = main.pipe(_clean_autoencoders, dataset)["config"].nunique()
        parts.append(best.assign(method=f"AE best of {n} per class (test-selected)",
                                 selection="per class on the test set (optimistic)"))
        single = best_single_config(main, dataset)
        d = _clean_autoencoders(main, dataset)
        d = d[d["config"] == single["config"]].groupby(CLASS_COLUMN, as_index=False)["auc"].mean()
        parts.append(d.rename(columns={CLASS_COLUMN: "class"}).assign(
            method=f"AE best single config ({single['config']})",
            selection="one config, best mean on the test set"))
        val = validation_selected(main, dataset)
        parts.append(val.assign(method="AE selected on validation",
                                selection="per class on validation AUC"))
    for name, records in (selections or {}).items():
        d = _clean_autoencoders(records, dataset) if records is not None else pd.DataFrame()
        if d.empty:
            continue
        rule = STRATEGIES[name]
        g = d.groupby([CLASS_COLUMN, "config"]).agg(
            auc=("auc", "mean"), std=("auc", "std"), n=("seed", "nunique")).reset_index()
        seeds = ", ".join(str(int(x)) for x in sorted(d["seed"].unique()))
        config = "; ".join(sorted(set(g["config"])))
        labels = "anomaly labels" if rule.anomaly_labels else "no anomaly label"
        parts.append(g.rename(columns={CLASS_COLUMN: "class"}).assign(
            method=f"AE, {name} selection: {config}, epoch {int(d['epoch'].max())} "
                   f"(seeds {seeds})",
            selection=f"{name}: one config per dataset on seed 0 ({labels}); mean ± std "
                      f"over seeds {seeds}, which took no part in the choice"))
    for p in parts:
        p["protocol"] = reference.ONE_VS_REST
    if baselines is not None and not baselines.empty:
        b = baselines[same_dataset(baselines, dataset)]
        if not b.empty:
            g = add_config(b).groupby(["config", "protocol", CLASS_COLUMN]).agg(
                auc=("auc", "mean"), std=("auc", "std"), n=("seed", "nunique")).reset_index()
            parts.append(g.rename(columns={"config": "method", CLASS_COLUMN: "class"}).assign(
                selection="fixed settings"))
    if not parts:
        return pd.DataFrame(columns=["method", "protocol", "selection", "class", "auc", "std", "n"])
    out = pd.concat(parts, ignore_index=True)
    for col in ("std", "n"):
        if col not in out:
            out[col] = np.nan
    out["n"] = out["n"].fillna(1)
    return out[["method", "protocol", "selection", "class", "auc", "std", "n"]]


def strategy_means(measured: pd.DataFrame) -> dict[str, dict]:
    """Per selection strategy in ``measured``: mean test AUC over classes, and the mean
    and std over seeds of the class-mean (seed-level numbers come from ``records``)."""
    out = {}
    for sel, part in measured.groupby("selection"):
        name = sel.split(":", 1)[0]
        if name in STRATEGIES:
            out[name] = {"method": part["method"].iloc[0], "mean_auc": float(part["auc"].mean()),
                         "classes": int(part["class"].nunique())}
    return out


def comparison_table(measured: pd.DataFrame, thesis_dataset: str | None, data_label: str,
                     class_names: Sequence[str], note: str = "") -> pd.DataFrame:
    """Measured rows (wide, one per method) above the literature rows, each with its
    protocol, data and source; mean over the classes present."""
    n = len(class_names)
    rows = []
    for (method, protocol, selection), part in measured.groupby(
            ["method", "protocol", "selection"], sort=False):
        aucs = part.set_index("class")["auc"].reindex(range(n))
        rows.append({"method": method, "protocol": protocol, "data": data_label,
                     **dict(zip(class_names, aucs)), "mean": aucs.mean(),
                     "source": f"measured here ({note})" if note else "measured here",
                     "selection": selection})
    table = pd.DataFrame(rows)
    if thesis_dataset in ("mnist", "cifar10"):
        lit = reference.wide(reference.reference_rows(thesis_dataset), thesis_dataset)
        lit.columns = ["method", "protocol", *class_names, "mean", "source", "secondary"]
        lit["data"] = reference.DATASET_LABELS[thesis_dataset]
        lit["source"] = [s + (f" ({sec})" if sec else "") for s, sec in
                         zip(lit["source"], lit["secondary"])]
        lit["selection"] = ""
        table = pd.concat([table, lit.drop(columns="secondary")], ignore_index=True)
    cols = ["method", "protocol", "data", *class_names, "mean", "classes", "selection", "source"]
    table = table.reindex(columns=cols)
    table["classes"] = table[list(class_names)].notna().sum(axis=1)
    return table


def per_class_long(table: pd.DataFrame, class_names: Sequence[str],
                   measured: pd.DataFrame | None = None,
                   protocols: Sequence[str] = (reference.ONE_VS_REST,)) -> pd.DataFrame:
    """Rows of ``table`` with per-class values, long form (method, class, auc, std), for a
    bar chart; only the given protocols; ``std`` from ``measured`` where there are seeds."""
    t = table[table["protocol"].isin(protocols)]
    long = t.melt(id_vars=["method"], value_vars=list(class_names), var_name="name",
                  value_name="auc").dropna(subset=["auc"])
    long["class"] = long["name"].map({c: i for i, c in enumerate(class_names)})
    long["std"] = np.nan
    if measured is not None and not measured.empty:
        same = measured[measured["protocol"].isin(protocols)]  # a method may run in both
        std = same.set_index(["method", "class"])["std"]
        long["std"] = [std.get((m, c), np.nan) for m, c in zip(long["method"], long["class"])]
    return long[["method", "class", "auc", "std"]]


def baseline_curves(checkpoints: pd.DataFrame, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convergence of the iterative baselines of ``dataset``: (mean test AUC per method,
    protocol and checkpoint epoch; mean training loss per method, protocol and epoch, from
    each run's last record). Empty frames when the records hold no such baseline."""
    empty = pd.DataFrame(columns=["method", "protocol", "epoch", "value"])
    if checkpoints is None or checkpoints.empty or "loss_curve" not in checkpoints:
        return empty, empty
    d = checkpoints[same_dataset(checkpoints, dataset) & checkpoints["loss_curve"].notna()
                    & ~checkpoints["model"].isin(list(AUTOENCODERS))]
    if d.empty:
        return empty, empty
    auc = d.groupby(["model", "protocol", "epoch"], as_index=False)["auc"].mean()
    auc = auc.rename(columns={"model": "method", "auc": "value"})
    last = d.sort_values("epoch").groupby("key").tail(1)
    losses = [{"method": r["model"], "protocol": r["protocol"], "epoch": i + 1, "value": v}
              for r in last.to_dict("records") for i, v in enumerate(r["loss_curve"])]
    loss = pd.DataFrame(losses).groupby(["method", "protocol", "epoch"], as_index=False).mean()
    return auc, loss


def selection_summary(selections: Mapping[str, pd.DataFrame | None], dataset: str) -> dict:
    """Per strategy: the chosen config and epoch, the seeds it was re-run on, and mean ± std
    over those seeds of the class-mean test AUC (what notebook 05 and the README report)."""
    from ..selection import seed_summary

    out = {}
    for name, records in selections.items():
        mine = records[same_dataset(records, dataset)] if records is not None and not \
            records.empty else None
        if mine is None or mine.empty:
            continue
        summary = seed_summary(mine.to_dict("records")).set_index("normal_class")
        out[name] = {"config": "; ".join(sorted(set(mine["model"] + "/" + mine["loss"]))),
                     "epoch": int(mine["epoch"].max()),
                     "seeds": sorted(int(x) for x in mine["seed"].unique()),
                     "mean_auc": float(summary.loc["all", "mean"]),
                     "std_auc": float(summary.loc["all", "std"]),
                     "classes": int(mine["normal_class"].nunique())}
    return out
