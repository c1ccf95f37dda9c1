"""Figures of notebooks 04 and 05: AUC tables, ROC, scores, curves, comparisons."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import colors, patches, ticker

from .style import (
    CHANCE,
    MIN_PT,
    SLIDE,
    _fig_titled,
    _np,
    _titled,
    chance_line,
    color_of,
    footnoted,
    set_details,
)

# --- evaluation ------------------------------------------------------------------------
# One AUC colour scale for every dataset: reds below chance, then yellow → green → blue
# from 0.5 to 1.0, stretched towards 1 (quadratically), so that MNIST's 0.90–1.00 and
# CIFAR-10's 0.55–0.80 both span several colours and a colour means one AUC everywhere.
AUC_RANGE = (0.25, 0.5, 1.0)
_AUC_CMAP = colors.ListedColormap(np.vstack([
    plt.get_cmap("Reds_r")(np.linspace(0.15, 0.75, 64)),
    plt.get_cmap("YlGnBu")(np.linspace(0.05, 1.0, 192))]), name="auc")


def _auc_forward(x):
    lo, mid, hi = AUC_RANGE
    x = np.clip(np.asarray(x, dtype=float), lo, hi)
    return np.where(x < mid, 0.25 * (x - lo) / (mid - lo),
                    0.25 + 0.75 * ((x - mid) / (hi - mid)) ** 2)


def _auc_inverse(y):
    lo, mid, hi = AUC_RANGE
    y = np.asarray(y, dtype=float)
    return np.where(y < 0.25, lo + (mid - lo) * y / 0.25,
                    mid + (hi - mid) * np.sqrt(np.clip((y - 0.25) / 0.75, 0, None)))


def auc_norm() -> colors.Normalize:
    """The shared AUC colour scale over :data:`AUC_RANGE` (low, chance, high): linear below
    chance, quadratic above, the colour change at chance."""
    return colors.FuncNorm((_auc_forward, _auc_inverse), vmin=AUC_RANGE[0], vmax=AUC_RANGE[2])


def auc_heatmap(matrix: pd.DataFrame, label: str, note: str = "", metric: str = "AUC") -> plt.Figure:
    """Class × configuration heatmap on the shared AUC scale (:func:`auc_norm`), the best
    cell of each row boxed, cells below chance hatched (``matrix`` from
    :func:`aeutils.report.auc_matrix`)."""
    fig, ax = plt.subplots(figsize=(SLIDE[0], min(SLIDE[1], 0.5 * matrix.shape[0] + 2.2)))
    values = matrix.to_numpy(dtype=float)
    sns.heatmap(matrix, annot=True, fmt=".2f", cmap=_AUC_CMAP, norm=auc_norm(), ax=ax,
                annot_kws={"fontsize": MIN_PT}, linewidths=0.5, linecolor="white",
                cbar_kws={"label": f"test {metric} (shared scale; 0.5 = chance)", "pad": 0.02,
                          "ticks": [0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0]})
    for i, row in enumerate(values):
        if np.isfinite(row).any():
            j = int(np.nanargmax(row))
            ax.add_patch(patches.Rectangle((j, i), 1, 1, fill=False, ec="black", lw=2.5))
        for j in np.flatnonzero(row < 0.5):
            ax.add_patch(patches.Rectangle((j, i), 1, 1, fill=False, ec="white", lw=0,
                                           hatch="///"))
    ax.set_ylabel("normal class")
    ax.set_xlabel("autoencoder / loss   (box: best per row; hatched: below chance)")
    ax.tick_params(axis="x", rotation=45, labelsize=MIN_PT + 1)
    ax.tick_params(axis="y", rotation=0, labelsize=MIN_PT + 1)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    if "mean" in matrix.index:
        ax.axhline(list(matrix.index).index("mean"), color="white", lw=4)
    _titled(ax, f"{label}: test {metric} per normal class", note)
    return fig


def roc_curves(curves: Mapping[str, tuple], label: str, title: str = "") -> plt.Figure:
    """ROC curves; ``curves`` maps a name to (fpr, tpr, auc). The legend sits beside the
    square plot, never on the curves."""
    fig, ax = plt.subplots(figsize=(SLIDE[0], SLIDE[1]))
    pal = sns.color_palette("colorblind" if len(curves) <= 10 else "husl",
                            n_colors=max(len(curves), 1))
    for (name, (fpr, tpr, auc)), col in zip(curves.items(), pal):
        ax.plot(fpr, tpr, label=f"{name} ({auc:.3f})", color=col, lw=2.2)
    ax.plot([0, 1], [0, 1], label="chance (0.500)", **CHANCE)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_aspect("equal")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.005)
    ax.legend(loc="center left", bbox_to_anchor=(1.03, 0.5), title="class: configuration (AUC)",
              fontsize=MIN_PT + 1, frameon=False)
    _titled(ax, f"{label}: ROC", title)
    return fig


def score_histograms(panels: Mapping[str, tuple], label: str, title: str = "",
                     ncols: int = 5) -> plt.Figure:
    """Anomaly-score histograms, normal vs anomalous; ``panels`` maps a title to (scores, labels)."""
    n = len(panels)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(SLIDE[0], min(SLIDE[1], 2.9 * nrows + 1.4)),
                             squeeze=False)
    pal = sns.color_palette("colorblind")
    for ax, (name, (scores, labels)) in zip(axes.flat, panels.items()):
        s, y = _np(scores), _np(labels).astype(bool)
        bins = np.histogram_bin_edges(s, bins=40)
        ax.hist(s[~y], bins=bins, density=True, alpha=0.6, color=pal[0], label="normal")
        ax.hist(s[y], bins=bins, density=True, alpha=0.6, color=pal[3], label="anomalous")
        ax.set_title(name.replace(" (", "\n("), fontsize=MIN_PT + 1, fontweight="normal")
        ax.set_yticks([])
        ax.xaxis.set_major_locator(ticker.MaxNLocator(3))
        ax.tick_params(axis="x", labelsize=MIN_PT)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="lower right", ncols=2,
               frameon=False)
    fig.supxlabel("anomaly score (reconstruction loss)", fontsize=MIN_PT + 2)
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
    """Test AUC against the % of anomalies in training: thin line per class, thick mean,
    the chance line.

    ``curve`` has columns ``contamination``, ``normal_class``, ``auc`` (and optional ``config``).
    """
    fig, ax = plt.subplots(figsize=(11, SLIDE[1]))
    cfg = str(curve["config"].iloc[0]) if "config" in curve and len(curve) else ""
    ends = {}
    for c, part in curve.groupby("normal_class"):
        part = part.sort_values("contamination")
        ax.plot(part["contamination"], part["auc"], color="0.6", lw=1.2)
        ends[c] = (part["contamination"].iloc[-1], part["auc"].iloc[-1])
    mean = curve.groupby("contamination")["auc"].mean()
    ax.plot(mean.index, mean.to_numpy(), color=color_of(cfg) if cfg else "black", lw=3.5,
            marker="o", label="mean over classes")
    chance_line(ax)
    lo = min(0.45, float(curve["auc"].min()) - 0.02) if len(curve) else 0.45
    ax.set_ylim(lo, 1.005)
    labels_y = spread_labels([y for _, y in ends.values()], gap=0.045 * (1.005 - lo))
    for (c, (x, _)), y in zip(ends.items(), labels_y):
        ax.text(x, y, f" {c}", fontsize=MIN_PT, va="center", color="0.35")
    ax.text(0, 0.5, " chance", va="bottom", fontsize=MIN_PT, color="0.35")
    ax.set_xlabel("anomalies in training (% of the normal count)")
    ax.set_ylabel("test AUC")
    ax.legend(loc="lower left")
    _titled(ax, f"{label}: AUC vs contamination" + (f" ({cfg})" if cfg else ""), note)
    return fig


def _auc_floor(curve: pd.DataFrame) -> float:
    """The lower AUC limit of :func:`auc_vs_epoch`: the lowest value after the first
    checkpoint (an untrained first epoch would squash the range where configurations
    differ), with a margin; points below it are drawn on the axis, their value beside."""
    epochs = sorted(curve["epoch"].unique())
    later = curve[curve["epoch"] > epochs[0]] if len(epochs) > 1 else curve
    lo, hi = float(later["auc"].min()), float(curve["auc"].max())
    return lo - 0.08 * max(hi - lo, 0.02)


def _log_ticks(epochs: Sequence[int]) -> list[int]:
    """Round checkpoint epochs at least 2.5× apart, ending on the last, so tick labels on
    a narrow log axis never run together ("100200")."""
    out: list[int] = []
    for e in (e for e in epochs if e in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)):
        if not out or e >= 2.5 * out[-1]:
            out.append(e)
    while out and epochs[-1] < 2.5 * out[-1] and out[-1] != epochs[-1]:
        out.pop()
    return [*out, epochs[-1]] if not out or out[-1] != epochs[-1] else out


def auc_vs_epoch(curve: pd.DataFrame, label: str, note: str = "") -> plt.Figure:
    """Mean test AUC over classes at each checkpoint epoch: a panel per autoencoder (shared
    AUC range, log epochs), a line per loss, in the losses' colours.

    ``curve`` has columns ``config``, ``epoch``, ``auc``, ``model`` and ``loss``.
    """
    from ..detectors.losses import LOSSES

    models = list(dict.fromkeys(curve["model"]))
    losses = sorted(dict.fromkeys(curve["loss"]),
                    key=lambda x: list(LOSSES).index(x) if x in LOSSES else len(LOSSES))
    fig, axes = plt.subplots(1, len(models), figsize=SLIDE, sharey=True, squeeze=False)
    epochs = sorted(int(e) for e in curve["epoch"].unique())
    lo = _auc_floor(curve)
    hi = float(curve["auc"].max()) + 0.05 * (float(curve["auc"].max()) - lo)
    for ax, model in zip(axes[0], models):
        for loss in losses:
            part = curve[(curve["model"] == model) & (curve["loss"] == loss)].sort_values("epoch")
            if part.empty:
                continue
            y = part["auc"].to_numpy(dtype=float)
            ax.plot(part["epoch"], np.maximum(y, lo), color=color_of(loss), marker="o", ms=5,
                    label=loss, clip_on=False)
            for e, v in zip(part["epoch"], y):
                if v < lo:
                    ax.annotate(f"▼ {v:.2f}", (e, lo), xytext=(6, 8), textcoords="offset points",
                                fontsize=MIN_PT, color=color_of(loss), fontweight="bold")
        ax.set_title(model, color=color_of(model))
        if epochs[-1] / max(epochs[0], 1) >= 20:
            ax.set_xscale("log")
            ax.xaxis.set_minor_locator(ticker.NullLocator())
            shown = _log_ticks(epochs)
            ax.set_xticks(shown, [str(e) for e in shown])
        else:
            ax.xaxis.set_major_locator(ticker.MaxNLocator(5, integer=True))
        ax.set_xlabel("epoch")
        if lo <= 0.5:
            chance_line(ax)
    axes[0, 0].set_ylim(lo, hi)
    axes[0, 0].set_ylabel("mean test AUC over classes" + ("" if lo <= 0.5 else
                                                         "\n(chance, 0.5, is below the range)"))
    axes[0, -1].legend(title="loss", loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    _fig_titled(fig, f"{label}: AUC vs training epoch, per autoencoder", note)
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


MARKERS = ("o", "s", "^", "v", "P", "X", "*", "h")


def _method_styles(methods: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each method's (colour, marker): the colour is its family's
    (:func:`aeutils.plots.style.color_of`, so every autoencoder row is the autoencoder
    blue), the marker tells methods of one family apart; a method keeps its marker in
    every protocol (footnote marks aside)."""
    out: dict[str, tuple[str, str]] = {}
    markers: dict[str, str] = {}
    seen: dict[str, int] = {}
    for m in methods:
        col = color_of(m)
        base = re.sub(r" \[[a-z]\]$", "", m).lower().replace("-", " ")
        if base not in markers:
            markers[base] = MARKERS[seen.get(col, 0) % len(MARKERS)]
            seen[col] = seen.get(col, 0) + 1
        out[m] = (col, markers[base])
    return out


