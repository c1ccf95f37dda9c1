"""One figure style for the notebooks and the slides, saving (PNG + PDF + manifest entry)
and drawing helpers.

Every figure is drawn for a 16:9 slide: at most :data:`SLIDE` inches (13.33 × 7.5, the
slide itself), no text below :data:`MIN_PT` points there, one colour per autoencoder,
per loss and per compared method (:func:`color_of`), the same in every figure.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

from .. import settings
from ..files import atomic_write
from ..provenance import stamp

DPI = 200
MANIFEST = "MANIFEST.json"
SLIDE = (13.33, 7.5)  # inches: a 16:9 slide, the size every figure is drawn for
MIN_PT = 12  # the smallest text on a figure shown full-screen on that slide
SMALL = 13  # annotations (cell values, end labels, settings line)

# One colour per name, everywhere: the autoencoders, the losses, and the compared methods
# (an autoencoder row of a comparison takes the autoencoder colour of its family).
MODEL_COLORS = {"basic": "#0072B2", "conv": "#117733", "vae": "#882255"}
LOSS_COLORS = {"mse": "#E69F00", "bce": "#56B4E9", "ssim": "#009E73",
               "mse+ssim": "#CC79A7", "bce+ssim": "#3D3D3D"}
METHOD_COLORS = {"ae": "#0072B2", "thesis": "#0072B2", "deep-svdd": "#D55E00",
                 "deep svdd": "#D55E00", "ganomaly": "#E69F00", "anogan": "#A6761D",
                 "egbad": "#7F5F00", "knn": "#56B4E9",
                 "pretrained-knn": "#56B4E9", "untrained-knn": "#56B4E9", "kmeans": "#2B8CBE", "pca": "#009E73",
                 "ocsvm": "#999933", "iforest": "#AA4499", "kde": "#44AA99", "geom": "#882255",
                 "ocgan": "#CC6677", "densenet-169": "#777777", "resnet-152": "#999999",
                 "inception-v4": "#BBBBBB"}
OTHER = "#888888"
CHANCE = {"color": "0.35", "ls": "--", "lw": 1.2, "zorder": 1}


def color_of(name: str) -> str:
    """The colour of an autoencoder, a loss or a compared method, by name ("vae/mse" takes
    its autoencoder's; "AE best …" and "Thesis: AE …" rows the autoencoder blue)."""
    key = str(name).strip().lower()
    for table in (MODEL_COLORS, LOSS_COLORS, METHOD_COLORS):
        if key in table:
            return table[key]
    head = key.split("/")[0].split(" [")[0].split(" ·")[0]
    if head in MODEL_COLORS:
        return MODEL_COLORS[head]
    if key.startswith(("ae ", "ae,", "thesis")):
        return METHOD_COLORS["ae"]
    return METHOD_COLORS.get(head, OTHER)


def chance_line(ax, axis: str = "y") -> None:
    """The AUC of a random score (0.5), dashed, on an AUC axis."""
    (ax.axhline if axis == "y" else ax.axvline)(0.5, **CHANCE)


# --- style and saving ------------------------------------------------------------------
def set_style() -> None:
    """Seaborn's whitegrid with sizes in points fixed for a figure of at most :data:`SLIDE`."""
    sns.set_theme(style="whitegrid", palette="colorblind")
    matplotlib.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": DPI, "savefig.bbox": "tight",
        "font.size": 16, "axes.titlesize": 18, "axes.labelsize": 16, "xtick.labelsize": 14,
        "ytick.labelsize": 14, "legend.fontsize": 14, "legend.title_fontsize": 14,
        "figure.titlesize": 20, "axes.titleweight": "bold", "figure.titleweight": "bold",
        "lines.linewidth": 2.2, "image.interpolation": "nearest", "legend.framealpha": 0.9})


def figures_dir() -> Path:
    """The figure folder: ``$AEUTILS_FIGURES`` or ``figures``."""
    return settings.path("AEUTILS_FIGURES")


def slide_text_sizes(fig: plt.Figure) -> list[float]:
    """The point size of every visible text of ``fig`` as shown full-screen on a 16:9
    slide (a figure larger than :data:`SLIDE` is shrunk to fit, its text with it)."""
    w, h = fig.get_size_inches()
    scale = min(1.0, SLIDE[0] / w, SLIDE[1] / h)
    return [t.get_fontsize() * scale for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip()]


def set_details(fig: plt.Figure, details: str) -> None:
    """Settings too long for the figure's one settings line: :func:`save_figure` writes
    them into the figure's manifest entry (``details``), from where captions and slides
    read them."""
    fig._aeutils_details = details  # noqa: SLF001


def read_manifest(folder: str | os.PathLike | None = None) -> dict[str, dict]:
    """The manifest of ``folder`` (default :func:`figures_dir`) as name → entry."""
    path = Path(folder or figures_dir()) / MANIFEST
    if not path.exists():
        return {}
    return {e["name"]: e for e in json.loads(path.read_text())["figures"]}


