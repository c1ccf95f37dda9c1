"""One figure style, :func:`save_figure` (PNG + PDF + manifest entry) and the standard plots.

Every plot function returns its :class:`matplotlib.figure.Figure` and takes the
dataset's display label (``aeutils.data.display_name``), which it puts in the
title, so a figure from the CIFAR-10 JPEG copy always says so.

Figures go to ``$AEUTILS_FIGURES`` (default ``figures``); ``MANIFEST.json``
there lists each figure once (name, files, caption, notebook, profile, data,
git commit, UTC time), rewritten atomically.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib import patches, ticker
from matplotlib.font_manager import FontProperties

from .provenance import stamp
from .ssim import ssim_map

DPI = 200
MANIFEST = "MANIFEST.json"


# --- style and saving ------------------------------------------------------------------
def set_style() -> None:
    """Seaborn "talk" context: fonts and lines large enough for a slide."""
    sns.set_theme(context="talk", style="whitegrid", palette="colorblind", font_scale=0.9)
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": DPI,
                                "savefig.bbox": "tight", "axes.titleweight": "bold",
                                "figure.titleweight": "bold", "image.interpolation": "nearest"})


def figures_dir() -> Path:
    """The figure folder: ``$AEUTILS_FIGURES`` or ``figures``."""
    return Path(os.environ.get("AEUTILS_FIGURES", "figures"))


def git_commit() -> str:
    """Commit of the checkout holding ``aeutils`` (``+dirty`` with uncommitted code changes)."""
    return stamp()


def read_manifest(folder: str | os.PathLike | None = None) -> dict[str, dict]:
    """The manifest of ``folder`` (default :func:`figures_dir`) as name → entry."""
    path = Path(folder or figures_dir()) / MANIFEST
    if not path.exists():
        return {}
    return {e["name"]: e for e in json.loads(path.read_text())["figures"]}


# No creation dates in the files: the same figure gives the same bytes on every run.
_METADATA = {"pdf": {"CreationDate": None, "ModDate": None}, "png": {"Software": None}}


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly these bytes."""
    if path.exists() and path.read_bytes() == data:
        return False
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def save_figure(fig: plt.Figure, name: str, *, notebook: str, profile: str, data: str,
                caption: str = "") -> dict:
    """Write ``<figures>/<name>.png`` (``DPI``) and ``.pdf``, upsert the manifest; return the entry.

    Byte-reproducible: no dates inside the files, files rewritten only when their bytes
    change, and a manifest entry keeps its ``created`` time while nothing else changed,
    so re-running the notebooks leaves an unchanged checkout clean.
    """
    import io

    folder = figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, dpi=DPI, bbox_inches="tight", format=ext, metadata=_METADATA[ext])
        _write_if_changed(folder / f"{name}.{ext}", buf.getvalue())
        files.append(f"{name}.{ext}")
    entry = {"name": name, "files": files, "caption": caption, "notebook": notebook,
             "profile": profile, "data": data, "commit": git_commit()}
    entries = read_manifest(folder)
    old = entries.get(name, {})
    entry["created"] = old.get("created") if {k: old.get(k) for k in entry} == entry else \
        _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    entries[name] = entry
    blob = {"figures": [entries[k] for k in sorted(entries)]}
    _write_if_changed(folder / MANIFEST,
                      (json.dumps(blob, indent=1, ensure_ascii=False) + "\n").encode())
    return entry


def saver(*, notebook: str, profile: str):
    """``save(fig, name, data=…, caption=…)`` bound to a notebook and profile; returns None
    (so a notebook cell ending with it shows the figure once)."""

    def save(fig: plt.Figure, name: str, *, data: str, caption: str = "") -> None:
        save_figure(fig, name, notebook=notebook, profile=profile, data=data, caption=caption)

    return save


# --- helpers ---------------------------------------------------------------------------
def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)


def _as_float(x) -> torch.Tensor:
    """uint8 or float images (N×C×H×W) → float tensor in [0, 1]."""
    t = torch.as_tensor(_np(x))
    return t.float().div(255) if t.dtype == torch.uint8 else t.float()


def _hwc(img) -> np.ndarray:
    """One C×H×W image → H×W (grey) or H×W×3 array in [0, 1] for ``imshow``."""
    a = _np(_as_float(img[None]))[0]
    return a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)


