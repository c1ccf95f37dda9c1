"""Figures of notebook 04: the AUC of every configuration, ROC curves, score histograms,
contamination and training length.

Every function takes the table it draws, the dataset's display ``label``, a ``title``
(the finding, from :mod:`aeutils.report.headlines`; a plain name of the chart without
one) and a ``note`` (the settings line under it).
"""

from __future__ import annotations

import math
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
    chance_line,
    color_of,
)

# The heatmap's colour: how far a cell is below the best of its row, on one scale for
# every dataset (0 = the row's best, palest; GAP_MAX and beyond share the darkest colour;
# a square-root scale, so the small gaps between close configurations stay apart), so the
# colour says which configuration wins a class and by how much, on MNIST's narrow range as
# on CIFAR-10's wide one, and the number in the cell says the AUC itself.
GAP_MAX = 0.10
GAP_TICKS = (0, 0.005, 0.01, 0.02, 0.05, 0.1)
_GAP_CMAP = sns.color_palette("mako_r", as_cmap=True)
DECIMALS = 3  # AUC in cells and labels: three decimals tell MNIST's configurations apart


def best_cells(values: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Mask of the cells equal to their row's best at the shown precision: a tie is
    boxed on every cell that ties, never on one chosen by position."""
    shown = np.round(np.asarray(values, dtype=float), decimals)
    with np.errstate(invalid="ignore"):
        best = np.nanmax(np.where(np.isnan(shown), -np.inf, shown), axis=1, keepdims=True)
    return np.isfinite(shown) & (shown == best)


def auc_heatmap(matrix: pd.DataFrame, label: str, note: str = "", metric: str = "AUC",
                title: str = "") -> plt.Figure:
    """Class × configuration: each cell's test ``metric`` written, coloured by how far it
    is below the best of its row (:data:`GAP_MAX`), the best of each row boxed (every cell
    of a tie), cells below chance hatched (``matrix`` from
    :func:`aeutils.report.auc_matrix`)."""
    values = matrix.to_numpy(dtype=float)
    shown = np.round(values, DECIMALS)
    best = best_cells(values)
    with np.errstate(invalid="ignore"):
        gap = np.nanmax(np.where(best, shown, np.nan), axis=1, keepdims=True) - shown
    text = np.array([[f"{v:.{DECIMALS}f}" if np.isfinite(v) else "" for v in row]
                     for row in shown])
    height = min(SLIDE[1], 0.5 * matrix.shape[0] + 2.8)
    fig, ax = plt.subplots(figsize=(SLIDE[0], height), layout="constrained")
    sns.heatmap(pd.DataFrame(gap, index=matrix.index, columns=matrix.columns), annot=text,
                fmt="", cmap=_GAP_CMAP, norm=colors.PowerNorm(0.5, vmin=0, vmax=GAP_MAX),
                ax=ax, annot_kws={"fontsize": MIN_PT}, linewidths=0.5, linecolor="white",
                cbar_kws={"label": f"{metric} below the best of its row", "pad": 0.02,
                          "extend": "max",  # a short bar: fewer ticks, kept apart
                          "ticks": GAP_TICKS if height >= 5 else (0, 0.02, 0.1)})
    for i, j in zip(*np.nonzero(best)):
        ax.add_patch(patches.Rectangle((j, i), 1, 1, fill=False, ec="#D55E00", lw=3))
    for i, j in zip(*np.nonzero(values < 0.5)):
        ax.add_patch(patches.Rectangle((j, i), 1, 1, fill=False, ec="white", lw=0,
                                       hatch="///"))
    ax.collections[0].colorbar.ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.set_ylabel("normal class")
    ax.set_xlabel("autoencoder / loss   (box: best of the row, every cell of a tie; "
                  "hatched: below chance)")
    ax.tick_params(axis="x", rotation=45, labelsize=MIN_PT + 1)
    ax.tick_params(axis="y", rotation=0, labelsize=MIN_PT + 1)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    if "mean" in matrix.index:
        ax.axhline(list(matrix.index).index("mean"), color="white", lw=4)
    _fig_titled(fig, title or f"{label}: test {metric} per normal class", note)
    return fig


def roc_curves(curves: Mapping[str, tuple], label: str, title: str = "",
               note: str = "") -> plt.Figure:
    """ROC curves; ``curves`` maps a name to (fpr, tpr, auc). The legend sits beside the
    square plot, never on the curves."""
    fig, ax = plt.subplots(figsize=SLIDE, layout="constrained")
    pal = sns.color_palette("colorblind" if len(curves) <= 10 else "husl",
                            n_colors=max(len(curves), 1))
    for (name, (fpr, tpr, auc)), col in zip(curves.items(), pal):
        ax.plot(fpr, tpr, label=f"{name} ({auc:.{DECIMALS}f})", color=col, lw=2.2)
    ax.plot([0, 1], [0, 1], label="chance (0.500)", **CHANCE)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_aspect("equal")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.005)
    ax.legend(loc="center left", bbox_to_anchor=(1.03, 0.5), title="class: configuration (AUC)",
              fontsize=MIN_PT + 1, frameon=False)
    _fig_titled(fig, title or f"{label}: ROC curves", note)
    return fig


def score_histograms(panels: Mapping[str, tuple], label: str, title: str = "",
                     note: str = "", ncols: int = 5) -> plt.Figure:
    """Anomaly-score histograms, normal vs anomalous; ``panels`` maps a title to (scores, labels)."""
    n = len(panels)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(SLIDE[0], min(SLIDE[1], 3.0 * nrows + 1.8)),
                             squeeze=False, layout="constrained")
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
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside lower right", ncols=2,
               frameon=False)
    fig.supxlabel("anomaly score (reconstruction loss)", fontsize=MIN_PT + 2)
    _fig_titled(fig, title or f"{label}: anomaly scores, normal vs anomalous", note)
    return fig


def spread_labels(ys: list[float], gap: float, lo: float | None = None,
                  hi: float | None = None) -> list[float]:
    """Label heights at least ``gap`` apart, each as near its line's end as that allows
    (order kept), so the labels at the right of a line plot do not overprint; with
    ``lo``/``hi`` the block is kept within those heights (half a gap inside)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [float(ys[i]) for i in order]
    for k in range(1, len(placed)):  # push up what sits too close above its neighbour
        placed[k] = max(placed[k], placed[k - 1] + gap)
    shift = (sum(placed) - sum(ys[i] for i in order)) / max(len(placed), 1)
    placed = [p - shift for p in placed]  # centre the block on the lines it labels
    if placed and lo is not None and placed[0] < lo + gap / 2:
        placed = [p + lo + gap / 2 - placed[0] for p in placed]
    if placed and hi is not None and placed[-1] > hi - gap / 2:
        placed = [p - (placed[-1] - hi + gap / 2) for p in placed]
    out = [0.0] * len(ys)
    for i, p in zip(order, placed):
        out[i] = p
    return out


def auc_vs_contamination(curve: pd.DataFrame, label: str, title: str = "",
                         note: str = "") -> plt.Figure:
    """Test AUC against the % of anomalies in training: thin grey line per class, the
    thick mean in its configuration's colour, each labelled at its right end; the chance
    line.

    ``curve`` has columns ``contamination``, ``normal_class``, ``auc`` (and optional ``config``).
    """
    fig, ax = plt.subplots(figsize=SLIDE, layout="constrained")
    cfg = str(curve["config"].iloc[0]) if "config" in curve and len(curve) else ""
    ends = {}
    for c, part in curve.groupby("normal_class"):
        part = part.sort_values("contamination")
        ax.plot(part["contamination"], part["auc"], color="0.6", lw=1.2)
        ends[f"class {c}"] = (part["contamination"].iloc[-1], part["auc"].iloc[-1])
    mean = curve.groupby("contamination")["auc"].mean()
    colour = color_of(cfg) if cfg else "black"
    ax.plot(mean.index, mean.to_numpy(), color=colour, lw=3.5, marker="o")
    chance_line(ax)
    lo = min(0.45, float(curve["auc"].min()) - 0.02) if len(curve) else 0.45
    ax.set_ylim(lo, 1.005)
    if len(mean):
        ends["mean"] = (mean.index[-1], float(mean.iloc[-1]))
    labels_y = spread_labels([y for _, y in ends.values()], gap=0.045 * (1.005 - lo),
                             lo=lo, hi=1.005)
    for (name, (x, _)), y in zip(ends.items(), labels_y):
        bold = name == "mean"
        ax.text(x, y, f"  {name}", fontsize=MIN_PT + (2 if bold else 0), va="center",
                color=colour if bold else "0.35", fontweight="bold" if bold else "normal")
    ax.text(0, 0.5, " chance", va="bottom", fontsize=MIN_PT, color="0.35")
    top = float(curve["contamination"].max()) if len(curve) else 100.0
    ax.set_xlim(-0.02 * top, 1.16 * top)  # room for the end labels
    ax.set_xlabel("anomalies in training (% of the normal count)")
    ax.set_ylabel("test AUC")
    _fig_titled(fig, title or f"{label}: AUC vs contamination" + (f" ({cfg})" if cfg else ""),
                note)
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


def _below_floor(ax, part: pd.DataFrame, lo: float, colour, stacked: dict) -> None:
    """Values under the axis floor, written above it ("▼ 0.78"), stacked per epoch so two
    such values at one checkpoint never overprint."""
    for e, v in zip(part["epoch"], part["auc"]):
        if v < lo:
            k = stacked.get(e, 0)
            stacked[e] = k + 1
            ax.annotate(f"▼ {v:.2f}", (e, lo), xytext=(6, 8 + k * (MIN_PT + 6)),
                        textcoords="offset points", fontsize=MIN_PT, color=colour,
                        fontweight="bold", zorder=5,
                        bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1})


