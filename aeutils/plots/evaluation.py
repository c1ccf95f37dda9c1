"""Figures of notebooks 04 and 05: AUC tables, ROC, scores, curves, comparisons."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import patches, ticker

from .. import reference
from .style import _fig_titled, _np, _titled, footnoted


# --- evaluation ------------------------------------------------------------------------
def auc_heatmap(matrix: pd.DataFrame, label: str, note: str = "", metric: str = "AUC") -> plt.Figure:
    """Class × configuration heatmap, annotated (``matrix`` from :func:`aeutils.report.auc_matrix`)."""
    fig, ax = plt.subplots(figsize=(1.0 * matrix.shape[1] + 3, 0.6 * matrix.shape[0] + 2.5))
    vmin = min(0.5, float(np.nanmin(matrix.to_numpy(dtype=float))))
    sns.heatmap(matrix, annot=True, fmt=".2f", cmap="viridis", vmin=vmin, vmax=1.0, ax=ax, annot_kws={"fontsize": 10}, cbar_kws={"label": metric})
    ax.set_ylabel("normal class")
    ax.set_xlabel("autoencoder / loss")
    ax.tick_params(axis="x", rotation=60)
    ax.tick_params(axis="y", rotation=0)
    if "mean" in matrix.index:
        ax.axhline(list(matrix.index).index("mean"), color="white", lw=3)
    _titled(ax, f"{label}: test {metric} per normal class", note)
    return fig


def roc_curves(curves: Mapping[str, tuple], label: str, title: str = "") -> plt.Figure:
    """ROC curves; ``curves`` maps a name to (fpr, tpr, auc)."""
    fig, ax = plt.subplots(figsize=(7, 6.5))
    colors = sns.color_palette("colorblind", n_colors=max(len(curves), 1))
    if len(curves) > 10:
        colors = sns.color_palette("husl", n_colors=len(curves))
    for (name, (fpr, tpr, auc)), col in zip(curves.items(), colors):
        ax.plot(fpr, tpr, label=f"{name} ({auc:.3f})", color=col, lw=2)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_aspect("equal")
    ax.legend(fontsize="x-small", loc="lower right", title="AUC", title_fontsize="x-small")
    _titled(ax, f"{label}: ROC", title)
    return fig


def score_histograms(panels: Mapping[str, tuple], label: str, title: str = "",
                     ncols: int = 5) -> plt.Figure:
    """Anomaly-score histograms, normal vs anomalous; ``panels`` maps a title to (scores, labels)."""
    n = len(panels)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.6 * nrows + 0.8), squeeze=False)
    pal = sns.color_palette("colorblind")
    for ax, (name, (scores, labels)) in zip(axes.flat, panels.items()):
        s, y = _np(scores), _np(labels).astype(bool)
        bins = np.histogram_bin_edges(s, bins=40)
        ax.hist(s[~y], bins=bins, density=True, alpha=0.6, color=pal[0], label="normal")
        ax.hist(s[y], bins=bins, density=True, alpha=0.6, color=pal[3], label="anomalous")
        ax.set_title(name, fontsize="small")
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize="x-small")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize="x-small")
    fig.supxlabel("anomaly score (reconstruction loss)", fontsize="small")
    _fig_titled(fig, f"{label}: anomaly scores, normal vs anomalous", title)
    return fig


def spread_labels(ys: list[float], gap: float) -> list[float]:
    """Label heights at least ``gap`` apart, each as near its line's end as that allows
    (order kept), so the class labels at the right of a line plot do not overprint."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [float(ys[i]) for i in order]
    for k in range(1, len(placed)):  # push up what sits too close above its neighbour
        placed[k] = max(placed[k], placed[k - 1] + gap)
    shift = (sum(placed) - sum(ys[i] for i in order)) / max(len(placed), 1)
    placed = [p - shift for p in placed]  # centre the block on the lines it labels
    out = [0.0] * len(ys)
    for i, p in zip(order, placed):
        out[i] = p
    return out


def auc_vs_contamination(curve: pd.DataFrame, label: str, note: str = "") -> plt.Figure:
    """Test AUC against the % of anomalies in training: thin line per class, thick mean.

    ``curve`` has columns ``contamination``, ``normal_class``, ``auc`` (and optional ``config``).
    """
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ends = {}
    for c, part in curve.groupby("normal_class"):
        part = part.sort_values("contamination")
        ax.plot(part["contamination"], part["auc"], color="grey", lw=1, alpha=0.6)
        ends[c] = (part["contamination"].iloc[-1], part["auc"].iloc[-1])
    lo, hi = ax.get_ylim()
    labels_y = spread_labels([y for _, y in ends.values()], gap=0.035 * (hi - lo))
    for (c, (x, _)), y in zip(ends.items(), labels_y):
        ax.text(x, y, f" {c}", fontsize="xx-small", va="center", color="grey")
    mean = curve.groupby("contamination")["auc"].mean()
    ax.plot(mean.index, mean.to_numpy(), color=sns.color_palette()[3], lw=3, marker="o",
            label="mean over classes")
    ax.set_xlabel("anomalies in training (% of the normal count)")
    ax.set_ylabel("test AUC")
    ax.legend(fontsize="small")
    cfg = f" ({curve['config'].iloc[0]})" if "config" in curve and len(curve) else ""
    _titled(ax, f"{label}: AUC vs contamination{cfg}", note)
    return fig