def _show(ax, img, title: str | None = None, **kw) -> None:
    a = _hwc(img)
    ax.imshow(a, cmap="gray" if a.ndim == 2 else None, vmin=0, vmax=1, **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize="small")


def _grid_image(images, nrow: int, pad: int = 2) -> np.ndarray:
    from torchvision.utils import make_grid

    g = make_grid(_as_float(images), nrow=nrow, padding=pad, pad_value=1.0)
    return g.permute(1, 2, 0).numpy()


def _titled(ax, main: str, sub: str = "") -> None:
    """Bold ``main`` title with a smaller, wrapped ``sub`` line (e.g. the profile's settings)."""
    if not sub:
        ax.set_title(main)
        return
    size = FontProperties(size="x-small").get_size_in_points()
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    sub = textwrap.fill(sub, max(30, int(width_pt / (0.55 * size))))
    ax.annotate(sub, (0.5, 1.0), xycoords="axes fraction", xytext=(0, 5),
                textcoords="offset points", ha="center", va="bottom", fontsize=size, color="0.25")
    ax.set_title(main, pad=10 + 1.25 * size * (sub.count("\n") + 1))


def _fig_titled(fig, main: str, sub: str = "") -> None:
    """Figure-level :func:`_titled`: bold suptitle, the wrapped ``sub`` below it."""
    fig.suptitle(main + (f"\n{textwrap.fill(sub, int(fig.get_figwidth() * 9))}" if sub else ""))


# --- data ------------------------------------------------------------------------------
def class_examples(images, labels, classes: Sequence[str], label: str, per_class: int = 8,
                   seed: int = 0) -> plt.Figure:
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
    fig, ax = plt.subplots(figsize=(per_class * 0.9 + 1.5, len(classes) * 0.9 + 0.8))
    ax.imshow(grid, cmap=None)
    ax.set_yticks([2 + h * i + h / 2 - 1 for i in range(len(classes))])
    ax.set_yticklabels(classes)
    ax.set_xticks([])
    ax.grid(False)
    ax.set_title(f"{label}: examples per class")
    return fig


def class_balance(train_labels, test_labels, classes: Sequence[str], label: str) -> plt.Figure:
    """Images per class in the training and test sets."""
    rows = [{"class": classes[int(c)], "split": split, "images": int(n)}
            for split, y in (("train", _np(train_labels)), ("test", _np(test_labels)))
            for c, n in zip(*np.unique(y, return_counts=True))]
    fig, ax = plt.subplots(figsize=(max(8, len(classes) * 1.1), 5))
    sns.barplot(pd.DataFrame(rows), x="class", y="images", hue="split", ax=ax)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.2)
    sns.move_legend(ax, "upper center", ncols=2, title=None, fontsize="small")
    ax.set_title(f"{label}: images per class")
    ax.set_xlabel("")
    if max(len(c) for c in classes) > 3:
        ax.tick_params(axis="x", rotation=35)
    return fig


def one_class_split(split, classes: Sequence[str], normal_class: int, contamination: float,
                    label: str, n_examples: int = 8) -> plt.Figure:
    """A one-class split: how many normal/anomalous images each part holds, with examples."""
    tr_anom = _np(split.train_is_anomaly).astype(bool)
    counts = pd.DataFrame({
        "normal": [int((~tr_anom).sum()), int((_np(split.val_y) == 0).sum()),
                   int((_np(split.test_y) == 0).sum())],
        "anomalous": [int(tr_anom.sum()), int((_np(split.val_y) == 1).sum()),
                      int((_np(split.test_y) == 1).sum())],
    }, index=["train", "validation", "test"])
    fig = plt.figure(figsize=(15, 6.5))
    gs = fig.add_gridspec(3, 2, width_ratios=[1, 1.35])
    ax = fig.add_subplot(gs[:, 0])
    share = counts.div(counts.sum(axis=1), axis=0).iloc[::-1]
    pal = sns.color_palette()
    share.plot.barh(stacked=True, ax=ax, color=[pal[0], pal[3]], width=0.6)
    for i, (n, a) in enumerate(counts.iloc[::-1].itertuples(index=False)):
        ax.text(1.02, i, f"{n} + {a}", va="center", fontsize="small")
    ax.set_xlabel("share of the part (counts: normal + anomalous)", fontsize="small")
    ax.set_xlim(0, 1.45)
    ax.set_xticks([0, 0.5, 1])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 1.12), ncols=2, fontsize="small")
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
        a.set_ylabel(name, fontsize="small")
        if len(x):
            a.imshow(_grid_image(x[:n_examples], nrow=n_examples), cmap=None)
        else:
            a.text(0.5, 0.5, "none (clean one-class training)", ha="center", va="center",
                   transform=a.transAxes, fontsize="small")
    fig.suptitle(f"{label}: one-class split, normal class {classes[normal_class]}, "
                 f"contamination {contamination:g} %")
    fig.tight_layout()
    return fig


