"""Figures of notebook 02: architectures and what each loss measures."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import patches

from ..detectors.ssim import ssim_map
from .style import MIN_PT, SLIDE, _as_float, _fig_titled, _show


# --- models and losses -----------------------------------------------------------------
def perturbation_losses(image, perturbed: Mapping[str, object], table: pd.DataFrame,
                        label: str, title: str = "", note: str = "") -> plt.Figure:
    """Each perturbed copy of ``image``, its SSIM map against the original and its five losses.

    ``table`` is :func:`aeutils.report.loss_table` output (index = perturbation names).
    """
    names = list(perturbed)
    fig, axes = plt.subplots(2, len(names) + 1, figsize=(SLIDE[0], 6.4), layout="compressed")
    _show(axes[0, 0], image, "original")
    axes[1, 0].axis("off")
    axes[1, 0].text(0.5, 0.5, "SSIM map\n(1 = identical)\n\nthe five\nlosses below\neach map",
                    fontsize=MIN_PT, va="center", ha="center", transform=axes[1, 0].transAxes)
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
        fig.colorbar(im, ax=axes[1, :], label="SSIM", shrink=0.9)
    _fig_titled(fig, title or f"{label}: the five losses on perturbed copies of one image", note)
    return fig


def layer_label(row: Mapping) -> str:
    """What a reader calls a layer ("conv 3×3, stride 2, 32 ch", "dense 128", "latent 32"), from a
    :func:`aeutils.report.layer_table` row and whether it is the code (``latent``)."""
    kind, out = str(row["kind"]), str(row["output"])
    if kind == "image":
        return "input"
    if row.get("latent"):
        if "μ" in out:
            return f"latent {int(out.split()[0]) // 2}\n(μ, log σ² → z)"
        return f"latent {out}"
    last = "\nsigmoid" if row.get("activation") == "sigmoid" else ""
    if "conv" in kind:
        channels = out.split("×")[0]
        name = "deconv" if kind.startswith("transposed") else "conv"
        return f"{name} 3×3\nstride 2\n{channels} ch{last}"
    return f"dense {out}{last}"


def _shape_label(output: str) -> str:
    """The output shape written above a box; the VAE's head holds μ and log σ² of a code."""
    out = str(output)
    if "μ" in out:
        return f"2×{int(out.split()[0]) // 2}"
    return out.split(" (")[0]


def architecture_diagram(layers: pd.DataFrame, title: str, note: str = "") -> plt.Figure:
    """Layers as boxes whose height grows with log(output size), each named as a reader
    would (:func:`layer_label`) with its output shape above it, the code (the narrowest
    layer) marked; ``layers`` from :func:`aeutils.report.layer_table`."""
    n = len(layers)
    fig, ax = plt.subplots(figsize=(SLIDE[0], 5.6), layout="constrained")
    sizes = layers["size"].to_numpy(dtype=float)
    heights = 0.4 + 2.6 * np.log(sizes) / np.log(sizes.max())
    latent = int(np.argmin(np.where(np.arange(n) > 0, sizes, np.inf)[:-1]))
    pal = sns.color_palette("colorblind")
    for i, (row, h) in enumerate(zip(layers.to_dict("records"), heights)):
        role = 0 if i <= latent else 1
        colour = pal[2] if i == latent else pal[role]
        ax.add_patch(patches.FancyBboxPatch(
            (i - 0.3, -h / 2), 0.6, h, boxstyle="round,pad=0.02", color=colour, alpha=0.85))
        ax.text(i, h / 2 + 0.12, _shape_label(row["output"]), ha="center", va="bottom",
                fontsize=MIN_PT)
        ax.text(i, -h / 2 - 0.12, layer_label({**row, "latent": i == latent}), ha="center",
                va="top", fontsize=MIN_PT + 1, linespacing=1.1)
        if i:
            ax.add_patch(patches.FancyArrowPatch((i - 0.66, 0), (i - 0.34, 0), arrowstyle="-|>",
                                                 mutation_scale=18, color="0.2", zorder=5))
    ax.text(latent / 2, 2.35, "encoder", ha="center", fontsize=MIN_PT + 2, color=pal[0],
            fontweight="bold")
    ax.text((latent + n - 1) / 2 + 0.5, 2.35, "decoder", ha="center", fontsize=MIN_PT + 2,
            color=pal[1], fontweight="bold")
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(-2.7, 2.7)
    ax.axis("off")
    _fig_titled(fig, title, note)
    return fig