def auc_vs_epoch(curve: pd.DataFrame, label: str, note: str = "") -> plt.Figure:
    """Mean test AUC over classes at each checkpoint epoch, one line per configuration.

    ``curve`` has columns ``config``, ``epoch``, ``auc``, ``model`` and ``loss``.
    """
    fig, ax = plt.subplots(figsize=(9.5, 6))
    sns.lineplot(curve, x="epoch", y="auc", hue="loss", style="model", markers=True, ax=ax,
                 errorbar=None)
    epochs = sorted(int(e) for e in curve["epoch"].unique())
    if epochs[-1] / max(epochs[0], 1) >= 20:
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        ax.set_xticks(epochs, [str(e) for e in epochs])  # the checkpoint epochs themselves
    else:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_ylabel("mean test AUC over classes")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    _titled(ax, f"{label}: AUC vs training epoch", note)
    return fig


def _marked(frame: pd.DataFrame, settings: Mapping[tuple[str, str], str] | None
            ) -> tuple[pd.DataFrame, str]:
    """``frame`` with each measured ``method`` footnote-marked by its (method, protocol)
    settings, and the footnote line (both unchanged without ``settings``)."""
    if not settings or "protocol" not in frame:
        return frame, ""
    keys = list(dict.fromkeys(zip(frame["method"], frame["protocol"])))
    marked, foot = footnoted([m for m, _ in keys], [settings.get(k, "") for k in keys])
    names = dict(zip(keys, marked))
    return frame.assign(method=[names[k] for k in zip(frame["method"], frame["protocol"])]), foot


def per_class_bars(long: pd.DataFrame, classes: Sequence[str], label: str,
                   title: str = "",
                   settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """Grouped bars: AUC per class and method, error bars where ``std`` is given.

    ``long`` has columns ``method``, ``class``, ``auc`` and optional ``std``, ``quoted`` and
    ``data`` (:func:`aeutils.report.per_class_long`). Rows measured here and rows quoted
    from papers go in two panels on one AUC scale, the quoted ones hatched, so the two
    are never read as one ranking; each panel names the data it rests on once.
    ``settings`` (``(method, protocol)`` → how its runs were made, as from
    :func:`aeutils.report.row_settings`) marks each measured method and spells the marks
    out under the title."""
    long, foot = _marked(long, settings)
    title = "; ".join(t for t in (title, foot) if t)
    quoted = (long["quoted"].astype(bool) if "quoted" in long
              else pd.Series(False, index=long.index))
    parts = [(what, long[mask]) for what, mask in (("measured here", ~quoted),
                                                    ("quoted from papers", quoted))
             if mask.any()] or [("", long)]
    counts = [part["method"].nunique() for _, part in parts]
    width = min(18, max(10, 0.9 * len(classes) + 0.12 * max(counts) * len(classes)))
    fig, axes = plt.subplots(len(parts), 1, sharex=True, sharey=True, squeeze=False,
                             figsize=(width, 1.2 + 4.2 * len(parts)))
    lo = np.nanmin(long["auc"].to_numpy(dtype=float)) if len(long) else 0.5
    x = np.arange(len(classes))
    for ax, (what, part) in zip(axes[:, 0], parts):
        _class_bars(ax, part, x, hatch="//" if what.startswith("quoted") else None)
        if what:
            data = ", ".join(d for d in dict.fromkeys(part.get("data", pd.Series(dtype=str)))
                             if isinstance(d, str) and d)
            ax.set_title(f"{what}" + (f" · {data}" if data else ""), loc="left",
                         fontsize="small", style="italic", color="dimgrey")
        ax.set_ylim(max(0.0, math.floor(lo * 10) / 10 - 0.05), 1.0)
        ax.axhline(0.5, color="grey", ls="--", lw=1)
        ax.set_ylabel("test AUC")
    bottom = axes[-1, 0]
    bottom.set_xticks(x)
    bottom.set_xticklabels(classes, rotation=30 if max(len(c) for c in classes) > 3 else 0)
    bottom.set_xlabel("normal class")
    _fig_titled(fig, f"{label}: AUC per class", title)
    return fig


def _class_bars(ax, long: pd.DataFrame, x: np.ndarray, hatch: str | None) -> None:
    """One panel of :func:`per_class_bars`: a bar per method in each class group."""
    methods = list(dict.fromkeys(long["method"]))
    width = 0.8 / max(len(methods), 1)
    pal = sns.color_palette("colorblind" if len(methods) <= 10 else "husl", n_colors=len(methods))
    for i, (m, col) in enumerate(zip(methods, pal)):
        part = long[long["method"] == m].set_index("class").reindex(range(len(x)))
        err = part["std"].to_numpy(dtype=float) if "std" in part else None
        if err is not None and np.all(np.isnan(err)):
            err = None
        ax.bar(x - 0.4 + width * (i + 0.5), part["auc"].to_numpy(dtype=float), width, yerr=err,
               label=m, color=col, capsize=2, error_kw={"lw": 1}, hatch=hatch,
               edgecolor="white" if hatch else None)
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))