# --- models and losses -----------------------------------------------------------------
def perturbation_losses(image, perturbed: Mapping[str, object], table: pd.DataFrame,
                        label: str) -> plt.Figure:
    """Each perturbed copy of ``image``, its SSIM map against the original and its five losses.

    ``table`` is :func:`aeutils.report.loss_table` output (index = perturbation names).
    """
    names = list(perturbed)
    fig, axes = plt.subplots(2, len(names) + 1, figsize=(3.2 * (len(names) + 1), 6.6),
                             gridspec_kw={"hspace": 0.12})
    _show(axes[0, 0], image, "original")
    axes[1, 0].axis("off")
    axes[1, 0].text(0.0, 0.5, "row 2: SSIM map\n(1 = identical,\nwhite)\n\nlosses below\neach map",
                    fontsize="small", va="center", transform=axes[1, 0].transAxes)
    im = None
    for j, name in enumerate(names, start=1):
        _show(axes[0, j], perturbed[name], name)
        smap = ssim_map(_as_float(image)[None].double(), _as_float(perturbed[name])[None].double())[0].numpy()
        im = axes[1, j].imshow(smap, cmap="magma", vmin=-0.2, vmax=1)
        axes[1, j].set_xticks([])
        axes[1, j].set_yticks([])
        axes[1, j].grid(False)
        vals = table.loc[name]
        axes[1, j].set_xlabel("\n".join(f"{k}: {v:.3f}" for k, v in vals.items()),
                              fontsize="x-small", linespacing=1.1)
    if im is not None:
        fig.colorbar(im, cax=axes[1, -1].inset_axes([1.06, 0.0, 0.07, 1.0]), label="SSIM")
    fig.suptitle(f"{label}: the five losses on perturbed copies of one image")
    return fig


def architecture_diagram(layers: pd.DataFrame, title: str) -> plt.Figure:
    """Layers as boxes whose height grows with log(output size); ``layers`` from
    :func:`aeutils.report.layer_table` (columns ``layer``, ``output``, ``size``)."""
    n = len(layers)
    fig, ax = plt.subplots(figsize=(max(8, 1.5 * n), 4.6))
    sizes = layers["size"].to_numpy(dtype=float)
    heights = 0.4 + 2.6 * np.log(sizes) / np.log(sizes.max())
    pal = sns.color_palette("colorblind")
    for i, (row, h) in enumerate(zip(layers.itertuples(index=False), heights)):
        role = 0 if "enc" in row.layer or row.layer == "input" else (2 if "head" in row.layer else 1)
        ax.add_patch(patches.FancyBboxPatch(
            (i - 0.35, -h / 2), 0.7, h, boxstyle="round,pad=0.02", color=pal[role], alpha=0.8))
        ax.text(i, h / 2 + 0.15, row.output, ha="center", va="bottom", fontsize="x-small",
                rotation=30)
        ax.text(i, -h / 2 - 0.15, row.layer, ha="center", va="top", fontsize="x-small",
                rotation=30)
        if i:
            ax.add_patch(patches.FancyArrowPatch((i - 0.66, 0), (i - 0.34, 0), arrowstyle="-|>",
                                                 mutation_scale=18, color="0.2", zorder=5))
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(-2.6, 2.6)
    ax.axis("off")
    ax.set_title(title)
    return fig


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
    fig.tight_layout()
    return fig


def reconstructions(normal, normal_recon, anomalous, anomalous_recon, label: str,
                    title: str = "") -> plt.Figure:
    """The thesis's layout: normal originals, their reconstructions, anomalous originals,
    their reconstructions (one row each)."""
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
    fig.suptitle(f"{label}: reconstructions" + (f" — {title}" if title else ""))
    fig.subplots_adjust(wspace=0.05, hspace=0.08)
    return fig


def error_maps(images, recons, is_anomaly, label: str, title: str = "") -> plt.Figure:
    """Original, reconstruction and per-pixel squared error (channel mean) per image."""
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
    fig.suptitle(f"{label}: per-pixel reconstruction error" + (f" — {title}" if title else ""))
    return fig


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
    fig.tight_layout()
    return fig


