"""Measured rows beside the literature, selection optimism."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..experiments.selection import STRATEGIES
from ..registry import AUTOENCODERS, METHOD_NOTES
from . import reference
from .records import CLASS_COLUMN, _clean_autoencoders, add_config, same_dataset
from .thesis import best_per_class, best_single_config, validation_selected


# --- measured vs literature ----------------------------------------------------------
def _span(values) -> str:
    v = sorted({int(x) for x in values})
    return f"{v[0]:,}" if len(v) == 1 else f"{v[0]:,}–{v[-1]:,}"


def run_settings(records: pd.DataFrame) -> str:
    """How the runs behind a row were made, e.g. ``1,000 training images per class, 10
    epochs, 2,000 test images, seeds 1, 2, 3`` (pre-training epochs where there were any,
    "one fit" for one-shot baselines). Fields a record lacks are left out."""
    from ..registry import BASELINE_OPTIONS, ONE_SHOT

    if records is None or records.empty:
        return ""
    parts = []
    if "n_train_normal" in records:
        parts.append(f"{_span(records['n_train_normal'])} training images per class")
    if set(records["model"]) <= set(ONE_SHOT):
        parts.append("one fit")
    else:
        extras = records["extra"] if "extra" in records else [None] * len(records)
        options = [{**BASELINE_OPTIONS.get(m, {}), **(e if isinstance(e, dict) else {})}
                   for m, e in zip(records["model"], extras)]
        pre = {o["pretrain_epochs"] for o in options if "pretrain_epochs" in o}
        epochs = _span(records["epoch"])
        epochs += " epoch" if epochs == "1" else " epochs"
        parts.append(f"{_span(pre)} pre-training + {epochs}" if pre else epochs)
        drops = {(o.get("lr_drop_pretrain"), o.get("lr_drop_svdd")) for o in options}
        if len(drops) == 1:  # one schedule behind the row (mixed ones are not summarised)
            said = [f"{e} of {stage}" for e, stage in zip(*drops, ("pre-training", "training"))
                    if e]
            if said:
                parts.append("lr × 0.1 after epoch " + " and ".join(said))
        parts += _search_settings(options)
    if "n_test" in records:
        parts.append(f"{_span(records['n_test'])} test images")
    seeds = sorted({int(x) for x in records["seed"]})
    text = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
    if CLASS_COLUMN in records:  # a grid still running: not every class has every seed yet
        per_class = records.groupby(CLASS_COLUMN)["seed"].nunique()
        if per_class.nunique() > 1:
            text += f" ({_span(per_class)} per class)"
    parts.append(text)
    return ", ".join(parts)


def _search_settings(options: list[dict]) -> list[str]:
    """A latent search's length and arithmetic (AnoGAN), e.g. ``250-step search in bf16``;
    nothing for methods without one."""
    steps = {o["iterations"] for o in options if "iterations" in o}
    if not steps:
        return []
    precisions = sorted({o.get("search_precision") or "fp32" for o in options})
    return [f"{_span(steps)}-step search in {' and '.join(precisions)}"]


def _note_missing_classes(rows: pd.DataFrame) -> pd.DataFrame:
    """Say on each row that rests on fewer classes than the table has which ones it has: its
    mean is over those classes only (a grid still running, or a baseline left out)."""
    every = set(rows["class"])
    have = rows.groupby(["method", "protocol"])["class"].agg(lambda c: sorted(set(c)))
    for (method, protocol), classes in have.items():
        if len(classes) < len(every):
            mine = (rows["method"] == method) & (rows["protocol"] == protocol)
            note = (f"class{'es' if len(classes) > 1 else ''} "
                    f"{', '.join(str(int(c)) for c in classes)} only "
                    f"({len(classes)} of {len(every)})")
            rows.loc[mine, "settings"] = [f"{s}, {note}" if s else note
                                          for s in rows.loc[mine, "settings"]]
    return rows


def measured_rows(main: pd.DataFrame, dataset: str, baselines: pd.DataFrame | None = None,
                  selections: Mapping[str, pd.DataFrame | None] | None = None,
                  ensembles: Sequence[Mapping] | None = None) -> pd.DataFrame:
    """This project's per-class rows, long form: method, protocol, selection, settings, class,
    auc, std, n (``settings``: :func:`run_settings` of the runs behind the row).

    From ``main`` (the autoencoder grid): the best of the grid per class (selected
    on test, optimistic), the best single configuration, and the per-class
    validation-selected configuration. From ``selections`` (strategy name → records of
    its derived block: the chosen configuration re-run on seeds that did not choose it)
    one row per strategy with mean ± std over those seeds, saying whether anomaly
    labels took part. From ``ensembles`` (:func:`aeutils.experiments.ensemble.ensemble_summary`
    of this dataset) the ensemble of every configuration at the search's last epoch. From
    ``baselines``: each (method, protocol), mean ± std over seeds.
    """
    parts = _grid_rows(main, dataset)
    for name, records in (selections or {}).items():
        d = _clean_autoencoders(records, dataset) if records is not None else pd.DataFrame()
        if not d.empty:
            parts.append(_selection_rows(name, d))
    ensemble = _ensemble_rows(ensembles, main, dataset)
    if ensemble is not None:
        parts.append(ensemble)
    for p in parts:
        p["protocol"] = reference.ONE_VS_REST
    if baselines is not None and not baselines.empty:
        b = baselines[same_dataset(baselines, dataset)]
        if not b.empty:
            parts.append(_baseline_rows(b))
    columns = ["method", "protocol", "selection", "settings", "class", "auc", "std", "n"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    for col in ("std", "n"):
        if col not in out:
            out[col] = np.nan
    out["n"] = out["n"].fillna(1)
    return _note_missing_classes(out[columns].copy())


def _grid_rows(main: pd.DataFrame, dataset: str) -> list[pd.DataFrame]:
    """The autoencoder grid's rows: best per class on test, best single configuration,
    best per class on labelled validation."""
    best = best_per_class(main, dataset)
    if best.empty:
        return []
    clean = _clean_autoencoders(main, dataset)
    grid = run_settings(clean)
    n = clean["config"].nunique()
    parts = [best.assign(method=f"AE best of {n} per class (test-selected)",
                         selection="per class on the test set (optimistic)", settings=grid)]
    single = best_single_config(main, dataset)
    d = clean[clean["config"] == single["config"]].groupby(
        CLASS_COLUMN, as_index=False)["auc"].mean()
    parts.append(d.rename(columns={CLASS_COLUMN: "class"}).assign(
        method=f"AE best single config ({single['config']})",
        selection="one config, best mean on the test set", settings=grid))
    val = validation_selected(main, dataset)
    parts.append(val.assign(settings=grid, method="AE best per class on labelled validation",
                            selection="per class on labelled-validation AUC, reported on "
                                      "the seed that chose it"))
    return parts


def _selection_rows(name: str, d: pd.DataFrame) -> pd.DataFrame:
    """One strategy's derived block (its clean records ``d``): mean ± std over the seeds
    that took no part in the choice."""
    rule = STRATEGIES[name]
    g = d.groupby([CLASS_COLUMN, "config"]).agg(
        auc=("auc", "mean"), std=("auc", "std"), n=("seed", "nunique")).reset_index()
    seeds = ", ".join(str(int(x)) for x in sorted(d["seed"].unique()))
    config = "; ".join(sorted(set(g["config"])))
    labels = "anomaly labels" if rule.anomaly_labels else "no anomaly label"
    return g.rename(columns={CLASS_COLUMN: "class"}).assign(
        settings=run_settings(d),
        method=f"AE, {name} selection: {config}, epoch {int(d['epoch'].max())} "
               f"(seeds {seeds})",
        selection=f"{name}: one config per dataset on seed 0 ({labels}); mean ± std "
                  f"over seeds {seeds}, which took no part in the choice")


ENSEMBLE = "ensemble-validation"  # the ensemble a row and a figure report (no test scores read)


def reported_ensemble(ensembles: Sequence[Mapping] | None) -> Mapping | None:
    """The ensemble the comparison reports: every configuration, scores put on a common
    scale by validation normals alone, at the search's last epoch (fixed in advance)."""
    mine = [e for e in ensembles or [] if e.get("strategy") == ENSEMBLE]
    return max(mine, key=lambda e: e["epoch"]) if mine else None