def _short(method: str, width: int = 38) -> str:
    """A row label for a slide: the seeds (named in the settings) dropped, wrapped."""
    short = re.sub(r" \(seeds? [^)]*\)", "", method).replace(" selection: ", ": ")
    return textwrap.fill(short, width, break_on_hyphens=False)


def per_class_bars(long: pd.DataFrame, classes: Sequence[str], label: str,
                   title: str = "",
                   settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """AUC per class and method as dots (error bars where ``std`` is given), so a zoomed
    AUC axis does not make bar lengths lie.

    ``long`` has columns ``method``, ``class``, ``auc`` and optional ``std``, ``quoted`` and
    ``data`` (:func:`aeutils.report.per_class_long`). Rows measured here and rows quoted
    from papers go in two panels on one AUC scale, the quoted ones hollow, so the two
    are never read as one ranking. ``settings`` (``(method, protocol)`` → how its runs were
    made, as from :func:`aeutils.report.row_settings`) marks each measured method; the
    marks are spelled out in the manifest's ``details``."""
    long, foot = _marked(long, settings)
    quoted = (long["quoted"].astype(bool) if "quoted" in long
              else pd.Series(False, index=long.index))
    parts = [(what, long[mask]) for what, mask in (("measured here", ~quoted),
                                                    ("quoted from papers", quoted))
             if mask.any()] or [("", long)]
    fig, axes = plt.subplots(len(parts), 1, sharex=True, sharey=True, squeeze=False,
                             figsize=SLIDE)
    if foot:
        set_details(fig, foot)
    lo = np.nanmin(long["auc"].to_numpy(dtype=float)) if len(long) else 0.5
    floor = max(0.0, math.floor(lo * 20) / 20 - 0.02)
    x = np.arange(len(classes))
    for ax, (what, part) in zip(axes[:, 0], parts):
        _class_dots(ax, part, x, hollow=what.startswith("quoted"))
        if what:
            data = ", ".join(d for d in dict.fromkeys(part.get("data", pd.Series(dtype=str)))
                             if isinstance(d, str) and d)
            ax.set_title(f"{what}" + (f" · {data}" if data else ""), loc="left",
                         fontsize=MIN_PT + 2, style="italic", color="0.3")
        ax.set_ylim(floor, 1.0)
        if floor < 0.5:
            chance_line(ax)
        ax.set_ylabel("test AUC")
        ax.set_xlim(-0.5, len(classes) - 0.5)
        ax.xaxis.grid(False)
        for b in x[:-1]:
            ax.axvline(b + 0.5, color="0.85", lw=1)
    bottom = axes[-1, 0]
    bottom.set_xticks(x)
    bottom.set_xticklabels(classes, rotation=30 if max(len(c) for c in classes) > 3 else 0)
    bottom.set_xlabel("normal class" + ("" if floor < 0.5 else "   (chance, 0.5, is below "
                                                                 "the AUC range)"))
    _fig_titled(fig, f"{label}: AUC per class", title)
    return fig


def _class_dots(ax, long: pd.DataFrame, x: np.ndarray, hollow: bool) -> None:
    """One panel of :func:`per_class_bars`: a dot per method in each class group."""
    methods = list(dict.fromkeys(long["method"]))
    width = 0.8 / max(len(methods), 1)
    styles = _method_styles(methods)
    for i, m in enumerate(methods):
        col, marker = styles[m]
        part = long[long["method"] == m].set_index("class").reindex(range(len(x)))
        err = part["std"].to_numpy(dtype=float) if "std" in part else None
        if err is not None and np.all(np.isnan(err)):
            err = None
        ax.errorbar(x - 0.4 + width * (i + 0.5), part["auc"].to_numpy(dtype=float), yerr=err,
                    fmt=marker, ms=9, color=col, ecolor=col, mfc="white" if hollow else col,
                    mew=2, capsize=2, lw=0, elinewidth=1.2,
                    label=_short(m, 34))
    ax.legend(fontsize=MIN_PT, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)


def mean_auc_by_protocol(table: pd.DataFrame, label: str, title: str = "",
                         settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """Each row's mean AUC as a dot, a panel per protocol (``table`` from
    :func:`aeutils.report.comparison_table`, or any frame with method, protocol, mean; a
    boolean ``quoted`` column marks rows taken from papers).

    Colour means the method, as everywhere; the protocol is the panel. Rows measured here
    (filled) come first, rows quoted from papers (hollow) below a rule, so the two are
    never read as one ranking. ``settings`` marks each measured row with how its runs
    were made (see :func:`per_class_bars`)."""
    table, foot = _marked(table, settings)
    t = table.dropna(subset=["mean"])
    t = t.assign(quoted=t["quoted"] if "quoted" in t else False).sort_values("quoted",
                                                                            kind="stable")
    t = t.reset_index(drop=True)
    protocols = list(dict.fromkeys(t["protocol"]))
    sizes = [int((t["protocol"] == p).sum()) + 1 for p in protocols]
    two = len(protocols) > 1 and sum(sizes) > 14
    right = sizes[1:] if two else sizes
    fig = plt.figure(figsize=SLIDE)
    gs = fig.add_gridspec(sum(right), 2 if two else 1, width_ratios=[1.2, 1] if two else None,
                          hspace=1.0)
    axes, start = [fig.add_subplot(gs[:, 0])] if two else [], 0
    for n in right:
        axes.append(fig.add_subplot(gs[start:start + n, -1]))
        start += n
    if foot:
        set_details(fig, foot)
    lo = min(0.5, float(t["mean"].min()) if len(t) else 0.5) - 0.03
    pal = _method_styles(list(dict.fromkeys(t["method"])))
    for ax, protocol in zip(axes, protocols):
        _protocol_panel(ax, t[t["protocol"] == protocol], pal, lo)
        ax.set_title(protocol, loc="left", fontsize=MIN_PT + 3)
    for ax in {axes[0], axes[-1]}:
        ax.set_xlabel("mean AUC over classes")
    handles = [plt.Line2D([], [], ls="", marker="o", color="0.3", ms=9, label="measured here"),
               plt.Line2D([], [], ls="", marker="o", mfc="white", mew=2, color="0.3", ms=9,
                          label="quoted from papers")]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 1), frameon=False,
               fontsize=MIN_PT, borderaxespad=0.2)
    for ax in axes[1 if two else 0:-1]:  # stacked panels share the bottom one's AUC ticks
        ax.tick_params(labelbottom=False)
    data = ", ".join(d for d in dict.fromkeys(t["data"]) if d != label) if "data" in t else ""
    _fig_titled(fig, f"{label}: mean AUC per protocol",
                "; ".join(s for s in (title, data and f"quoted rows on {data}") if s))
    return fig


