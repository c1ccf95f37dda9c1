"""How a user's results compare with the shipped ones, at three levels.

The same code on another machine (or the same machine with another thread layout) sums
floats in another order; through training that moves the AUC of a single run by up to a
few 1e-2 while nothing is wrong. A mean over ten classes moves far less, so the verdict
judges means, against the noise of a mean as measured, never chosen:

1. **runs**: per (key, epoch) pair both stores hold, the share identical and the median,
   95th percentile and largest |ΔAUC|, beside the largest single-run difference measured
   between two machines (:func:`float_noise_tolerance`);
2. **configuration means**: per (dataset, configuration, epoch), the mean over its runs
   (classes, seeds) in each store, against a tolerance: the largest difference of such
   means measured between two devices and two hosts (:func:`mean_noise`), or, where the
   shipped store holds several seeds of the configuration, two standard deviations of its
   class mean across seeds, if larger; the configurations beyond it are named;
3. **choices**: per dataset, the best single configuration and the best per class (both
   picked on test, as the thesis does), each label-free pick, and the headline numbers
   they lead to, each the same or changed (a change between candidates that lie within
   the noise of each other is a tie, said as such).

One line comes first: reproduced (every compared run identical), reproduced within noise,
or differs (and where). A dataset of the user's that the shipped store holds under another
identity (torchvision's CIFAR-10 against the JPEG copy) is named with its counterpart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..provenance import ROOT

AGREEMENT = ROOT / "benchmarks" / "results"
# What makes a configuration, beside its dataset: the fields of a run's record that the
# grid varies (class, seed and epoch are what a mean is taken over or kept apart by).
CONFIG_FIELDS = ("model", "loss", "score", "hidden", "latent_dim", "lr", "batch_size",
                 "max_train", "max_test", "protocol", "contamination", "val_fraction",
                 "precision", "extra")
SEED_SDS = 2.0  # a configuration mean may move by this many seed standard deviations


# --- the measured noise --------------------------------------------------------------
def _checks(reruns: bool = True) -> list[Path]:
    files = sorted(AGREEMENT.glob("device_agreement*.json"))
    return files + (sorted((ROOT / "results").glob("*/rerun_scores.json")) if reruns else [])


def float_noise_tolerance(path: str | Path | None = None, reruns: bool = True) -> float:
    """Largest |AUC difference| of a single run measured between two machines: in one
    numbers file of ``studies/device_agreement.py`` (GPU against CPU) or of
    ``studies/rerun_scores.py`` (a stored search against its re-run on another CPU host),
    or, by default, over all of them (``benchmarks/results/device_agreement*.json``, and
    ``results/*/rerun_scores.json`` unless ``reruns`` is false); 0.0 when none is there."""
    files = [Path(path)] if path is not None else _checks(reruns)
    return max((_largest(f) for f in files), default=0.0)


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _largest(path: Path) -> float:
    """A check's largest single-run difference: of each group (device agreement) or of the whole."""
    check = _read(path)
    groups = [g.get("max_abs_diff", 0.0) for g in check.get("groups", {}).values()]
    return float(max(groups or [check.get("max_abs_diff", 0.0)]))


def _largest_mean(path: Path) -> float | None:
    """A check's largest difference of a group mean (over its classes) between two
    machines: per group and epoch (device agreement), or as the re-run check records it."""
    check = _read(path)
    if "max_abs_mean_diff" in check:
        return float(check["max_abs_mean_diff"])
    diffs = [abs(e["mean_auc_gpu"] - e["mean_auc_cpu"]) for g in check.get("groups", {}).values()
             for e in g.get("per_epoch", {}).values() if "mean_auc_gpu" in e]
    return max(diffs) if diffs else None


def mean_noise(paths: Iterable[str | Path] | None = None) -> dict[str, float]:
    """Check file (relative to the repository where it lies there) → the largest difference
    of a configuration mean it measured between two machines; checks that record none are
    left out. Default: every device and re-run check (:func:`float_noise_tolerance`)."""
    out = {}
    for path in map(Path, paths if paths is not None else _checks()):
        value = _largest_mean(path)
        if value is not None:
            out[_shown(path)] = value
    return out


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# --- configurations --------------------------------------------------------------------
def _plain(value):
    """A record's field as a hashable, JSON-able value (NaN and missing alike)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    return value.item() if isinstance(value, np.generic) else value


def identity(row, fields: Iterable[str]) -> str:
    """One string per distinct value of ``fields`` in ``row`` (a record or a Series)."""
    return json.dumps({f: _plain(row.get(f)) for f in fields}, sort_keys=True, default=str)


def frame(records: list[dict]) -> pd.DataFrame:
    """Records as a table with ``config`` (dataset + :data:`CONFIG_FIELDS`) and ``label``
    (the dataset's display label) columns."""
    df = pd.DataFrame(records)
    if df.empty:
        return df
    df["epoch"] = df["epoch"].astype(int)
    df["config"] = [identity(r, ("dataset_id", *CONFIG_FIELDS)) for r in records]
    df["label"] = [r.get("dataset_label") or r.get("dataset_id") or r.get("dataset")
                   for r in records]
    return df


def _base(model: str, loss) -> str:
    from ..registry import AUTOENCODERS

    return f"{model}/{loss}" if model in AUTOENCODERS else str(model)


def _field_text(name: str, value) -> str:
    if name == "contamination":
        return f"contamination {value:g}%"
    if name == "protocol":
        return str(value)
    if name == "extra":
        return ", ".join(f"{k} {v}" for k, v in (value or {}).items()) or "default options"
    return f"{name} {value}"


def config_names(df: pd.DataFrame) -> dict[str, str]:
    """``config`` → a short name: model/loss, with the fields in which it differs from
    configurations of the same model and loss on its dataset (e.g. contamination)."""
    names = {}
    firsts = df.drop_duplicates("config")
    for _, group in firsts.groupby(["dataset_id", "model", "loss"], dropna=False):
        varying = [f for f in CONFIG_FIELDS if f in group and f not in ("model", "loss")
                   and group[f].map(lambda v: json.dumps(_plain(v), default=str)).nunique() > 1]
        for _, r in group.iterrows():
            extra = "; ".join(_field_text(f, _plain(r[f])) for f in varying)
            names[r["config"]] = _base(r["model"], r["loss"]) + (f" ({extra})" if extra else "")
    return names


# --- the three levels --------------------------------------------------------------------
@dataclass
class Verdict:
    """The verdict's first line, all its lines, and its numbers (for a numbers file)."""

    summary: str
    lines: list[str]
    numbers: dict = field(default_factory=dict)


def paired(mine: pd.DataFrame, shipped: pd.DataFrame) -> pd.DataFrame:
    """The (key, epoch) pairs both hold: the shipped row with ``auc_mine`` beside its ``auc``."""
    if mine.empty or shipped.empty:
        return pd.DataFrame()
    ours = mine.drop_duplicates(["key", "epoch"])[["key", "epoch", "auc"]]
    both = shipped.drop_duplicates(["key", "epoch"]).merge(
        ours.rename(columns={"auc": "auc_mine"}), on=["key", "epoch"])
    both["diff"] = both["auc_mine"].astype(float) - both["auc"].astype(float)
    return both


def run_level(pairs: pd.DataFrame, names: dict[str, str]) -> dict:
    """Per run: how many pairs, the share identical, median, 95th percentile and largest |ΔAUC|."""
    d = pairs["diff"].abs().to_numpy()
    worst = pairs.iloc[int(d.argmax())]
    return {"pairs": len(d), "identical": float((d == 0).mean()),
            "median_abs_diff": float(np.median(d)),
            "p95_abs_diff": float(np.percentile(d, 95)), "max_abs_diff": float(d.max()),
            "worst": f"{worst['label']} {names[worst['config']]} class "
                     f"{worst.get('normal_class')} epoch {worst['epoch']}",
            "single_run_noise": float_noise_tolerance()}


def seed_sd(shipped: pd.DataFrame) -> dict[tuple[str, int], float]:
    """(config, epoch) → the standard deviation across seeds of its class mean, where the
    store holds at least two seeds with the same classes."""
    out = {}
    for (config, epoch), g in shipped.groupby(["config", "epoch"]):
        if g["seed"].nunique() < 2:
            continue
        classes = g.groupby("seed")["normal_class"].agg(frozenset)
        common = classes.mode().iloc[0]
        means = g[g["seed"].isin(classes[classes == common].index)].groupby("seed")["auc"].mean()
        if len(means) >= 2:
            out[(config, int(epoch))] = float(means.std(ddof=1))
    return out


def mean_level(pairs: pd.DataFrame, shipped: pd.DataFrame, names: dict[str, str],
               noise: float) -> list[dict]:
    """Per (dataset, configuration, epoch): the mean AUC over the runs both stores hold,
    each store's, their difference and its tolerance; most beyond it first."""
    sds = seed_sd(shipped)
    rows = []
    for (config, epoch), g in pairs.groupby(["config", "epoch"]):
        sd = sds.get((config, int(epoch)))
        tol = max(noise, SEED_SDS * sd) if sd is not None else noise
        diff = float(g["diff"].mean())
        rows.append({"dataset": g["label"].iloc[0], "config": names[config], "epoch": int(epoch),
                     "runs": len(g), "mine": float(g["auc_mine"].mean()),
                     "shipped": float(g["auc"].mean()), "diff": diff, "tolerance": tol,
                     "seed_sd": sd, "identical": bool((g["diff"] == 0).all()),
                     "beyond": abs(diff) > tol})
    return sorted(rows, key=lambda r: -abs(r["diff"]) / max(r["tolerance"], 1e-12))


def _candidates(df: pd.DataFrame, dataset_id: str) -> pd.DataFrame:
    """The thesis's candidates on one dataset: seed-0 autoencoder runs, clean one-vs-rest,
    each row with ``cand`` (configuration and epoch); only candidates with every class."""
    from ..registry import AUTOENCODERS

    d = df[(df["dataset_id"] == dataset_id) & (df["seed"] == 0) & (df["contamination"] == 0)
           & (df["protocol"] == "one-vs-rest") & df["model"].isin(AUTOENCODERS)]
    d = d.assign(cand=d["config"] + "@" + d["epoch"].astype(str))
    complete = d.groupby("cand")["normal_class"].nunique() == d["normal_class"].nunique()
    return d[d["cand"].isin(complete[complete].index)]


def _label_free_pick(df: pd.DataFrame, rows: pd.DataFrame, dataset_id: str,
                     strategy: str) -> str | None:
    """The ``cand`` that label-free ``strategy`` picks (:func:`~aeutils.selection.select`)."""
    from .selection import CANDIDATE_FIELDS, CriterionMissing, select

    try:
        pick = select(df, None, sorted(rows["normal_class"].unique()), by=strategy,
                      identity=dataset_id)
    except (CriterionMissing, ValueError):
        return None
    fields = [f for f in CANDIDATE_FIELDS if f in pick and f in rows]
    want = identity({f: pick[f] for f in fields}, fields)
    match = rows[[identity(r, fields) == want for _, r in rows[fields].iterrows()]]
    return match["cand"].iloc[0] if len(match) else None


def _choices(df: pd.DataFrame, dataset_id: str) -> dict:
    """One store's choices on a dataset: best single, best per class, label-free picks, and
    the headline numbers they give (label-free: over the seeds that did not choose)."""
    from ..registry import REPORTED_STRATEGIES
    from .selection import strategy

    rows = _candidates(df, dataset_id)
    if rows.empty:
        return {}
    means = rows.groupby("cand")["auc"].mean()
    best = rows.loc[rows.groupby("normal_class")["auc"].idxmax()]
    out = {"means": means, "criteria": {}, "best_single": means.idxmax(),
           "per_class": dict(zip(best["normal_class"].astype(int), best["cand"])),
           "per_class_auc": {int(c): g.set_index("cand")["auc"] for c, g in
                             rows.groupby("normal_class")},
           "headline": {"best per class, picked on test": float(best["auc"].mean()),
                        "best single configuration, picked on test": float(means.max())}}
    for s in (s for s in REPORTED_STRATEGIES if s.startswith("label-free")):
        cand = _label_free_pick(df, rows, dataset_id, s)
        if cand is None:
            continue
        out[s] = cand
        out["criteria"][s] = rows.groupby("cand")[strategy(s).column].mean()
        config, epoch = cand.rsplit("@", 1)
        others = df[(df["config"] == config) & (df["epoch"] == int(epoch)) & (df["seed"] != 0)]
        if len(others):
            out["headline"][f"{s} pick over the seeds that did not choose"] = float(
                others["auc"].mean())
    return out


def _compare_pick(what: str, mine: dict, shipped: dict, values: pd.Series | None,
                  tol: float, name) -> dict:
    """One choice in both stores: same, a tie within ``tol`` (the shipped pick scores within
    it of the user's by ``values``, the user's store), or changed."""
    a, b = mine.get(what), shipped.get(what)
    same = a == b
    tie = (not same and values is not None and a in values and b in values
           and values[a] - values[b] <= tol)
    return {"choice": what, "mine": name(a), "shipped": name(b), "same": same, "tie": bool(tie)}


def choice_level(mine: pd.DataFrame, shipped: pd.DataFrame, names: dict[str, str],
                 noise: float, single: float) -> list[dict]:
    """Per dataset both hold runs of: each choice and headline number in both stores."""
    out = []
    for dataset_id in sorted(set(shipped["dataset_id"])):
        ours, theirs = _choices(mine, dataset_id), _choices(shipped, dataset_id)
        if not ours or not theirs:
            continue

        def name(cand):
            config, _, epoch = (cand or "").rpartition("@")
            return f"{names.get(config, '?')} at epoch {epoch}" if cand else None

        picks = [_compare_pick("best_single", ours, theirs, ours["means"], noise, name)]
        picks += [_compare_pick(s, ours, theirs, ours["criteria"].get(s), noise, name)
                  for s in theirs if s.startswith("label-free")]
        classes = [_compare_pick(c, ours["per_class"], theirs["per_class"],
                                 ours["per_class_auc"].get(c), single, name)
                   | {"class": c} for c in sorted(theirs["per_class"])]
        headline = [{"row": row, "mine": ours["headline"].get(row), "shipped": value,
                     "within": row in ours["headline"]
                     and abs(ours["headline"][row] - value) <= noise}
                    for row, value in theirs["headline"].items()]
        label = shipped.loc[shipped["dataset_id"] == dataset_id, "label"].iloc[0]
        out.append({"dataset": label, "picks": picks, "per_class": classes,
                    "headline": headline})
    return out


def counterparts(mine: pd.DataFrame, shipped: pd.DataFrame) -> list[str]:
    """A line per dataset of the user's that the shipped store holds no runs of, naming the
    shipped dataset of the same family where there is one (the CIFAR-10 JPEG copy)."""
    theirs = dict(zip(shipped["dataset_id"], shipped["label"])) if not shipped.empty else {}
    lines = []
    for dataset_id, label in dict(zip(mine["dataset_id"], mine["label"])).items():
        if dataset_id in theirs:
            continue
        family = str(label).split(" (")[0]
        kin = [t for t in theirs.values() if str(t).split(" (")[0] == family]
        if kin:
            copy = kin[0][len(family):].strip(" ()") or kin[0]
            lines.append(f"{label}: no shipped counterpart: the shipped {family} runs use the "
                         f"{copy}")
        else:
            lines.append(f"{label}: no shipped counterpart: the shipped store holds no "
                         f"{family} runs")
    return lines


def _where(means: list[dict], choices: list[dict], show: int = 4) -> list[str]:
    """What differs beyond noise, most beyond first: configuration means, then choices."""
    out = [f"{m['dataset']} {m['config']} epoch {m['epoch']} ({m['diff']:+.4f}, noise "
           f"±{m['tolerance']:.4f})" for m in means if m["beyond"]]
    for c in choices:
        out += [f"{c['dataset']}: the {CHOICES.get(p['choice'], p['choice'])}" for p in c["picks"]
                if not p["same"] and not p["tie"]]
        moved = [p["class"] for p in c["per_class"] if not p["same"] and not p["tie"]]
        out += [f"{c['dataset']}: the best configuration of class(es) "
                f"{', '.join(map(str, moved))}"] if moved else []
        out += [f"{c['dataset']}: {h['row']}" for h in c["headline"] if not h["within"]]
    return out[:show] + ([f"{len(out) - show} more"] if len(out) > show else [])


def _run_line(r: dict) -> str:
    worst = f" ({r['worst']})" if r["max_abs_diff"] else ""
    return (f"  runs: {r['pairs']} (configuration, epoch) pairs, {r['identical']:.0%} identical; "
            f"|ΔAUC| median {r['median_abs_diff']:.4f}, 95th percentile {r['p95_abs_diff']:.4f}, "
            f"largest {r['max_abs_diff']:.4f}{worst}; a single run measured on two machines "
            f"differs by up to {r['single_run_noise']:.4f}")


def _mean_lines(means: list[dict], noise: float, sources: dict[str, float]) -> list[str]:
    beyond = [m for m in means if m["beyond"]]
    seeds = sum(m["seed_sd"] is not None for m in means)
    head = (f"  configuration means (over classes and seeds): {len(means)} compared, largest "
            f"|Δ| {max(abs(m['diff']) for m in means):.4f}; noise of a mean ±{noise:.4f} "
            f"(measured: {', '.join(f'{k} {v:.4f}' for k, v in sources.items()) or 'none'})"
            f"{f', or {SEED_SDS:g} seed sd where larger ({seeds} with seeds)' if seeds else ''}: ")
    lines = [head + (f"{len(beyond)} beyond it" if beyond else "none beyond it")]
    lines += [f"    beyond: {m['dataset']} {m['config']} epoch {m['epoch']}: yours "
              f"{m['mine']:.4f}, shipped {m['shipped']:.4f} ({m['diff']:+.4f}, noise "
              f"±{m['tolerance']:.4f}, {m['runs']} runs)" for m in beyond]
    return lines


CHOICES = {"best_single": "best single configuration", "label-free": "label-free pick",
           "label-free-flip": "label-free-flip pick"}


def _pick_text(p: dict) -> str:
    what = CHOICES.get(p["choice"], p["choice"])
    if p["same"]:
        return f"{what} {p['mine']}: same"
    return (f"{what}: {'a tie within noise' if p['tie'] else 'changed'}: yours {p['mine']}, "
            f"shipped {p['shipped']}")


def _choice_lines(choices: list[dict]) -> list[str]:
    lines = []
    for c in choices:
        same = sum(p["same"] for p in c["per_class"])
        ties = [f"{p['class']} (tie)" for p in c["per_class"] if p["tie"]]
        moved = [f"{p['class']}: yours {p['mine']}, shipped {p['shipped']}"
                 for p in c["per_class"] if not p["same"] and not p["tie"]]
        per_class = (f"best per class: same in {same} of {len(c['per_class'])} classes"
                     + (f", changed in {'; '.join(ties + moved)}" if ties or moved else ""))
        lines.append(f"  choices, {c['dataset']}: "
                     + "; ".join([_pick_text(p) for p in c["picks"]] + [per_class]))
        lines.append(f"  headline, {c['dataset']}: " + "; ".join(
            f"{h['row']} {h['mine']:.4f} (shipped {h['shipped']:.4f}): "
            f"{'same' if h['mine'] == h['shipped'] else 'within noise' if h['within'] else 'changed'}"
            if h["mine"] is not None else f"{h['row']}: not in yours" for h in c["headline"]))
    return lines


def compare(mine, shipped) -> Verdict:
    """The verdict on ``mine`` against ``shipped`` (two :class:`~aeutils.results.ResultsStore`)."""
    ours, theirs = frame(mine.records()), frame(shipped.records())
    head = f"against the shipped results ({shipped.path}): "
    missing = counterparts(ours, theirs) if not ours.empty else []
    pairs = paired(ours, theirs)
    if pairs.empty:
        summary = "nothing compared: no run of yours is in the shipped store"
        return Verdict(head + summary, [head + summary] + [f"  {m}" for m in missing],
                       {"verdict": "nothing compared", "no_counterpart": missing})
    keys = set(zip(pairs["key"], pairs["epoch"]))
    common = [df[[k in keys for k in zip(df["key"], df["epoch"])]] for df in (ours, theirs)]
    names = config_names(theirs)
    sources = mean_noise()
    noise = max(sources.values(), default=0.0)
    runs = run_level(pairs, names)
    means = mean_level(pairs, common[1], names, noise)
    choices = choice_level(*common, names, noise, runs["single_run_noise"])
    where = _where(means, choices)
    kind = ("differs" if where else "reproduced" if runs["identical"] == 1
            else "reproduced within noise")
    summary = kind + (f": {'; '.join(where)}" if where else "")
    if missing:
        summary += "; " + "; ".join(m.split(": the shipped")[0] for m in missing)
    lines = [head + summary, _run_line(runs), *_mean_lines(means, noise, sources),
             *_choice_lines(choices), *(f"  {m}" for m in missing)]
    numbers = {"verdict": kind, "summary": summary, "shipped": str(shipped.path),
               "runs": runs, "mean_noise": {"tolerance": noise, "measured": sources,
                                            "seed_sds": SEED_SDS},
               "means": means, "choices": choices, "no_counterpart": missing, "lines": lines}
    return Verdict(head + summary, lines, numbers)