def mean_auc_by_protocol(table: pd.DataFrame, label: str, title: str = "",
                         settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """Horizontal bars of each row's mean AUC, coloured by protocol (``table`` from
    :func:`aeutils.report.comparison_table`, or any frame with method, protocol, mean).

    Rows measured here come first; rows quoted from papers follow below a rule, hatched,
    so the two are never read as one ranking. The data each part rests on is named once,
    in its section label, not in every row; ``settings`` marks each measured row with how
    its runs were made (see :func:`per_class_bars`)."""
    table, foot = _marked(table, settings)
    title = "; ".join(t for t in (title, foot) if t)
    t = table.dropna(subset=["mean"])
    t = t.assign(quoted=reference.quoted(t)).sort_values("quoted", kind="stable")
    t = t.reset_index(drop=True)
    quoted = t["quoted"].to_numpy()
    gap = int(quoted.any() and not quoted.all())  # one empty row between the two parts
    y = np.arange(len(t)) + gap * quoted
    y = y.max(initial=0) - y
    protocols = list(dict.fromkeys(t["protocol"]))
    pal = dict(zip(protocols, sns.color_palette("colorblind", n_colors=max(len(protocols), 1))))
    fig, ax = plt.subplots(figsize=(11, 0.45 * (len(t) + gap) + 1.8))
    ax.barh(y, t["mean"], color=[pal[p] for p in t["protocol"]],
            hatch=["//" if q else None for q in quoted], edgecolor="white")
    n_cls = t["classes"] if "classes" in t else [None] * len(t)
    full = max((n for n in n_cls if n is not None and n == n), default=None)
    for yi, v, n in zip(y, t["mean"], n_cls):
        part = (f" ({int(n)} of {int(full)} classes)" if n is not None and n == n and full
                and n < full else "")
        ax.text(v, yi, f" {v:.3f}{part}", va="center", fontsize="x-small")
    ax.set_yticks(y)
    ax.set_yticklabels(t["method"], fontsize="x-small")
    data = t["data"] if "data" in t else pd.Series([label] * len(t))
    for mask, what in ((~quoted, "measured here"), (quoted, "quoted from papers")):
        if mask.any():
            where = ", ".join(dict.fromkeys(data[mask]))
            ax.text(1.07, y[mask].max() + 0.45, f"{what} · {where}", ha="right", va="bottom",
                    fontsize="x-small", style="italic", color="dimgrey")
    if gap:
        ax.axhline((y[~quoted].min() + y[quoted].max()) / 2 + 0.25, color="grey", lw=0.8)
    ax.set_xlim(0, 1.08)
    ax.set_ylim(-0.7, y.max(initial=0) + 1.4)
    ax.axvline(0.5, color="grey", ls="--", lw=1)
    ax.set_xlabel("mean AUC over classes")
    handles = [patches.Patch(color=pal[p], label=p) for p in protocols]
    if quoted.any():
        handles.append(patches.Patch(facecolor="white", edgecolor="grey", hatch="//",
                                     label="quoted from papers"))
    ax.legend(handles=handles, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1),
              title="protocol", title_fontsize="x-small")
    _titled(ax, f"{label}: mean AUC, every row with its protocol", title)
    return fig


def baseline_convergence(auc: pd.DataFrame, loss: pd.DataFrame, label: str,
                         note: str = "",
                         settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """Iterative baselines: mean test AUC at each checkpoint (left) and mean training loss
    per epoch (right, log scale), one line per method and protocol, so a reader can see
    whether they were trained to a plateau; ``settings`` marks each line with how its runs
    were made (see :func:`per_class_bars`)."""
    runs = {(m, p): f"{m} · {p}" for m, p in zip(auc["method"], auc["protocol"])}
    marked, foot = footnoted(list(runs.values()),
                             [(settings or {}).get(k, "") for k in runs])
    names = dict(zip(runs, marked))
    note = "; ".join(t for t in (note, foot) if t)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 5.5))
    for ax, frame, ylabel in ((a1, auc, "mean test AUC"), (a2, loss, "mean training loss")):
        frame = frame.assign(run=[names.get((m, p), f"{m} · {p}")
                                  for m, p in zip(frame["method"], frame["protocol"])])
        sns.lineplot(frame, x="epoch", y="value", hue="run", marker="o" if ax is a1 else None,
                     ax=ax, errorbar=None)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize="small")
        # log epochs: GANomaly's 15 and Deep SVDD's 100 epochs both stay readable
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    if len(auc):  # AUC exists at the checkpoints only: tick those (one alone would get 4.74…)
        a1.set_xticks(sorted({int(e) for e in auc["epoch"]}))
    if len(loss):
        last = int(loss["epoch"].max())
        a2.set_xticks(sorted({e for e in (1, 2, 5, 10, 20, 50, 100, 200, 500) if e < last}
                             | {last}))
    a2.set_yscale("log")
    _fig_titled(fig, f"{label}: neural baselines, convergence", note)
    return fig
