"""Figure titles that state the finding, written from the table the figure draws.

A figure's title is a sentence ("The VAE with MSE is best on 7 of 10 MNIST classes"),
not the name of the chart ("AUC per class"). Each function here takes the same table or
arrays as the figure function it titles, so after a re-run the title says what the new
numbers say. A table too small to support a finding gets a plain description instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from . import reference

NAMES = {"basic": "the basic autoencoder", "conv": "the conv autoencoder", "vae": "the VAE"}
LOSS_NAMES = {"mse": "MSE", "bce": "BCE", "ssim": "SSIM", "mse+ssim": "MSE+SSIM",
              "bce+ssim": "BCE+SSIM"}


def config_words(config: str) -> str:
    """``vae/mse`` → "the VAE with MSE" (a baseline's name is returned as it is)."""
    model, _, loss = str(config).partition("/")
    if not loss:
        return str(config)
    return f"{NAMES.get(model, model)} with {LOSS_NAMES.get(loss, loss)}"


def _auc(v: float) -> str:
    return f"{v:.3f}"


# --- 01, 02 ----------------------------------------------------------------------------
def balance_headline(train_counts: Sequence[int], label: str) -> str:
    """01_balance: how far from balanced the training classes are."""
    counts = np.asarray(train_counts, dtype=float)
    more = counts.max() / counts.min() - 1
    share = f"so a one-vs-rest test set is about {1 - 1 / len(counts):.0%} anomalies"
    if more < 0.005:
        return f"{label}: every class has {int(counts[0]):,} training images, {share}"
    return (f"{label}: the largest class has {more:.0%} more training images than the "
            f"smallest, {share}")


def architecture_headline(layers: pd.DataFrame, model: str) -> str:
    """02_diagram: what goes in, how narrow the code is, how many weights."""
    size_in = int(layers["size"].iloc[0])
    latent = int(layers.loc[1:len(layers) - 2, "size"].min())
    if "(μ" in " ".join(layers["output"].astype(str)):
        latent //= 2  # the head holds μ and log σ² of one code
    return (f"{_cap(NAMES.get(model, model))} squeezes {size_in:,} pixel values through a code "
            f"of {latent} numbers ({int(layers['parameters'].sum()):,} weights)")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def losses_headline(table: pd.DataFrame, label: str) -> str:
    """02_losses: which perturbation each single loss punishes most."""
    changed = table.drop(index="identical", errors="ignore")
    singles = [c for c in changed.columns if "+" not in c]
    worst = {loss: changed[loss].idxmax() for loss in singles}
    if len(set(worst.values())) == 1:
        return f"{label}: every loss punishes the {next(iter(worst.values()))} copy most"
    said = ", ".join(f"{v} for {LOSS_NAMES.get(k, k)}" for k, v in worst.items())
    return f"{label}: the losses disagree on the worst change: {said}"


# --- 03 --------------------------------------------------------------------------------
def training_headline(records: pd.DataFrame, label: str, tail: float = 0.1,
                      still: float = 0.02) -> str:
    """03_training_curves: whether training has flattened (loss change over the last
    ``tail`` of the epochs, against ``still``)."""
    drops = []
    for curve in records["loss_curve"]:
        v = np.asarray(curve, dtype=float)
        k = max(1, round(tail * len(v)))
        if len(v) > k and v[-1 - k] > 0:
            drops.append(1 - v[-1] / v[-1 - k])
    if not drops:
        return f"{label}: training loss per epoch"
    n_epochs = max(len(c) for c in records["loss_curve"])
    k = max(1, round(tail * n_epochs))
    rising = sum(d > still for d in drops)
    last = f"last {k} epochs" if k > 1 else "last epoch"
    if rising == 0:
        return (f"{label}: every configuration's training loss falls by less than "
                f"{still:.0%} over its {last} of {n_epochs}")
    return (f"{label}: the training loss of {rising} of {len(drops)} configurations still "
            f"falls by more than {still:.0%} over the {last} of {n_epochs}")


def reconstruction_headline(errors: Mapping[str, float], label: str) -> str:
    """03_reconstructions and 03_error_maps: the error gap between anomalous and normal
    images shown (:func:`aeutils.report.reconstruction_errors`)."""
    ratio = errors["mean_error_anomalous"] / errors["mean_error_normal"]
    if ratio >= 1.5:
        return (f"{label}: the anomalous images come back with {ratio:.1f}× the "
                f"reconstruction error of the normal ones")
    return (f"{label}: the anomalous images come back with only {ratio:.1f}× the "
            f"reconstruction error of the normal ones")


# --- 04 --------------------------------------------------------------------------------
def heatmap_headline(matrix: pd.DataFrame, label: str, decimals: int = 3) -> str:
    """04_auc_heatmap: which configuration is best on how many classes (ties count for
    every configuration that ties, at the precision the cells show)."""
    rows = matrix.drop(index="mean", errors="ignore").round(decimals)
    if rows.empty:
        return f"{label}: test AUC per normal class"
    wins = (rows.eq(rows.max(axis=1), axis=0)).sum()
    top = wins.idxmax()
    n = len(rows)
    mean_best = matrix.loc["mean"].idxmax() if "mean" in matrix.index else top
    if (wins == wins[top]).sum() > 1:  # several share the most wins: none stands out
        return (f"{label}: no configuration is best on more than {int(wins[top])} of {n} "
                f"classes; {config_words(mean_best)} has the best mean")
    head = f"{label}: {config_words(top)} is best on {int(wins[top])} of {n} classes"
    if mean_best != top:
        head += f"; {config_words(mean_best)} has the best mean"
    return head


def roc_headline(best: pd.DataFrame, class_names: Sequence[str], label: str) -> str:
    """04_roc: the range of the best-per-class AUCs, hardest class first."""
    lo, hi = best.loc[best["auc"].idxmin()], best.loc[best["auc"].idxmax()]
    return (f"{label}: even the best configuration per class reaches only "
            f"{_auc(lo['auc'])} on class {class_names[int(lo['class'])]}, against "
            f"{_auc(hi['auc'])} on class {class_names[int(hi['class'])]}")


def histogram_headline(matrix: pd.DataFrame, config: str, label: str) -> str:
    """04_score_histograms: where one configuration's scores separate best and worst
    (``matrix``: :func:`aeutils.report.auc_matrix`, index the class names; the figure's
    settings line names the configuration)."""
    aucs = matrix[config].drop(index="mean", errors="ignore").dropna()
    worst, best = aucs.idxmin(), aucs.idxmax()
    return (f"{label}: normal and anomalous scores overlap most for class {worst} "
            f"(AUC {_auc(aucs[worst])}), least for class {best} ({_auc(aucs[best])})")


def contamination_headline(curve: pd.DataFrame, label: str) -> str:
    """04_auc_vs_contamination: mean AUC clean against the most contaminated level."""
    mean = curve.groupby("contamination")["auc"].mean().sort_index()
    if len(mean) < 2:
        return f"{label}: test AUC vs anomalies in training"
    first, last = float(mean.iloc[0]), float(mean.iloc[-1])
    verb = "falls" if last < first else "rises"
    return (f"{label}: mean AUC {verb} from {_auc(first)} with {mean.index[0]:g} % anomalies "
            f"in training to {_auc(last)} with {mean.index[-1]:g} %")


def epoch_headline(curve: pd.DataFrame, label: str) -> str:
    """04_auc_vs_epoch: by which checkpoint most configurations reach their best mean AUC."""
    peaks = curve.loc[curve.groupby("config")["auc"].idxmax(), "epoch"].astype(int)
    epochs = sorted(int(e) for e in curve["epoch"].unique())
    if len(epochs) < 2 or peaks.empty:
        return f"{label}: mean test AUC per training epoch"
    n = len(peaks)
    for e in epochs:
        k = int((peaks <= e).sum())
        if 2 * k > n:
            break
    if e == epochs[-1]:
        k = int((peaks == e).sum())
        if k == n:
            return f"{label}: every configuration still peaks at the last epoch, {e}"
        return f"{label}: {k} of {n} configurations peak at the last epoch, {e}"
    return (f"{label}: {k} of {n} configurations peak by epoch {e} of {epochs[-1]}; "
            f"training longer does not help them")


# --- 05 --------------------------------------------------------------------------------
def _chosen_without_test(table: pd.DataFrame) -> pd.Series:
    """Measured autoencoder rows whose choice read no test label."""
    m = table["method"].astype(str)
    sel = table.get("selection", pd.Series("", index=table.index)).astype(str)
    return m.str.startswith("AE") & ~m.str.contains("test-selected") & \
        ~sel.str.contains("on the test set")


def _short_method(name: str) -> str:
    return str(name).split(" (")[0]


def ae_words(method: str) -> str:
    """A measured autoencoder row in words: "the label-free pick", "the ensemble", …"""
    m = str(method)
    if m.startswith("AE, ") and " selection" in m:
        return f"the {m[4:].split(' selection')[0]} pick"
    if m.startswith("AE ensemble"):
        return "the ensemble of every configuration"
    if "labelled validation" in m:
        return "the pick per class on labelled validation"
    return "the autoencoder " + m.removeprefix("AE ").split(" (")[0]


def measured_headline(table: pd.DataFrame, label: str) -> str:
    """05_measured: the best autoencoder chosen without test labels against the best other
    method measured on the same images (one-vs-rest rows)."""
    t = table[(table["protocol"] == reference.ONE_VS_REST) & table["mean"].notna()]
    ae, other = t[_chosen_without_test(t)], t[~t["method"].astype(str).str.startswith("AE")]
    if ae.empty or other.empty:
        return f"{label}: mean test AUC of every method measured here"
    a, o = ae.loc[ae["mean"].idxmax()], other.loc[other["mean"].idxmax()]
    who, other = ae_words(a["method"]), _short_method(o["method"])
    if _auc(a["mean"]) == _auc(o["mean"]):
        return (f"{label}: {who} and the best other method measured on the same images, "
                f"{other}, tie at {_auc(o['mean'])}")
    if a["mean"] > o["mean"]:
        return (f"{label}: {who} ({_auc(a['mean'])}) beats every other method measured on the "
                f"same images (best: {other}, {_auc(o['mean'])})")
    return (f"{label}: {other} ({_auc(o['mean'])}) beats every autoencoder chosen without "
            f"test labels (best: {who}, {_auc(a['mean'])})")


def literature_headline(table: pd.DataFrame, label: str) -> str:
    """05_literature: the best quoted one-vs-rest row against the thesis's own."""
    t = table[(table["protocol"] == reference.ONE_VS_REST) & table["mean"].notna()]
    if t.empty:
        return f"{label}: mean AUC quoted from papers"
    best = t.loc[t["mean"].idxmax()]
    thesis = t.loc[t["method"] == reference.THESIS_ROW, "mean"]
    head = (f"Quoted from papers, {label}: {best['method']} leads the one-vs-rest rows at "
            f"{_auc(best['mean'])}")
    if len(thesis) and best["method"] != reference.THESIS_ROW:
        head += f", the thesis's autoencoders reach {_auc(thesis.iloc[0])}"
    return head


def signed(x: float, places: int = 3) -> str:
    """``x`` with its sign, a true minus for a fall: "+0.267", "−0.023"."""
    return f"{'+' if x >= 0 else '−'}{abs(x):.{places}f}"


def replication_headline(numbers: Sequence[dict], label: str) -> str:
    """05_replication: each method's mean AUC measured here against its quoted mean, over
    the classes both have (:func:`aeutils.report.comparison.replication_numbers`)."""
    if not numbers:
        return f"{label}: no method measured here at a protocol a paper reports"
    parts = []
    # each panel names its protocol; the title repeats it only where a method has two
    methods = [r["method"] for r in numbers]
    for r in numbers:
        d, n = r["difference"], r["classes"]
        where = ([r["protocol"]] if methods.count(r["method"]) > 1 else []) + \
            ([] if n >= 10 else [f"{n} classes"])
        note = f" ({', '.join(where)})" if where else ""
        parts.append(f"{r['method']}{note} {signed(d)}")
    return f"{label}, measured here minus quoted mean AUC: " + ", ".join(parts)


def per_class_headline(long: pd.DataFrame, methods: Sequence[str], label: str) -> str:
    """05_per_class: on how many classes the first method beats the best other method
    (the third of :func:`aeutils.report.comparison.per_class_methods`, else the second)."""
    if len(methods) < 2:
        return f"{label}: test AUC per class"
    others = [m for m in methods[1:] if not m.startswith("AE")] or list(methods[1:2])
    a, b = methods[0], others[0]
    wide = long.pivot_table(index="class", columns="method", values="auc")
    both = wide[[a, b]].dropna()
    wins = int((both[a] > both[b]).sum())
    name_a = "the label-free autoencoder" if "label-free" in a else _short_method(a)
    n = len(both)
    first, second, k = (name_a, _short_method(b), wins) if 2 * wins >= n else \
        (_short_method(b), name_a, n - wins)
    return f"{label}: {first} beats {second} on " + (f"all {n} classes" if k == n else
                                                      f"{k} of {n} classes")


def without_labels_headline(table: pd.DataFrame, label: str) -> str:
    """05_without_labels: how far each label-free row is below the test-picked best."""
    test = table[table["test_selected"]]
    free = table[~table["test_selected"]]
    if test.empty or free.empty:
        return f"{label}: mean test AUC chosen without labels"
    best = float(test["auc"].iloc[0])
    gaps = [(("the ensemble" if r.method.startswith("ensemble") else "the label-free pick"),
             *_gap(best - r.auc, r.std)) for r in free.itertuples()]
    (name, gap, note), rest = gaps[0], gaps[1:]
    return (f"{label}: {name} ends {gap} the best picked on the test set{note}"
            + "".join(f", {n} {g}{e}" for n, g, e in rest))


def _gap(d: float, std: float = float("nan")) -> tuple[str, str]:
    """How far below or above, and a note when that is within the row's seed std."""
    note = f" (within its seed std, {std:.3f})" if abs(d) <= std else ""
    return f"{abs(d):.3f} {'below' if d > 0 else 'above'}", note


def convergence_headline(auc: pd.DataFrame, label: str, rising: float = 0.001) -> str:
    """05_baseline_convergence: which baselines still gained AUC at their last checkpoint."""
    still: dict[str, list[str]] = {}  # method → its protocols whose curve still rises
    curves = 0
    for (m, p), g in auc.groupby(["method", "protocol"], sort=False):
        v = g.groupby("epoch")["value"].mean().sort_index()
        if len(v) < 2:
            continue
        curves += 1
        if v.iloc[-1] - v.iloc[-2] > rising:
            still.setdefault(m, []).append(p)
    if not curves:
        return f"{label}: the neural baselines' AUC and training loss per epoch"
    if not still:
        return f"{label}: no neural baseline gains AUC at its last checkpoint"
    rising_now = sum(map(len, still.values()))
    names = ", ".join(f"{m} ({', '.join(ps)})" for m, ps in still.items())
    return (f"{label}: {rising_now} of the {curves} baseline curves with several checkpoints "
            f"still gain AUC at the last: {names}")


def shown_errors(normal, normal_recon, anomalous, anomalous_recon) -> dict:
    """Mean squared reconstruction error of the normal and of the anomalous images a
    reconstruction figure shows (:func:`aeutils.report.reconstruction_errors`)."""
    import torch

    from .models import reconstruction_errors

    n = min(len(normal), len(anomalous))
    images = torch.cat([torch.as_tensor(normal[:n]), torch.as_tensor(anomalous[:n])])
    recons = torch.cat([torch.as_tensor(normal_recon[:n]), torch.as_tensor(anomalous_recon[:n])])
    return reconstruction_errors(images, recons, n)
