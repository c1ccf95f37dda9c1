"""Figures of notebook 01: the datasets and the one-class split."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from .style import MIN_PT, SLIDE, _as_float, _fig_titled, _grid_image, _np


# --- data ------------------------------------------------------------------------------
def class_examples(images, labels, classes: Sequence[str], label: str, per_class: int = 8,
                   seed: int = 0, title: str = "") -> plt.Figure:
    """One row of ``per_class`` random examples per class (``make_grid``), class names at left."""
    labels = _np(labels)
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(len(classes)):
        idx = np.flatnonzero(labels == c)
        pick = rng.choice(idx, size=min(per_class, len(idx)), replace=False) if len(idx) else []
        x = _as_float(images[torch.as_tensor(np.sort(pick), dtype=torch.long)]) if len(pick) else None
        pad = per_class - (0 if x is None else len(x))
        blank = torch.ones((pad, *images.shape[1:]))
        rows.append(blank if x is None else torch.cat([x, blank]))
    grid = _grid_image(torch.cat(rows), nrow=per_class)
    h = images.shape[-2] + 2
    fig, ax = plt.subplots(figsize=(per_class * 0.75 + 2, min(SLIDE[1], len(classes) * 0.68 + 1.4)),
                           layout="constrained")
    ax.imshow(grid, cmap=None)
    ax.set_yticks([2 + h * i + h / 2 - 1 for i in range(len(classes))])
    ax.set_yticklabels(classes)
    ax.set_xticks([])
    ax.grid(False)
    _fig_titled(fig, title or f"{label}: {per_class} random training images per class")
    return fig


def class_balance(train_labels, test_labels, classes: Sequence[str], label: str,
                  title: str = "") -> plt.Figure:
    """Images per class in the training and test sets."""
    rows = [{"class": classes[int(c)], "split": split, "images": int(n)}
            for split, y in (("train", _np(train_labels)), ("test", _np(test_labels)))
            for c, n in zip(*np.unique(y, return_counts=True))]
    fig, ax = plt.subplots(figsize=(SLIDE[0], 6), layout="constrained")
    sns.barplot(pd.DataFrame(rows), x="class", y="images", hue="split", ax=ax)
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), title=None,
                    fontsize=MIN_PT + 1, frameon=False)
    ax.set_xlabel("")
    if max(len(c) for c in classes) > 3:
        ax.tick_params(axis="x", rotation=35)
    _fig_titled(fig, title or f"{label}: images per class")
    return fig


def one_class_split(split, classes: Sequence[str], normal_class: int, contamination: float,
                    label: str, n_examples: int = 8, title: str = "") -> plt.Figure:
    """A one-class split: how many normal/anomalous images each part holds, with examples."""
    tr_anom = _np(split.train_is_anomaly).astype(bool)
    counts = pd.DataFrame({
        "normal": [int((~tr_anom).sum()), int((_np(split.val_y) == 0).sum()),
                   int((_np(split.test_y) == 0).sum())],
        "anomalous": [int(tr_anom.sum()), int((_np(split.val_y) == 1).sum()),
                      int((_np(split.test_y) == 1).sum())],
    }, index=["train", "validation", "test"])
    fig = plt.figure(figsize=SLIDE, layout="constrained")
    gs = fig.add_gridspec(3, 2, width_ratios=[1, 1.35])
    ax = fig.add_subplot(gs[:, 0])
    share = counts.div(counts.sum(axis=1), axis=0).iloc[::-1]
    pal = sns.color_palette()
    share.plot.barh(stacked=True, ax=ax, color=[pal[0], pal[3]], width=0.6)
    for i, (n, a) in enumerate(counts.iloc[::-1].itertuples(index=False)):
        ax.text(1.02, i, f"{n} + {a}", va="center", fontsize=MIN_PT + 1)
    ax.set_xlabel("share of the part (counts: normal + anomalous)", fontsize=MIN_PT + 1)
    ax.set_xlim(0, 1.45)
    ax.set_xticks([0, 0.5, 1])
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize=MIN_PT + 1,
              frameon=False)
    rng = np.random.default_rng(0)
    test_anom = np.flatnonzero(_np(split.test_y) == 1)
    test_anom = np.sort(rng.choice(test_anom, size=min(n_examples, len(test_anom)), replace=False))
    groups = [("normal training", split.train_x[~torch.as_tensor(tr_anom)]),
              ("contamination", split.train_x[torch.as_tensor(tr_anom)]),
              ("test anomalies", split.test_x[torch.as_tensor(test_anom, dtype=torch.long)])]
    for r, (name, x) in enumerate(groups):
        a = fig.add_subplot(gs[r, 1])
        a.grid(False)
        a.set_xticks([])
        a.set_yticks([])
        a.set_ylabel(name, fontsize=MIN_PT + 1)
        if len(x):
            a.imshow(_grid_image(x[:n_examples], nrow=n_examples), cmap=None)
        else:
            a.text(0.5, 0.5, "none (clean one-class training)", ha="center", va="center",
                   transform=a.transAxes, fontsize=MIN_PT + 1)
    _fig_titled(fig, title or f"{label}: one-class split, normal class {classes[normal_class]}, "
                              f"contamination {contamination:g} %")
    return fig
