"""A detector's view of a user's image folder: the most anomalous images and the scores
against the threshold ``predict`` uses (notebook 06)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker

from .style import MIN_PT, SLIDE, _fig_titled, _show

FLAGGED = "#D55E00"  # the frame and score of an image above the threshold


def _short(name: str, width: int = 14) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]


def most_anomalous(images, table: pd.DataFrame, threshold: float, label: str, n: int = 16,
                   note: str = "") -> plt.Figure:
    """The ``n`` highest-scored images of ``table`` (``file``, ``score``, ``flagged``; rows
    in the order of ``images``), most anomalous first, each with its score and file name;
    the ones ``predict`` flags (score above ``threshold``) framed and scored in orange."""
    order = np.argsort(-table["score"].to_numpy(), kind="stable")[:n]
    cols = min(8, max(len(order), 1))
    rows = max(1, math.ceil(len(order) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(SLIDE[0], min(SLIDE[1], 2.3 * rows + 1.6)),
                             squeeze=False)
    for ax, i in zip(axes.flat, order):
        row = table.iloc[i]
        _show(ax, images[i])
        color = FLAGGED if row["flagged"] else "0.4"
        ax.set_title(f"{row['score']:.4g}\n{_short(str(row['file']))}", fontsize=MIN_PT,
                     fontweight="normal", color=color)
        for side in ax.spines.values():
            side.set(visible=True, color=color, linewidth=3 if row["flagged"] else 1)
    for ax in list(axes.flat)[len(order):]:
        ax.axis("off")
    flagged = int(table["flagged"].sum())
    _fig_titled(fig, f"{label}: the {len(order)} most anomalous of {len(table)} images",
                f"score (higher = more anomalous) and file; framed: above the threshold "
                f"{threshold:.4g} ({flagged} flagged){'; ' + note if note else ''}")
    return fig


def score_distribution(table: pd.DataFrame, threshold: float, label: str,
                       note: str = "") -> plt.Figure:
    """The scores of the images checked (normal and anomalous apart when ``table`` has a
    ``label`` column), with the threshold and how many images lie above it."""
    fig, ax = plt.subplots(figsize=(SLIDE[0], SLIDE[1] * 0.7))
    scores = table["score"].to_numpy(float)
    bins = np.histogram_bin_edges(np.append(scores, threshold), bins=40)
    pal = sns.color_palette("colorblind")
    groups = (table.groupby("label")["score"] if "label" in table
              else [("images checked", table["score"])])
    for (name, part), color in zip(groups, (pal[3], pal[0]) if "label" in table else pal):
        ax.hist(part.to_numpy(float), bins=bins, alpha=0.6, color=color, label=str(name))
    flagged = int((scores > threshold).sum())
    ax.axvline(threshold, color="0.15", lw=2.5, ls="--",
               label=f"threshold {threshold:.4g}: {flagged} of {len(scores)} flagged")
    ax.set_xlabel("anomaly score (reconstruction loss)")
    ax.set_ylabel("images")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(6))
    ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside the data
    _fig_titled(fig, f"{label}: anomaly scores against the threshold", note)
    return fig
