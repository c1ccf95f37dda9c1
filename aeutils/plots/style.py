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
import warnings
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
from .slide import DPI, MANIFEST, MIN_PT, SLIDE, SMALL, manifest_entries  # noqa: F401

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
    return manifest_entries(folder or figures_dir())


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
    """Check the layout (:mod:`aeutils.plots.layout`), write ``<folder>/<name>.png``
    (``DPI``) and ``.pdf``, upsert the manifest; return the entry. ``folder``: default
    :func:`figures_dir`.

    A figure that fails the layout check raises :class:`LayoutError` before any file is
    written (``AEUTILS_LAYOUT=warn``: written anyway, with a warning); the entry's
    ``layout`` lists what the check found (empty: passed).

    The entry holds a SHA-256 of the files' bytes; ``commit`` and ``created`` name the
    render that last changed the entry (bytes, caption or details), so re-rendering the
    same figure with newer code leaves both files and manifest byte for byte as they were.
    """
    from .layout import LayoutError, layout_problems, mode  # (runnable as python -m)

    problems = layout_problems(fig)
    if problems:
        message = (f"figure {name!r} fails the layout check ({len(problems)}): "
                   + "; ".join(problems))
        if mode() == "raise":
            raise LayoutError(message + " (AEUTILS_LAYOUT=warn writes it anyway)")
        warnings.warn(message, stacklevel=2)
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
    entry["layout"] = problems
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
    trace = settings.get("AEUTILS_FIGURES_SAVED")
    if trace:  # a render of every notebook drops the figures that none of them saved
        with open(trace, "a", encoding="utf-8") as f:
            f.write(name + "\n")
    return entry


def drop_figures(keep: set[str], folder: str | os.PathLike | None = None) -> list[str]:
    """Delete the figures of ``folder``'s manifest not named in ``keep`` (their files and
    entries): what a render of every notebook did not draw is no longer the code's output.
    Returns the names dropped."""
    folder = Path(folder) if folder is not None else figures_dir()
    entries = read_manifest(folder)
    dropped = sorted(set(entries) - keep)
    for name in dropped:
        for file in entries.pop(name)["files"]:
            (folder / file).unlink(missing_ok=True)
    if dropped:
        blob = {"figures": [entries[k] for k in sorted(entries)]}
        atomic_write(folder / MANIFEST,
                     (json.dumps(blob, indent=1, ensure_ascii=False) + "\n").encode())
    return dropped


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
    key that spells the marks out, so every row or line of a figure says how its runs
    were made without repeating a long settings string on each (:func:`footnote_key` puts
    the key into the figure)."""
    letters: dict[str, str] = {}
    marked = []
    for name, how in zip(names, settings):
        if how and how not in letters:
            letters[how] = "abcdefghijklmnopqrstuvwxyz"[len(letters) % 26]
        marked.append(f"{name} [{letters[how]}]" if how else name)
    return marked, "; ".join(f"[{mark}] {how}" for how, mark in letters.items())


def footnote_key(foot: str) -> list[str]:
    """The key of :func:`footnoted` as lines for the figure: the settings every mark shares
    said once ("every mark: …"), then one line per mark with what is its own."""
    items = [part.split("] ", 1) for part in foot.split("; [")] if foot else []
    marks = [(m.lstrip("["), how.split(", ")) for m, how in items]
    if len(marks) < 2:
        return [f"[{m}] {', '.join(parts)}" for m, parts in marks]
    shared = [p for p in marks[0][1] if all(p in parts for _, parts in marks)]
    lines = [f"every mark: {', '.join(shared)}"] if shared else []
    return lines + [f"[{m}] {', '.join(p for p in parts if p not in shared) or 'as above'}"
                    for m, parts in marks]


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in points of one line of ``text`` at ``size`` points."""
    from matplotlib.textpath import TextToPath

    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0]


def wrapped(text: str, width_pt: float, size: float, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width_pt`` (a word longer than
    a line stays whole): titles and settings lines wrap instead of being cut short. A last
    line of one word takes the word before it along ("seed 0", not "seed" then "0")."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= width_pt:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > 1 and " " not in lines[-1] and " " in lines[-2]:
        head, moved = lines[-2].rsplit(" ", 1)
        if text_width(f"{moved} {lines[-1]}", size, bold) <= width_pt:
            lines[-2:] = [head, f"{moved} {lines[-1]}"]
    return lines


def _title_size() -> float:
    return FontProperties(size=matplotlib.rcParams["figure.titlesize"]).get_size_in_points()


def _fig_titled(fig, main: str, sub: str = "", foot: Sequence[str] = (),
                foot_columns: int = 1) -> None:
    """Lay ``fig`` out for a slide: the bold title ``main`` (a finding, wrapped to the
    figure's width), the settings ``sub`` under it in smaller grey type (wrapped, never
    cut), ``foot`` (e.g. a :func:`footnote_key`) as lines at the bottom, in
    ``foot_columns`` columns, and the axes in the room between (constrained layout, so
    every label stays on the canvas).

    Every figure function calls this last."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    width, height = fig.get_figwidth() * 72 - 24, fig.get_figheight() * 72  # points
    size = _title_size()
    title = wrapped(main, width, size, bold=True)
    lines = wrapped(sub, width, SMALL) if sub else []
    top = 6 + 1.25 * size * len(title)
    band = top + (4 + 1.25 * SMALL * len(lines) if lines else 0) + 4
    columns = _foot_columns([f for f in foot if f], max(1, foot_columns), width)
    bottom = (8 + 1.25 * MIN_PT * max(len(c) for c in columns)) if columns else 0
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.set_layout_engine("constrained")
    fig.get_layout_engine().set(rect=(0, bottom / height, 1, 1 - (band + bottom) / height))
    # fig.text, not suptitle: the layout engine leaves it alone (the band above is its
    # room) and a tight crop at saving keeps it
    fig.text(0.5, 1 - 5 / height, "\n".join(title), ha="center", va="top", fontweight="bold",
             fontsize=size, linespacing=1.1, gid="title")
    if lines:
        fig.text(0.5, 1 - top / height, "\n".join(lines), ha="center", va="top",
                 fontsize=SMALL, color="0.3", linespacing=1.1)
    for i, column in enumerate(columns):
        x = (12 + i * width / len(columns)) / (width + 24)
        fig.text(x, 4 / height, "\n".join(column), ha="left", va="bottom", fontsize=MIN_PT,
                 color="0.25", linespacing=1.15)


def _foot_columns(foot: list[str], columns: int, width: float) -> list[list[str]]:
    """``foot`` wrapped to the width of one of ``columns`` columns and dealt into them in
    order (top to bottom, then the next column), as evenly as whole entries allow."""
    if not foot:
        return []
    columns = min(columns, len(foot))
    room = width / columns - 12
    entries = [[w if k == 0 else f"    {w}" for k, w in enumerate(wrapped(f, room - 16, MIN_PT))]
               for f in foot]
    total = sum(len(e) for e in entries)
    out: list[list[str]] = [[]]
    for e in entries:
        if out[-1] and len(out) < columns and len(out[-1]) + len(e) / 2 > total / columns:
            out.append([])
        out[-1].extend(e)
    return out