def ensemble_name(e: Mapping) -> str:
    return f"AE ensemble of all {e['members']} configurations, epoch {e['epoch']} (no choice)"


def _ensemble_rows(ensembles: Sequence[Mapping] | None, main: pd.DataFrame,
                   dataset: str) -> pd.DataFrame | None:
    """The reported ensemble's per-class rows, with the settings of the runs it averages."""
    e = reported_ensemble(ensembles)
    if e is None or not e.get("per_class"):
        return None
    clean = _clean_autoencoders(main, dataset) if main is not None else pd.DataFrame()
    runs = clean[(clean["epoch"] == e["epoch"]) & (clean["seed"] == e.get("seed", 0))] \
        if not clean.empty else clean
    return pd.DataFrame({"class": [int(c) for c in e["per_class"]],
                         "auc": list(e["per_class"].values())}).assign(
        method=ensemble_name(e), settings=run_settings(runs),
        selection="none: the mean of every configuration's scores, each on the scale of its "
                  "validation normals (no label)")


def _baseline_rows(b: pd.DataFrame) -> pd.DataFrame:
    """Each baseline (method, protocol) of one dataset: mean ± std over seeds."""
    b = add_config(b)
    g = b.groupby(["config", "protocol", CLASS_COLUMN]).agg(
        auc=("auc", "mean"), std=("auc", "std"), n=("seed", "nunique")).reset_index()
    settings = {k: run_settings(part) for k, part in b.groupby(["config", "protocol"])}
    g["settings"] = [settings[(c, p)] for c, p in zip(g["config"], g["protocol"])]
    g["config"] = [f"{c} ({METHOD_NOTES[c]})" if c in METHOD_NOTES else c for c in g["config"]]
    return g.rename(columns={"config": "method", CLASS_COLUMN: "class"}).assign(
        selection="fixed settings")


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
    if "settings" not in measured:
        measured = measured.assign(settings="")
    for (method, protocol, selection, settings), part in measured.groupby(
            ["method", "protocol", "selection", "settings"], sort=False):
        aucs = part.set_index("class")["auc"].reindex(range(n))
        how = settings or note  # the row's own runs; the profile's note as a fallback
        rows.append({"method": method, "protocol": protocol, "data": data_label,
                     **dict(zip(class_names, aucs)), "mean": aucs.mean(),
                     "source": f"{reference.MEASURED_HERE} ({how})" if how
                     else reference.MEASURED_HERE,
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


def comparison_numbers(table: pd.DataFrame, measured: pd.DataFrame) -> dict:
    """What notebook 05 writes per dataset: each measured row's mean AUC and the settings
    of its runs, both keyed ``"method [protocol]"``."""
    mine = table[~reference.quoted(table)]
    mean_auc = {f"{r['method']} [{r['protocol']}]": r["mean"] for r in mine.to_dict("records")}
    return {"mean_auc": mean_auc,
            "settings": {f"{m} [{p}]": s for (m, p), s in row_settings(measured).items()}}


def row_settings(measured: pd.DataFrame) -> dict[tuple[str, str], str]:
    """How the runs behind each measured row were made, keyed ``(method, protocol)`` (what
    the comparison figures mark their bars and lines with)."""
    if measured is None or measured.empty or "settings" not in measured:
        return {}
    return dict(measured.groupby(["method", "protocol"], sort=False)["settings"].first())


def per_class_long(table: pd.DataFrame, class_names: Sequence[str],
                   measured: pd.DataFrame | None = None,
                   protocols: Sequence[str] = (reference.ONE_VS_REST,)) -> pd.DataFrame:
    """Rows of ``table`` with per-class values, long form (method, class, auc, std, quoted,
    data, selection), for a per-class chart; only the given protocols; ``std`` from
    ``measured`` where there are seeds; ``quoted`` marks rows taken from papers rather than
    measured here."""
    t = table[table["protocol"].isin(protocols)]
    t = t.assign(quoted=reference.quoted(t), data=t["data"] if "data" in t else "",
                 selection=t["selection"].fillna("") if "selection" in t else "")
    long = t.melt(id_vars=["method", "protocol", "quoted", "data", "selection"],
                  value_vars=list(class_names), var_name="name",
                  value_name="auc").dropna(subset=["auc"])
    long["class"] = long["name"].map({c: i for i, c in enumerate(class_names)})
    long["std"] = np.nan
    if measured is not None and not measured.empty:
        same = measured[measured["protocol"].isin(protocols)]  # a method may run in both
        std = same.set_index(["method", "class"])["std"]
        long["std"] = [std.get((m, c), np.nan) for m, c in zip(long["method"], long["class"])]
    return long[["method", "protocol", "class", "auc", "std", "quoted", "data", "selection"]]


def baseline_curves(checkpoints: pd.DataFrame, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convergence of the iterative baselines of ``dataset``: (mean test AUC per method,
    protocol and checkpoint epoch, with the number of normal classes it averages; mean
    training loss per method, protocol and epoch, from each run's last record). Empty frames
    when the records hold no such baseline."""
    empty = pd.DataFrame(columns=["method", "protocol", "epoch", "value"])
    if checkpoints is None or checkpoints.empty or "loss_curve" not in checkpoints:
        return empty, empty
    d = checkpoints[same_dataset(checkpoints, dataset) & checkpoints["loss_curve"].notna()
                    & ~checkpoints["model"].isin(list(AUTOENCODERS))]
    if d.empty:
        return empty, empty
    auc = d.groupby(["model", "protocol", "epoch"], as_index=False).agg(
        value=("auc", "mean"), classes=("normal_class", "nunique"))
    auc = auc.rename(columns={"model": "method"})
    last = d.sort_values("epoch").groupby("key").tail(1)
    losses = [{"method": r["model"], "protocol": r["protocol"], "epoch": i + 1, "value": v}
              for r in last.to_dict("records") for i, v in enumerate(r["loss_curve"])]
    loss = pd.DataFrame(losses).groupby(["method", "protocol", "epoch"], as_index=False).mean()
    return auc, loss


def loss_flatness(loss: pd.DataFrame, tail: float = 0.1) -> dict:
    """Per ``method [protocol]`` of a :func:`baseline_curves` loss frame: epochs, first and
    last mean training loss, and ``tail_drop``, the fraction by which the loss fell over
    the last ``tail`` of the epochs (at least one). A plateau reads near 0; Deep SVDD's
    one-class loss, which shrinks the sphere for as long as it trains, does not."""
    out = {}
    for (method, protocol), g in loss.groupby(["method", "protocol"]):
        v = g.sort_values("epoch")["value"].to_numpy(dtype=float)
        k = max(1, round(tail * len(v)))
        drop = 1.0 - v[-1] / v[-1 - k] if len(v) > k and v[-1 - k] != 0 else float("nan")
        out[f"{method} [{protocol}]"] = {"epochs": len(v), "first": float(v[0]),
                                         "last": float(v[-1]), "tail_epochs": k,
                                         "tail_drop": float(drop)}
    return out


def convergence_numbers(auc: pd.DataFrame, loss: pd.DataFrame) -> dict:
    """What notebook 05 records of :func:`baseline_curves` per ``method [protocol]``: AUC by
    checkpoint epoch, the loss summary (:func:`loss_flatness`) and the fewest normal classes
    a checkpoint's mean rests on (a grid still running)."""
    groups = auc.groupby(["method", "protocol"])
    return {"baseline_auc_by_epoch": {
                f"{m} [{p}]": {str(int(e)): float(v) for e, v in zip(g["epoch"], g["value"])}
                for (m, p), g in groups},
            "baseline_loss": loss_flatness(loss),
            "baseline_classes": {f"{m} [{p}]": int(g["classes"].min()) for (m, p), g in groups}}


def budget_check(base: pd.DataFrame, longer: pd.DataFrame, dataset: str) -> dict:
    """A baseline trained longer (``longer``: the records of its runs) beside the same
    method, protocol, classes and seeds at a grid's budget (taken from ``base``). Per
    budget (``grid``, ``longer``): its settings and run keys, the mean test AUC by
    checkpoint and the loss summary (:func:`convergence_numbers`), and the test AUC of each
    class at its last epoch with their mean; ``gain``: how much higher the longer budget's
    mean is."""
    longer = longer[same_dataset(longer, dataset)]
    runs = longer[["model", "protocol", "normal_class", "seed"]].drop_duplicates()
    base = base[same_dataset(base, dataset)].merge(runs, on=list(runs.columns))
    out: dict = {"classes": sorted(int(c) for c in longer["normal_class"].unique()),
                 "seeds": sorted(int(s) for s in longer["seed"].unique())}
    for name, d in (("grid", base), ("longer", longer)):
        if d.empty:
            continue
        last = d[d["epoch"] == d.groupby("key")["epoch"].transform("max")]
        per_class = last.groupby("normal_class")["auc"].mean()
        out[name] = {"settings": run_settings(last), "keys": sorted(set(d["key"])),
                     **convergence_numbers(*baseline_curves(d, dataset)),
                     "auc_last": {str(int(c)): float(a) for c, a in per_class.items()},
                     "mean_auc_last": float(per_class.mean())}
    if "grid" in out and "longer" in out:
        out["gain"] = out["longer"]["mean_auc_last"] - out["grid"]["mean_auc_last"]
    return out


def _seed_stats(records: pd.DataFrame) -> dict:
    """Seeds, mean ± std over seeds of the class-mean test AUC, and classes of ``records``;
    ``even``: every class ran on every seed (else the seeds' class-means average different
    classes, and their std says little: a grid still running)."""
    from ..experiments.selection import seed_summary

    summary = seed_summary(records.to_dict("records")).set_index("normal_class")
    seeds = records.groupby("normal_class")["seed"].agg(frozenset)
    return {"seeds": sorted(int(x) for x in records["seed"].unique()),
            "mean_auc": float(summary.loc["all", "mean"]),
            "std_auc": float(summary.loc["all", "std"]),
            "classes": int(records["normal_class"].nunique()),
            "even": bool(seeds.nunique() == 1)}


def selection_summary(selections: Mapping[str, pd.DataFrame | None], dataset: str) -> dict:
    """Per strategy: the chosen config and epoch, the seeds it was re-run on, and mean ± std
    over those seeds of the class-mean test AUC (what notebook 05 and docs/results.md report)."""
    out = {}
    for name, records in selections.items():
        mine = records[same_dataset(records, dataset)] if records is not None and not \
            records.empty else None
        if mine is None or mine.empty:
            continue
        out[name] = {"config": "; ".join(sorted(set(mine["model"] + "/" + mine["loss"]))),
                     "epoch": int(mine["epoch"].max()), **_seed_stats(mine)}
    return out


def baseline_summary(baselines: pd.DataFrame | None, dataset: str) -> dict:
    """Per baseline row, keyed ``"method [protocol]"`` as in :func:`comparison_numbers`: its
    seeds and mean ± std over them of the class-mean test AUC, as for the selections."""
    if baselines is None or baselines.empty:
        return {}
    b = baselines[same_dataset(baselines, dataset)]
    if b.empty:
        return {}
    return {f"{config} [{protocol}]": _seed_stats(part)
            for (config, protocol), part in add_config(b).groupby(["config", "protocol"])}


# --- what the comparison figures draw ------------------------------------------------
def measured_overview(tables: Mapping[str, pd.DataFrame],
                      labels: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """Per dataset, the measured rows of its :func:`comparison_table` with a ``note`` column,
    plus a row (mean left empty) for every other method measured on another dataset only,
    whose note says it was not measured here, so a figure never drops a method silently.
    Autoencoder rows name their pick, which differs per dataset, and are not carried over."""
    mine = {k: t[~reference.quoted(t)].assign(note="") for k, t in tables.items()}
    seen = {(m, p) for t in mine.values() for m, p in zip(t["method"], t["protocol"])
            if not str(m).startswith("AE")}
    out = {}
    for key, t in mine.items():
        have = set(zip(t["method"], t["protocol"]))
        missing = [{"method": m, "protocol": p, "data": labels[key], "mean": np.nan,
                    "classes": 0, "note": f"not measured on {labels[key]}"}
                   for m, p in sorted(seen - have)]
        out[key] = pd.concat([t, pd.DataFrame(missing)], ignore_index=True) if missing else t
    return out


def _method_key(method: str) -> str:
    """A method's name without its note, case, hyphens or spaces: ``deep-svdd`` (measured)
    and ``Deep SVDD`` (quoted) are one method."""
    return re.sub(r"[\s-]", "", str(method).split(" (")[0]).lower()


def replication(table: pd.DataFrame, class_names: Sequence[str]) -> pd.DataFrame:
    """Each method measured here that a quoted row of the same protocol also reports, long
    form: method (as quoted), protocol, class, name, origin (``measured here`` or
    ``quoted``), auc, source; both rows' every class, in the quoted rows' order."""
    names = list(class_names)
    is_quoted = reference.quoted(table)
    mine = table[~is_quoted]
    parts = []
    for q in table[is_quoted].to_dict("records"):
        same = mine[(mine["method"].map(_method_key) == _method_key(q["method"]))
                    & (mine["protocol"] == q["protocol"])]
        if same.empty:
            continue
        for origin, row in ((reference.MEASURED_HERE, same.iloc[0].to_dict()), ("quoted", q)):
            aucs = pd.Series([row[c] for c in names], dtype=float)
            parts.append(pd.DataFrame({"method": q["method"], "protocol": q["protocol"],
                                       "class": range(len(names)), "name": names,
                                       "origin": origin, "auc": aucs,
                                       "source": row["source"]}).dropna(subset=["auc"]))
    cols = ["method", "protocol", "class", "name", "origin", "auc", "source"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def replication_numbers(long: pd.DataFrame) -> list[dict]:
    """Per (method, protocol) of :func:`replication`, over the classes both rows have: how
    many, the measured and the quoted mean AUC, their difference (measured − quoted) and
    the largest difference of one class."""
    out = []
    for (method, protocol), part in long.groupby(["method", "protocol"], sort=False):
        wide = part.pivot(index="class", columns="origin", values="auc").dropna()
        if wide.empty:
            continue
        diff = wide[reference.MEASURED_HERE] - wide["quoted"]
        out.append({"method": method, "protocol": protocol, "classes": len(wide),
                    "measured_mean": float(wide[reference.MEASURED_HERE].mean()),
                    "quoted_mean": float(wide["quoted"].mean()),
                    "difference": float(diff.mean()),
                    "largest_difference": float(diff.abs().max())})
    return out


def best_on_test(checkpoints: pd.DataFrame, dataset: str) -> dict:
    """The configuration and epoch with the best mean test AUC over the ten classes on seed
    0, among the candidates a selection strategy chooses from (empty when the search is
    not complete): what the test set would pick, for comparison only."""
    from ..experiments.selection import select

    try:
        pick = select(checkpoints, dataset, by="test")
    except (ValueError, KeyError, AttributeError):
        return {}
    return {"model": pick["model"], "loss": pick["loss"], "epoch": int(pick["epoch"]),
            "auc": float(pick["auc"])}


def without_labels(selection: Mapping, ensembles: Sequence[Mapping] | None,
                   test_pick: Mapping | None, strategy: str = "label-free") -> pd.DataFrame:
    """The label-free pick (``selection``: :func:`selection_summary`; mean ± std over the
    seeds that did not choose it), the ensemble of every configuration
    (:func:`reported_ensemble`) and the best configuration and epoch picked on the test set
    (``test_pick``: :func:`best_on_test`), one row each, those that exist: method, auc,
    std, how (the row's settings), test_selected, classes."""
    rows = []
    s = selection.get(strategy)
    if s:
        seeds = ", ".join(map(str, s["seeds"]))
        rows.append({"method": f"{strategy} pick: {s['config']}, epoch {s['epoch']}",
                     "auc": s["mean_auc"], "std": s.get("std_auc"),
                     "how": f"mean ± std over seeds {seeds}, which took no part in the choice",
                     "test_selected": False, "classes": s.get("classes")})
    e = reported_ensemble(ensembles)
    if e:
        rows.append({"method": f"ensemble of all {e['members']} configurations, epoch "
                               f"{e['epoch']}", "auc": e["auc"], "std": np.nan,
                     "how": f"seed {e.get('seed', 0)}, no choice and no label",
                     "test_selected": False, "classes": e["classes"]})
    if test_pick:
        rows.append({"method": f"best on test: {test_pick['model']}/{test_pick['loss']}, "
                               f"epoch {test_pick['epoch']}", "auc": test_pick["auc"],
                     "std": np.nan, "how": "seed 0, picked on the test set (optimistic)",
                     "test_selected": True, "classes": 10})
    return pd.DataFrame(rows, columns=["method", "auc", "std", "how", "test_selected",
                                       "classes"])


def per_class_methods(table: pd.DataFrame, strategy: str = "label-free") -> list[str]:
    """The few measured one-vs-rest rows the per-class figure draws: the label-free pick,
    the ensemble, the best other method measured on every class (by mean) and the best
    single configuration picked on test, those that exist, in that order."""
    t = table[~reference.quoted(table) & (table["protocol"] == reference.ONE_VS_REST)]
    ae = t["method"].astype(str).str.startswith("AE")
    full = t["classes"] == t["classes"].max() if len(t) else ae
    picks = [t.loc[t["method"].str.startswith(f"AE, {strategy} selection"), "method"],
             t.loc[t["method"].str.startswith("AE ensemble"), "method"],
             t.loc[~ae & full].sort_values("mean", ascending=False)["method"],
             t.loc[t["method"].str.startswith("AE best single"), "method"]]
    return [p.iloc[0] for p in picks if len(p)]
