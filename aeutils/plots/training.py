"""Figures of notebook 03: training curves, reconstructions, error maps."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker

from .style import MIN_PT, SLIDE, _as_float, _fig_titled, _np, _show, color_of


# --- training --------------------------------------------------------------------------
def training_curves(records: pd.DataFrame, label: str, title: str = "",
                    note: str = "") -> plt.Figure:
    """Mean training loss per epoch, one panel per loss in the losses' order, one line per
    autoencoder in its colour; with several normal classes, a band from the lowest to the
    highest class (said in the legend only when drawn). ``records``: final-epoch rows with
    ``loss_curve``."""
    from ..detectors.losses import LOSSES

    rows = [{"model": r.model, "loss": r.loss, "class": r.normal_class, "epoch": e + 1, "value": v}
            for r in records.itertuples() for e, v in enumerate(r.loss_curve)]
    long = pd.DataFrame(rows)
    order = list(LOSSES)
    losses = sorted(dict.fromkeys(records["loss"]),
                    key=lambda x: order.index(x) if x in order else len(order))
    ncols = min(3, len(losses))
    nrows = -(-len(losses) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(SLIDE[0], min(SLIDE[1], 3.3 * nrows + 1.5)),
                             squeeze=False, layout="constrained")
    n_epochs = int(long["epoch"].max()) if len(long) else 1
    band = long.groupby(["model", "loss"])["class"].nunique().max() > 1 if len(long) else False
    for ax, loss in zip(axes.flat, losses):
        part = long[long["loss"] == loss]
        for model, m in part.groupby("model", sort=False):
            g = m.groupby("epoch")["value"]
            mean = g.mean()
            ax.plot(mean.index, mean.to_numpy(), color=color_of(model), label=model,
                    marker="o" if n_epochs <= 20 else None, ms=4)
            if band:
                ax.fill_between(mean.index, g.min().to_numpy(), g.max().to_numpy(),
                                color=color_of(model), alpha=0.15, lw=0)
        ax.set_title(loss, color=color_of(loss))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(4, integer=True))
        ax.yaxis.set_major_locator(ticker.MaxNLocator(4))
        ax.set_xlim(1, max(n_epochs, 2))
    for ax in axes[:, 0]:
        ax.set_ylabel("training loss")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    spare = list(axes.flat)[len(losses):]
    for ax in spare:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    heading = "autoencoder" + ("\n(band: lowest to highest class)" if band else "")
    if spare:
        spare[0].legend(handles, names, title=heading, loc="center", frameon=False)
    else:
        axes[0, -1].legend(handles, names, title=heading, loc="upper left",
                           bbox_to_anchor=(1.02, 1), frameon=False)
    _fig_titled(fig, title or f"{label}: training loss per epoch", note)
    return fig


def reconstructions(normal, normal_recon, anomalous, anomalous_recon, label: str,
                    title: str = "", note: str = "",
                    anomalous_names: Sequence[str] | None = None) -> plt.Figure:
    """The thesis's layout: normal originals, their reconstructions, anomalous originals
    (each named by its class when ``anomalous_names`` is given), their reconstructions;
    as many normal as anomalous columns. ``note``: the run's settings, under the title."""
    n = min(len(normal), len(anomalous))
    rows = [("normal\noriginal", normal), ("normal\nrebuilt", normal_recon),
            ("anomalous\noriginal", anomalous), ("anomalous\nrebuilt", anomalous_recon)]
    fig, axes = plt.subplots(4, n, figsize=SLIDE, squeeze=False,
                             layout="compressed")
    for r, (name, imgs) in enumerate(rows):
        for j in range(n):
            _show(axes[r, j], imgs[j])
        axes[r, 0].set_ylabel(name, fontsize=MIN_PT + 2, rotation=0, ha="right", va="center")
    for j, cls in enumerate(list(anomalous_names or [])[:n]):
        axes[2, j].set_title(str(cls), fontsize=MIN_PT + 1, fontweight="normal", pad=3)
    _fig_titled(fig, title or f"{label}: reconstructions", note)
    return fig


def error_maps(images, recons, is_anomaly, label: str, title: str = "",
               note: str = "") -> plt.Figure:
    """Original, reconstruction and per-pixel squared error (channel mean) per image, the
    mean error under each map. ``note``: the run's settings, under the title."""
    x, r = _as_float(images), _as_float(recons)
    err = ((x - r) ** 2).mean(1).numpy()
    vmax = float(np.quantile(err, 0.995)) or 1.0
    n = len(x)
    fig, axes = plt.subplots(3, n, figsize=SLIDE, squeeze=False,
                             layout="compressed")
    im = None
    for j in range(n):
        kind = "anomalous" if bool(_np(is_anomaly)[j]) else "normal"
        _show(axes[0, j], x[j], kind)
        _show(axes[1, j], r[j])
        im = axes[2, j].imshow(err[j], cmap="inferno", vmin=0, vmax=vmax)
        axes[2, j].set_xticks([])
        axes[2, j].set_yticks([])
        axes[2, j].grid(False)
        axes[2, j].set_xlabel(f"{err[j].mean():.3f}", fontsize=MIN_PT)
    for r_, name in enumerate(("original", "rebuilt", "squared\nerror")):
        axes[r_, 0].set_ylabel(name, fontsize=MIN_PT + 2, rotation=0, ha="right", va="center")
    fig.colorbar(im, ax=axes[2, :], label="squared error", shrink=0.9)
    _fig_titled(fig, title or f"{label}: per-pixel reconstruction error", note)
    return fig