# No creation dates or software versions in the files: the same figure, the same bytes.
_METADATA = {"pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
             "png": {"Software": None}}


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly these bytes."""
    if path.exists() and path.read_bytes() == data:
        return False
    atomic_write(path, data)
    return True


def save_figure(fig: plt.Figure, name: str, *, notebook: str, profile: str, data: str,
                caption: str = "", folder: str | os.PathLike | None = None) -> dict:
    """Write ``<folder>/<name>.png`` (``DPI``) and ``.pdf``, upsert the manifest; return the
    entry. ``folder``: default :func:`figures_dir`.

    The entry holds a SHA-256 of the files' bytes; ``commit`` and ``created`` name the
    render that last changed the entry (bytes, caption or details), so re-rendering the
    same figure with newer code leaves both files and manifest byte for byte as they were.
    """
    folder = Path(folder) if folder is not None else figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    files, digest = [], hashlib.sha256()
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, dpi=DPI, bbox_inches="tight", format=ext, metadata=_METADATA[ext])
        _write_if_changed(folder / f"{name}.{ext}", buf.getvalue())
        digest.update(buf.getvalue())
        files.append(f"{name}.{ext}")
    entry = {"name": name, "files": files, "caption": caption, "notebook": notebook,
             "profile": profile, "data": data}
    if getattr(fig, "_aeutils_details", ""):
        entry["details"] = fig._aeutils_details  # noqa: SLF001
    entry["sha256"] = digest.hexdigest()
    entries = read_manifest(folder)
    old = entries.get(name, {})
    if {k: v for k, v in old.items() if k not in ("commit", "created")} == entry:
        entry = old
    else:
        entry.update(commit=stamp(),
                     created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    entries[name] = entry
    blob = {"figures": [entries[k] for k in sorted(entries)]}
    _write_if_changed(folder / MANIFEST,
                      (json.dumps(blob, indent=1, ensure_ascii=False) + "\n").encode())
    return entry


def saver(*, notebook: str, profile: str, folder: str | os.PathLike | None = None):
    """``save(fig, name, data=…, caption=…)`` bound to a notebook, profile and figure folder
    (default :func:`figures_dir`); returns None (so a notebook cell ending with it shows the
    figure once)."""

    def save(fig: plt.Figure, name: str, *, data: str, caption: str = "") -> None:
        save_figure(fig, name, notebook=notebook, profile=profile, data=data, caption=caption,
                    folder=folder)

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
        ax.set_title(title, fontsize=14)


def _grid_image(images, nrow: int, pad: int = 2) -> np.ndarray:
    from torchvision.utils import make_grid

    g = make_grid(_as_float(images), nrow=nrow, padding=pad, pad_value=1.0)
    return g.permute(1, 2, 0).numpy()


def footnoted(names: Sequence[str], settings: Sequence[str]) -> tuple[list[str], str]:
    """``names`` with a mark per distinct non-empty ``settings`` (" [a]", " [b]", …) and the
    line that spells the marks out, so every bar or line of a figure says how its runs
    were made without repeating a long settings string on each."""
    letters: dict[str, str] = {}
    marked = []
    for name, how in zip(names, settings):
        if how and how not in letters:
            letters[how] = "abcdefghijklmnopqrstuvwxyz"[len(letters) % 26]
        marked.append(f"{name} [{letters[how]}]" if how else name)
    return marked, "; ".join(f"[{mark}] {how}" for how, mark in letters.items())


def _one_line(fig: plt.Figure, sub: str, width_pt: float, size: float) -> str:
    """``sub`` cut to one line of ``width_pt`` at a "; " or ", " boundary ("…" marks the
    cut); the whole of it goes to the manifest's ``details`` (:func:`set_details`)."""
    room = int(width_pt / (0.52 * size))
    if len(sub) <= room:
        return sub
    cut = max(sub.rfind("; ", 0, room - 2), sub.rfind(", ", 0, room - 2))
    prior = getattr(fig, "_aeutils_details", "")
    set_details(fig, "; ".join(t for t in (prior, sub) if t))
    return (sub[:cut] if cut > 0 else sub[:room - 2]) + " …"


def _titled(ax, main: str, sub: str = "") -> None:
    """Bold ``main`` title with the settings ``sub`` in one smaller line above the axes."""
    if not sub:
        ax.set_title(main)
        return
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    sub = _one_line(ax.figure, sub, max(width_pt, 360), SMALL)
    ax.annotate(sub, (0.5, 1.0), xycoords="axes fraction", xytext=(0, 6),
                textcoords="offset points", ha="center", va="bottom", fontsize=SMALL,
                color="0.3")
    ax.set_title(main, pad=12 + 1.3 * SMALL)


def _fig_titled(fig, main: str, sub: str = "") -> None:
    """Figure-level :func:`_titled`: bold suptitle, the settings line below it.

    Lays the figure out (``tight_layout`` below the reserved title band), so a caller
    calls this last instead of ``tight_layout``."""
    sub = _one_line(fig, sub, fig.get_figwidth() * 72, SMALL) if sub else ""
    height = fig.get_figheight() * 72  # points
    title_pt = 1.5 * FontProperties(size=matplotlib.rcParams["figure.titlesize"]
                                    ).get_size_in_points()
    band = 6 + title_pt + (1.4 * SMALL + 4 if sub else 0)
    fig.tight_layout(rect=(0, 0, 1, 1 - band / height))
    fig.suptitle(main, y=1 - 4 / height, va="top", fontweight="bold")
    if sub:
        fig.text(0.5, 1 - (6 + title_pt) / height, sub, ha="center", va="top", fontsize=SMALL,
                 color="0.3")
