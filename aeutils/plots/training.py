"""Figures of notebook 03: training curves, reconstructions, error maps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker

from .style import _as_float, _fig_titled, _np, _show


# --- training --------------------------------------------------------------------------
def training_curves(records: pd.DataFrame, label: str, note: str = "") -> plt.Figure:
    """Mean training loss per epoch (band: min–max over classes), one panel per loss,
    one line per autoencoder. ``records``: final-epoch rows with ``loss_curve``."""
    rows = [{"model": r.model, "loss": r.loss, "class": r.normal_class, "epoch": e + 1, "value": v}
            for r in records.itertuples() for e, v in enumerate(r.loss_curve)]
    long = pd.DataFrame(rows)
    losses = list(dict.fromkeys(records["loss"]))
    fig, axes = plt.subplots(1, len(losses), figsize=(4.6 * len(losses), 4.6), squeeze=False)
    for ax, loss in zip(axes[0], losses):
        part = long[long["loss"] == loss]
        sns.lineplot(part, x="epoch", y="value", hue="model", errorbar=("pi", 100), ax=ax,
                     marker="o", legend=ax is axes[0, -1])
        ax.set_title(loss)
        ax.set_ylabel("training loss" if ax is axes[0, 0] else "")
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    if axes[0, -1].get_legend() is not None:
        sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    _fig_titled(fig, f"{label}: training loss per epoch", note)
    return fig


def reconstructions(normal, normal_recon, anomalous, anomalous_recon, label: str,
                    title: str = "", note: str = "") -> plt.Figure:
    """The thesis's layout: normal originals, their reconstructions, anomalous originals,
    their reconstructions (one row each). ``note``: the run's settings, under the title."""
    rows = [("normal\noriginal", normal), ("normal\nreconstructed", normal_recon),
            ("anomalous\noriginal", anomalous), ("anomalous\nreconstructed", anomalous_recon)]
    n = max(len(normal), len(anomalous))
    fig, axes = plt.subplots(4, n, figsize=(1.35 * n + 1.8, 6.6), squeeze=False)
    for r, (name, imgs) in enumerate(rows):
        for j in range(n):
            ax = axes[r, j]
            if j < len(imgs):
                _show(ax, imgs[j])
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(name, fontsize="small", rotation=0, ha="right", va="center")
    _fig_titled(fig, f"{label}: reconstructions" + (f" — {title}" if title else ""), note)
    fig.subplots_adjust(wspace=0.05, hspace=0.08)
    return fig


def error_maps(images, recons, is_anomaly, label: str, title: str = "",
               note: str = "") -> plt.Figure:
    """Original, reconstruction and per-pixel squared error (channel mean) per image.
    ``note``: the run's settings, under the title."""
    x, r = _as_float(images), _as_float(recons)
    err = ((x - r) ** 2).mean(1).numpy()
    vmax = float(np.quantile(err, 0.995)) or 1.0
    n = len(x)
    fig, axes = plt.subplots(3, n, figsize=(1.5 * n + 2.2, 5.6), squeeze=False)
    im = None
    for j in range(n):
        kind = "anomalous" if bool(_np(is_anomaly)[j]) else "normal"
        _show(axes[0, j], x[j], kind)
        _show(axes[1, j], r[j])
        im = axes[2, j].imshow(err[j], cmap="inferno", vmin=0, vmax=vmax)
        axes[2, j].set_xticks([])
        axes[2, j].set_yticks([])
        axes[2, j].grid(False)
        axes[2, j].set_xlabel(f"{err[j].mean():.3f}", fontsize="x-small")
    for r_, name in enumerate(("original", "reconstructed", "squared\nerror")):
        axes[r_, 0].set_ylabel(name, fontsize="small", rotation=0, ha="right", va="center")
    fig.colorbar(im, cax=axes[2, -1].inset_axes([1.08, 0.0, 0.08, 1.0]), label="error")
    _fig_titled(fig, f"{label}: per-pixel reconstruction error" + (f" — {title}" if title else ""),
                note)
    return fig