def _protocol_panel(ax, t: pd.DataFrame, pal: Mapping[str, object], lo: float) -> None:
    """One panel of :func:`mean_auc_by_protocol`: a lollipop per row, value beside it."""
    quoted = t["quoted"].to_numpy()
    gap = int(quoted.any() and not quoted.all())
    y = np.arange(len(t)) + gap * quoted
    y = y.max(initial=0) - y
    n_cls = t["classes"] if "classes" in t else [None] * len(t)
    full = max((n for n in n_cls if n is not None and n == n), default=None)
    for yi, m, v, q, n in zip(y, t["method"], t["mean"], quoted, n_cls):
        col, marker = pal[m]
        ax.hlines(yi, lo, v, color=col, lw=2)
        ax.plot(v, yi, marker, ms=10, color=col, mfc="white" if q else col, mew=2)
        part = (f" ({int(n)} of {int(full)} classes)" if n is not None and n == n and full
                and n < full else "")
        ax.text(v + 0.008, yi, f" {v:.3f}{part}", va="center", fontsize=MIN_PT)
    if gap:
        ax.axhline((y[~quoted].min() + y[quoted].max()) / 2, color="0.6", lw=1)
    ax.set_yticks(y, [_short(m) for m in t["method"]], fontsize=MIN_PT, linespacing=0.95)
    ax.set_ylim(-0.7, y.max(initial=0) + 0.7)
    ax.set_xlim(lo, 1.13)
    ax.set_xticks([x for x in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0) if x >= lo])
    ax.yaxis.grid(False)
    chance_line(ax, "x")