def _epoch_axis(ax, epochs: Sequence[int]) -> None:
    if epochs[-1] / max(epochs[0], 1) >= 20:
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        shown = _log_ticks(epochs)
        ax.set_xticks(shown, [str(e) for e in shown])
    else:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(5, integer=True))
    ax.set_xlabel("epoch")


def auc_vs_epoch(curve: pd.DataFrame, label: str, title: str = "",
                 note: str = "") -> plt.Figure:
    """Mean test AUC over classes at each checkpoint epoch: a panel per autoencoder (shared
    AUC range, log epochs), a line per loss, in the losses' colours.

    ``curve`` has columns ``config``, ``epoch``, ``auc``, ``model`` and ``loss``.
    """
    from ..detectors.losses import LOSSES

    models = list(dict.fromkeys(curve["model"]))
    losses = sorted(dict.fromkeys(curve["loss"]),
                    key=lambda x: list(LOSSES).index(x) if x in LOSSES else len(LOSSES))
    fig, axes = plt.subplots(1, len(models), figsize=SLIDE, sharey=True, squeeze=False,
                             layout="constrained")
    epochs = sorted(int(e) for e in curve["epoch"].unique())
    lo = _auc_floor(curve)
    hi = float(curve["auc"].max()) + 0.05 * (float(curve["auc"].max()) - lo)
    for ax, model in zip(axes[0], models):
        stacked: dict = {}
        for loss in losses:
            part = curve[(curve["model"] == model) & (curve["loss"] == loss)].sort_values("epoch")
            if part.empty:
                continue
            y = part["auc"].to_numpy(dtype=float)
            ax.plot(part["epoch"], np.maximum(y, lo), color=color_of(loss), marker="o", ms=5,
                    label=loss, clip_on=False)
            _below_floor(ax, part, lo, color_of(loss), stacked)
        ax.set_title(model, color=color_of(model))
        _epoch_axis(ax, epochs)
        if lo <= 0.5:
            chance_line(ax)
    axes[0, 0].set_ylim(lo, hi)
    axes[0, 0].set_ylabel("mean test AUC over classes" + ("" if lo <= 0.5 else
                                                         "\n(chance, 0.5, is below the range)"))
    axes[0, -1].legend(title="loss", loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    _fig_titled(fig, title or f"{label}: AUC vs training epoch, per autoencoder", note)
    return fig
