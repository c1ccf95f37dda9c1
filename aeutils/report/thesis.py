"""The thesis's tables regenerated: AUC matrix, best per class, AVG row, curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from . import reference
from .records import CLASS_COLUMN, _clean_autoencoders, _config_order, add_config, same_dataset


# --- the thesis's tables -------------------------------------------------------------
def auc_matrix(df: pd.DataFrame, dataset: str, metric: str = "auc",
               mean_row: bool = True) -> pd.DataFrame:
    """Class × ``model/loss`` table of ``metric`` (mean over seeds) with a ``mean`` row."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return pd.DataFrame()
    m = d.pivot_table(index=CLASS_COLUMN, columns="config", values=metric, aggfunc="mean")
    m = m[_config_order(m.columns)]
    m.columns.name, m.index.name = None, "class"
    if mean_row:
        m.loc["mean"] = m.mean(axis=0)
    return m


def best_per_class(df: pd.DataFrame, dataset: str, by: str = "auc",
                   class_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Per class, the autoencoder configuration with the highest ``by`` (thesis-style:
    ``by="auc"`` selects on the test set, so the result is optimistic)."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return pd.DataFrame()
    metrics = [c for c in ("auc", "val_auc", "accuracy", "balanced_accuracy", "oracle_accuracy",
                           "ap") if c in d]
    g = d.groupby([CLASS_COLUMN, "model", "loss", "config"], as_index=False).agg(
        **{m: (m, "mean") for m in metrics}, key=("key", "first"), epoch=("epoch", "first"))
    g["n_configs"] = g.groupby(CLASS_COLUMN)["config"].transform("nunique")
    best = g.loc[g.groupby(CLASS_COLUMN)[by].idxmax()].rename(columns={CLASS_COLUMN: "class"})
    if class_names is not None:
        best.insert(1, "class_name", [class_names[int(c)] for c in best["class"]])
    best["selected_on"] = "test" if by == "auc" else by
    return best.reset_index(drop=True)


def best_single_config(df: pd.DataFrame, dataset: str | None = None, by: str = "auc") -> dict:
    """The autoencoder configuration with the best mean ``by`` over classes, with its means."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return {}
    cols = [c for c in ("auc", "val_auc", "accuracy", "balanced_accuracy", "oracle_accuracy")
            if c in d]
    g = d.groupby(["model", "loss", "config"], as_index=False)[cols].mean()
    g["n_classes"] = d.groupby(["model", "loss", "config"])[CLASS_COLUMN].nunique().to_numpy()
    return g.loc[g[by].idxmax()].to_dict()


def compare_with_thesis(ours: pd.DataFrame, thesis_dataset: str,
                        best_single: Mapping | None = None,
                        expected_configs: int | None = None) -> pd.DataFrame:
    """Our best configuration per class (from :func:`best_per_class`) beside the thesis's.

    One row per thesis class, whether measured yet or not: ``status`` says how many of
    the ``expected_configs`` configurations a measured row was chosen from, or
    ``missing``; nothing is filled in or extrapolated. Then the mean over the measured
    classes and, given ``best_single`` (:func:`best_single_config`), the ``AVG`` row.
    Accuracy: the thesis does not say how its threshold was set; ours uses the 95th
    percentile of validation-normal scores. Beside it, balanced accuracy at the same
    threshold (blind to the 9:1 class ratio of a one-vs-rest test set, where calling
    everything anomalous scores 0.90 accuracy) and the oracle accuracy (best threshold
    on the test set: an upper bound).
    """
    th = reference.thesis_best_per_class(thesis_dataset)
    th = th.rename(columns={"model": "thesis_model", "loss": "thesis_loss",
                            "accuracy": "thesis_accuracy", "auc": "thesis_auc"})
    o = ours.rename(columns={"model": "our_model", "loss": "our_loss", "auc": "our_auc",
                             "accuracy": "our_accuracy", "oracle_accuracy": "our_oracle_accuracy",
                             "balanced_accuracy": "our_balanced_accuracy"})
    keep = [c for c in ("class", "our_model", "our_loss", "our_auc", "our_accuracy",
                        "our_balanced_accuracy", "our_oracle_accuracy", "n_configs") if c in o]
    t = th[["class", "class_name", "thesis_model", "thesis_loss", "thesis_accuracy",
            "thesis_auc"]].merge(o[keep], on="class", how="left")
    for col in ("our_auc", "our_accuracy", "our_balanced_accuracy", "our_oracle_accuracy"):
        if col not in t:
            t[col] = np.nan
    t["status"] = ["missing" if pd.isna(a) else
                   (f"{int(n)}/{expected_configs} configs" if expected_configs else "measured")
                   for a, n in zip(t["our_auc"], t.get("n_configs", pd.Series([0] * len(t))))]
    t["class"] = [f"{c} {n}" if str(c) != n else str(c) for c, n in zip(t["class"], t["class_name"])]
    t["delta_auc"] = t["our_auc"] - t["thesis_auc"]
    t["delta_accuracy"] = t["our_accuracy"] - t["thesis_accuracy"]
    cols = ["class", "thesis_model", "thesis_loss", "thesis_auc", "our_model", "our_loss",
            "our_auc", "delta_auc", "thesis_accuracy", "our_accuracy", "delta_accuracy",
            "our_balanced_accuracy", "our_oracle_accuracy", "status"]
    t = t[cols]
    nums = ["thesis_auc", "our_auc", "delta_auc", "thesis_accuracy", "our_accuracy",
            "delta_accuracy", "our_balanced_accuracy", "our_oracle_accuracy"]
    measured = t[t["status"] != "missing"]
    mean = {"class": f"mean of the {len(measured)} measured classes",
            **measured[nums].mean().to_dict(), "status": f"{len(measured)}/{len(t)} classes"}
    rows = [t, pd.DataFrame([mean])]
    if best_single:
        avg = reference.thesis_best_single(thesis_dataset)
        n_cls = best_single.get("n_classes")
        rows.append(pd.DataFrame([{
            "class": "AVG (best single config)", "thesis_model": avg["model"],
            "thesis_loss": avg["loss"], "thesis_auc": avg["auc"],
            "our_model": best_single["model"], "our_loss": best_single["loss"],
            "our_auc": best_single["auc"], "delta_auc": best_single["auc"] - avg["auc"],
            "thesis_accuracy": avg["accuracy"], "our_accuracy": best_single.get("accuracy"),
            "delta_accuracy": (best_single["accuracy"] - avg["accuracy"]
                               if best_single.get("accuracy") is not None else np.nan),
            "our_balanced_accuracy": best_single.get("balanced_accuracy"),
            "our_oracle_accuracy": best_single.get("oracle_accuracy"),
            "status": f"mean over {n_cls} classes" if n_cls is not None else ""}]))
    return pd.concat(rows, ignore_index=True)


def validation_selected(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Per class, the autoencoder configuration with the best mean *validation* AUC over
    seeds, with its test AUC (mean, std over seeds): a selection that reads no test labels."""
    d = _clean_autoencoders(df, dataset)
    if d.empty or "val_auc" not in d:
        return pd.DataFrame()
    g = d.groupby([CLASS_COLUMN, "config"]).agg(
        val_auc=("val_auc", "mean"), auc=("auc", "mean"), std=("auc", "std"),
        n=("seed", "nunique")).reset_index()
    best = g.loc[g.groupby(CLASS_COLUMN)["val_auc"].idxmax()]
    return best.rename(columns={CLASS_COLUMN: "class"}).reset_index(drop=True)


# --- curves --------------------------------------------------------------------------
def contamination_curve(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Test AUC per (configuration, contamination %, class), one-vs-rest rows of ``dataset``."""
    d = add_config(df)
    if d.empty:
        return d
    d = d[same_dataset(d, dataset) & (d["protocol"] == reference.ONE_VS_REST)]
    cols = ["config", "contamination", CLASS_COLUMN]
    return d.groupby(cols, as_index=False)["auc"].mean().sort_values(cols).reset_index(drop=True)


def epoch_curve(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Mean test AUC over classes per (autoencoder, loss, epoch), clean rows of ``dataset``."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return d
    out = d.groupby(["model", "loss", "config", "epoch"], as_index=False).agg(
        auc=("auc", "mean"), n_classes=(CLASS_COLUMN, "nunique"))
    return out.sort_values(["config", "epoch"]).reset_index(drop=True)


# --- seed noise ----------------------------------------------------------------------
def seed_spread(df: pd.DataFrame, dataset: str, epoch: int | None = None) -> pd.DataFrame:
    """Per (configuration, class): mean, std and count of test AUC over seeds at ``epoch``
    (each key's last stored epoch when None), for configurations run on two or more seeds.

    Pass the final records of the search and of the seed re-runs together."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return pd.DataFrame()
    if epoch is not None:
        d = d[d["epoch"] == epoch]
    g = d.groupby(["config", CLASS_COLUMN])["auc"].agg(["mean", "std", "count"]).reset_index()
    return g[g["count"] >= 2].rename(columns={CLASS_COLUMN: "class"}).reset_index(drop=True)


def class_noise(spread: pd.DataFrame) -> pd.Series:
    """Per class, the seed std pooled over the configurations run on several seeds (root
    mean square): the noise estimate for a cell whose own configuration has one seed."""
    if spread.empty:
        return pd.Series(dtype=float)
    return spread.groupby("class")["std"].apply(lambda s: float(np.sqrt((s ** 2).mean())))


def config_seed_means(df: pd.DataFrame, dataset: str, config: str,
                      epoch: int | None = None) -> dict:
    """A configuration's mean AUC over classes per seed, summarised: mean and std over the
    seeds that cover every class the configuration ran on (the AVG row's noise)."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return {}
    d = d[d["config"] == config]
    if epoch is not None:
        d = d[d["epoch"] == epoch]
    n_classes = d[CLASS_COLUMN].nunique()
    per_seed = d.groupby("seed").filter(lambda g: g[CLASS_COLUMN].nunique() == n_classes)
    means = per_seed.groupby("seed")["auc"].mean()
    if len(means) < 2:
        return {}
    return {"mean": float(means.mean()), "std": float(means.std()), "seeds": len(means)}


def _class_index(label) -> int | None:
    head = str(label).split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def mark_seed_noise(table: pd.DataFrame, best: pd.DataFrame, spread: pd.DataFrame,
                    avg: Mapping | None = None, factor: float = 2.0) -> pd.DataFrame:
    """Add the seed noise to a :func:`compare_with_thesis` table.

    On a class row, ``seed_std`` is the std over seeds of the chosen configuration on that
    class when it ran on several seeds (``noise_from`` = "own"), else the class's pooled
    std (:func:`class_noise`, "pooled"); on the AVG row it is ``avg``'s
    (:func:`config_seed_means`). ``beyond_noise`` says whether |Δ AUC| exceeds
    ``factor`` × ``seed_std``; rows without an estimate leave these empty."""
    t = table.copy()
    own = {(r["config"], int(r["class"])): (r["mean"], r["std"], int(r["count"]))
           for r in spread.to_dict("records")}
    pooled = class_noise(spread)
    chosen = {int(r["class"]): r["config"] for r in best.to_dict("records")}
    rows = []
    for label, delta in zip(t["class"], t["delta_auc"]):
        cls = _class_index(label)
        mean, std, n, source = np.nan, np.nan, np.nan, ""
        if cls is not None and (chosen.get(cls), cls) in own:
            (mean, std, n), source = own[(chosen[cls], cls)], "own"
        elif cls is not None and cls in pooled.index:
            std, source = pooled[cls], "pooled"
        elif str(label).startswith("AVG") and avg:
            mean, std, n, source = avg["mean"], avg["std"], avg["seeds"], "own"
        beyond = bool(abs(delta) > factor * std) if source and pd.notna(delta) else None
        rows.append((mean, n, std, source, beyond))
    extra = pd.DataFrame(rows, columns=["seed_mean_auc", "seeds", "seed_std", "noise_from",
                                        "beyond_noise"], index=t.index)
    return pd.concat([t, extra], axis=1)


def with_seed_noise(table: pd.DataFrame, best: pd.DataFrame, single: Mapping,
                    final: pd.DataFrame, seeds: pd.DataFrame | None, dataset: str) -> pd.DataFrame:
    """:func:`compare_with_thesis`'s table with the seed noise of :func:`mark_seed_noise`,
    from the search's final records (seed 0) and the seed re-runs' (``seeds``, any seeds
    of any configurations), compared at the search's last epoch. Without seed re-runs the
    table comes back with the noise columns empty."""
    frames = [f for f in (final, seeds) if f is not None and not f.empty]
    both = pd.concat(frames, ignore_index=True) if frames else final
    clean = _clean_autoencoders(both, dataset)
    epoch = int(clean["epoch"].max()) if not clean.empty else None
    spread = seed_spread(both, dataset, epoch)
    avg = config_seed_means(both, dataset, single["config"], epoch) if single else {}
    return mark_seed_noise(table, best, spread, avg)


# --- what the evaluation notebook shows and records ----------------------------------
def thesis_tables(final: pd.DataFrame, dataset: str, thesis_dataset: str,
                  class_names: Sequence[str], expected_configs: int | None = None
                  ) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """(best per class on test, best single configuration, the thesis-table beside the
    thesis's numbers) for one dataset: the thesis's selection, labelled as optimistic."""
    best = best_per_class(final, dataset, class_names=class_names)
    single = best_single_config(final, dataset)
    table = compare_with_thesis(best, thesis_dataset, single, expected_configs=expected_configs)
    return best, single, table


def thesis_numbers(best: pd.DataFrame, single: Mapping, table: pd.DataFrame) -> dict:
    """The numbers file's entries for :func:`thesis_tables`' result (mean row by its name,
    not its position)."""
    mean = table[table["class"].astype(str).str.startswith("mean of")].iloc[0]
    per_class = table[~table["class"].astype(str).str.startswith(("mean of", "AVG"))]
    return {"mean_auc_best_per_class": float(best["auc"].mean()),
            "thesis_mean_auc_best_per_class": float(mean["thesis_auc"]),
            "measured_classes": int((per_class["status"] != "missing").sum()),
            "mean_balanced_accuracy_best_per_class": float(mean["our_balanced_accuracy"]),
            "mean_accuracy_best_per_class": float(mean["our_accuracy"]),
            "best_per_class": {str(r["class"]): {"config": r["config"], "auc": r["auc"]}
                               for r in best.to_dict("records")},
            "best_single_config": single["config"], "mean_auc_best_single": float(single["auc"]),
            "thesis_table": table.to_dict("records")}


def roc_panels(store, best: pd.DataFrame, class_names: Sequence[str]) -> dict:
    """``label → (fpr, tpr, auc)`` for the best configuration of each class (stored scores)."""
    from ..detectors.metrics import roc_points

    curves = {}
    for r in best.to_dict("records"):
        s = store.load_scores(r["key"], r["epoch"])
        fpr, tpr = roc_points(s["scores"], s["labels"])
        curves[f"{class_names[r['class']]}: {r['config']}"] = (fpr, tpr, r["auc"])
    return curves


def score_panels(store, final: pd.DataFrame, dataset: str, config: str,
                 class_names: Sequence[str]) -> dict:
    """``label → (scores, labels)`` per normal class for one configuration (stored scores)."""
    rows = final[same_dataset(final, dataset) & (final["config"] == config)]
    panels = {}
    for r in rows.sort_values(CLASS_COLUMN).to_dict("records"):
        s = store.load_scores(r["key"], r["epoch"])
        panels[f"class {class_names[r[CLASS_COLUMN]]} (AUC {r['auc']:.3f})"] = (
            s["scores"], s["labels"])
    return panels


def contamination_numbers(curve: pd.DataFrame) -> dict:
    """``config → {contamination %: mean AUC over classes}`` of :func:`contamination_curve`."""
    means = curve.groupby(["config", "contamination"])["auc"].mean()
    return {c: {f"{p:g}": float(v) for (cc, p), v in means.items() if cc == c}
            for c in curve["config"].unique()}


def epoch_numbers(curve: pd.DataFrame) -> dict:
    """``config → {epoch: mean AUC}`` of :func:`epoch_curve`."""
    return {c: {str(int(e)): float(a) for e, a in zip(p["epoch"], p["auc"])}
            for c, p in curve.groupby("config")}


THRESHOLD_NOTE = ("The thesis does not say how its accuracy threshold was set; ours is the 95th "
                  "percentile of validation-normal scores, with balanced accuracy at the same "
                  "threshold beside it (a test set that is 90 % anomalies gives 0.90 accuracy to "
                  "'all anomalous'); oracle accuracy is an upper bound read from test labels. "
                  "'status' says which cells are still missing.")