def baseline_convergence(auc: pd.DataFrame, loss: pd.DataFrame, label: str,
                         note: str = "",
                         settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """Iterative baselines: mean test AUC at each checkpoint (left) and mean training loss
    per epoch (right, log scale), colour per method and line style per protocol, so a
    reader can see whether they were trained to a plateau; ``settings`` marks each line
    with how its runs were made (see :func:`per_class_bars`)."""
    runs = {(m, p): f"{m} · {p}" for m, p in zip(auc["method"], auc["protocol"])}
    marked, foot = footnoted(list(runs.values()),
                             [(settings or {}).get(k, "") for k in runs])
    names = dict(zip(runs, marked))
    styles = {p: s for p, s in zip(dict.fromkeys(auc["protocol"]), ("-", "--", ":", "-."))}
    fig, (a1, a2) = plt.subplots(1, 2, figsize=SLIDE)
    if foot:
        set_details(fig, foot)
    for ax, frame in ((a1, auc), (a2, loss)):
        for (m, p), part in frame.groupby(["method", "protocol"], sort=False):
            part = part.groupby("epoch")["value"].mean()
            ax.plot(part.index, part.to_numpy(), color=color_of(m), ls=styles.get(p, "-"),
                    marker="o" if ax is a1 else None, label=names.get((m, p), f"{m} · {p}"))
        # log epochs: GANomaly's 15 and Deep SVDD's 100 epochs both stay readable
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel("epoch")
    a1.set_ylabel("mean test AUC")
    a2.set_ylabel("mean training loss")
    chance_line(a1)
    if len(auc):  # AUC exists at the checkpoints only: tick those (one alone would get 4.74…)
        a1.set_xticks(sorted({int(e) for e in auc["epoch"]}))
    if len(loss):
        last = int(loss["epoch"].max())
        a2.set_xticks(sorted({e for e in (1, 2, 5, 10, 20, 50, 100, 200, 500) if e < last}
                             | {last}))
    a2.set_yscale("log")
    a1.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncols=2, frameon=False,
              fontsize=MIN_PT)
    _fig_titled(fig, f"{label}: neural baselines, convergence", note)
    return fig
