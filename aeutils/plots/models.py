"""Figures of notebook 02: architectures and what each loss measures."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import patches

from ..detectors.ssim import ssim_map
from .style import MIN_PT, SLIDE, _as_float, _show


# --- models and losses -----------------------------------------------------------------
def perturbation_losses(image, perturbed: Mapping[str, object], table: pd.DataFrame,
                        label: str) -> plt.Figure:
    """Each perturbed copy of ``image``, its SSIM map against the original and its five losses.

    ``table`` is :func:`aeutils.report.loss_table` output (index = perturbation names).
    """
    names = list(perturbed)
    fig, axes = plt.subplots(2, len(names) + 1, figsize=(SLIDE[0], 4.9),
                             gridspec_kw={"hspace": 0.08, "wspace": 0.12})
    _show(axes[0, 0], image, "original")
    axes[1, 0].axis("off")
    axes[1, 0].text(0.0, 0.5, "SSIM map\n(1 = identical)\n\nthe five\nlosses below\neach map",
                    fontsize=MIN_PT, va="center", transform=axes[1, 0].transAxes)
    im = None
    for j, name in enumerate(names, start=1):
        _show(axes[0, j], perturbed[name])
        axes[0, j].set_title(name, fontsize=MIN_PT + 1, fontweight="normal")
        smap = ssim_map(_as_float(image)[None].double(), _as_float(perturbed[name])[None].double())[0].numpy()
        im = axes[1, j].imshow(smap, cmap="magma", vmin=-0.2, vmax=1)
        axes[1, j].set_xticks([])
        axes[1, j].set_yticks([])
        axes[1, j].grid(False)
        vals = table.loc[name]
        axes[1, j].set_xlabel("\n".join(f"{k}: {v:.3f}" for k, v in vals.items()),
                              fontsize=MIN_PT, linespacing=1.1)
    if im is not None:
        fig.colorbar(im, cax=axes[1, -1].inset_axes([1.06, 0.0, 0.07, 1.0]), label="SSIM")
    fig.suptitle(f"{label}: the five losses on perturbed copies of one image")
    return fig


def architecture_diagram(layers: pd.DataFrame, title: str) -> plt.Figure:
    """Layers as boxes whose height grows with log(output size); ``layers`` from
    :func:`aeutils.report.layer_table` (columns ``layer``, ``output``, ``size``)."""
    n = len(layers)
    fig, ax = plt.subplots(figsize=(min(SLIDE[0], max(8, 1.5 * n)), 4.8))
    sizes = layers["size"].to_numpy(dtype=float)
    heights = 0.4 + 2.6 * np.log(sizes) / np.log(sizes.max())
    pal = sns.color_palette("colorblind")
    for i, (row, h) in enumerate(zip(layers.itertuples(index=False), heights)):
        role = 0 if "enc" in row.layer or row.layer == "input" else (2 if "head" in row.layer else 1)
        ax.add_patch(patches.FancyBboxPatch(
            (i - 0.35, -h / 2), 0.7, h, boxstyle="round,pad=0.02", color=pal[role], alpha=0.8))
        ax.text(i, h / 2 + 0.15, row.output, ha="center", va="bottom", fontsize=MIN_PT,
                rotation=30)
        ax.text(i, -h / 2 - 0.15, row.layer, ha="center", va="top", fontsize=MIN_PT,
                rotation=30)
        if i:
            ax.add_patch(patches.FancyArrowPatch((i - 0.66, 0), (i - 0.34, 0), arrowstyle="-|>",
                                                 mutation_scale=18, color="0.2", zorder=5))
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(-2.6, 2.6)
    ax.axis("off")
    ax.set_title(title)
    return fig