def auc_vs_contamination(curve: pd.DataFrame, label: str, note: str = "") -> plt.Figure:
    """Test AUC against the % of anomalies in training: thin line per class, thick mean.

    ``curve`` has columns ``contamination``, ``normal_class``, ``auc`` (and optional ``config``).
    """
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for c, part in curve.groupby("normal_class"):
        part = part.sort_values("contamination")
        ax.plot(part["contamination"], part["auc"], color="grey", lw=1, alpha=0.6)
        ax.text(part["contamination"].iloc[-1], part["auc"].iloc[-1], f" {c}", fontsize="xx-small",
                va="center", color="grey")
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
    if curve["epoch"].max() / max(curve["epoch"].min(), 1) >= 20:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_ylabel("mean test AUC over classes")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    _titled(ax, f"{label}: AUC vs training epoch", note)
    return fig


def per_class_bars(long: pd.DataFrame, classes: Sequence[str], label: str,
                   title: str = "") -> plt.Figure:
    """Grouped bars: AUC per class and method, error bars where ``std`` is given.

    ``long`` has columns ``method``, ``class``, ``auc`` and optional ``std``.
    """
    methods = list(dict.fromkeys(long["method"]))
    width = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(min(18, max(10, 0.9 * len(classes) + 0.12 * len(methods) * len(classes))), 6))
    pal = sns.color_palette("colorblind" if len(methods) <= 10 else "husl", n_colors=len(methods))
    x = np.arange(len(classes))
    for i, (m, col) in enumerate(zip(methods, pal)):
        part = long[long["method"] == m].set_index("class").reindex(range(len(classes)))
        err = part["std"].to_numpy(dtype=float) if "std" in part else None
        if err is not None and np.all(np.isnan(err)):
            err = None
        ax.bar(x - 0.4 + width * (i + 0.5), part["auc"].to_numpy(dtype=float), width, yerr=err,
               label=m, color=col, capsize=2, error_kw={"lw": 1})
    ax.set_xticks(x)
    ax.set_xticklabels(classes, rotation=30 if max(len(c) for c in classes) > 3 else 0)
    lo = np.nanmin(long["auc"].to_numpy(dtype=float)) if len(long) else 0.5
    ax.set_ylim(max(0.0, math.floor(lo * 10) / 10 - 0.05), 1.0)
    ax.axhline(0.5, color="grey", ls="--", lw=1)
    ax.set_ylabel("test AUC")
    ax.set_xlabel("normal class")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))
    _titled(ax, f"{label}: AUC per class", title)
    return fig


def mean_auc_by_protocol(table: pd.DataFrame, label: str, title: str = "") -> plt.Figure:
    """Horizontal bars of each row's mean AUC, coloured by protocol (``table`` from
    :func:`aeutils.report.comparison_table`, or any frame with method, protocol, mean)."""
    t = table.dropna(subset=["mean"]).reset_index(drop=True)
    protocols = list(dict.fromkeys(t["protocol"]))
    pal = dict(zip(protocols, sns.color_palette("colorblind", n_colors=max(len(protocols), 1))))
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(t) + 1.8))
    y = np.arange(len(t))[::-1]
    ax.barh(y, t["mean"], color=[pal[p] for p in t["protocol"]])
    n_cls = t["classes"] if "classes" in t else [None] * len(t)
    full = max((n for n in n_cls if n is not None and n == n), default=None)
    for yi, v, n in zip(y, t["mean"], n_cls):
        part = f" ({int(n)} classes)" if n is not None and n == n and full and n < full else ""
        ax.text(v, yi, f" {v:.3f}{part}", va="center", fontsize="x-small")
    ax.set_yticks(y)
    ax.set_yticklabels([f"{m} [{d}]" if "data" in t else m for m, d in
                        zip(t["method"], t.get("data", t["method"]))], fontsize="x-small")
    ax.set_xlim(0, 1.08)
    ax.axvline(0.5, color="grey", ls="--", lw=1)
    ax.set_xlabel("mean AUC over classes")
    handles = [patches.Patch(color=pal[p], label=p) for p in protocols]
    ax.legend(handles=handles, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1),
              title="protocol", title_fontsize="x-small")
    _titled(ax, f"{label}: mean AUC, every row with its protocol", title)
    return fig
