"""One figure style, saving (PNG + PDF + manifest entry) and drawing helpers."""

from __future__ import annotations

import datetime as _dt
import json
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch
from matplotlib.font_manager import FontProperties

from ..provenance import stamp

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
    """Figure-level :func:`_titled`: bold suptitle, the smaller wrapped ``sub`` below it.

    Lays the figure out (``tight_layout`` below the reserved title band), so a caller
    calls this last instead of ``tight_layout``."""
    size = FontProperties(size="x-small").get_size_in_points()
    sub = textwrap.fill(sub, int(fig.get_figwidth() * 72 / (0.55 * size))) if sub else ""
    height = fig.get_figheight() * 72  # points
    title_pt = 1.6 * FontProperties(size="large").get_size_in_points()
    band = 6 + title_pt + (1.35 * size * (sub.count("\n") + 1) + 4 if sub else 0)
    fig.tight_layout(rect=(0, 0, 1, 1 - band / height))
    fig.suptitle(main, y=1 - 4 / height, va="top", fontweight="bold", fontsize="large")
    if sub:
        fig.text(0.5, 1 - (6 + title_pt) / height, sub, ha="center", va="top", fontsize=size,
                 color="0.25")
