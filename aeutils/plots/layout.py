"""The layout check: what a reader would call broken on a slide, found from the drawn figure.

:func:`layout_problems` draws a :class:`matplotlib.figure.Figure` once, records every text
it actually draws (titles, axis labels, tick labels, legend entries, annotations) with
its shape on the canvas, and checks five rules:

- ``outside``: no text reaches beyond the canvas (a figure is drawn at slide size);
- ``overlap``: no two texts overlap (rotated texts as rotated rectangles, not their
  upright bounding boxes);
- ``legend``: no legend sits on plotted data (lines, markers, bars, bands, meshes,
  images of any axes, within the region each is clipped to);
- ``cut``: no text ends in "…" or "...", the mark of a label cut short;
- ``small``: no text below :data:`aeutils.plots.style.MIN_PT` on a full-screen slide.

:func:`aeutils.plots.style.save_figure` runs it on every figure before writing a file and
raises :class:`LayoutError` naming the figure and the texts (``AEUTILS_LAYOUT=warn``
writes the figure anyway, warns, and records the problems in the manifest). Every
manifest entry records what the check found, so ``python -m aeutils.plots.layout FOLDER``
reports a rendered folder: each figure checked, passed, and its files the bytes checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from .. import settings
from .slide import MIN_PT, SLIDE, manifest_entries

TOLERANCE = 1.0  # pixels at the figure's dpi: boxes that merely touch do not overlap
CUT_MARKS = ("…", "...")
MODES = ("raise", "warn")


class LayoutError(Exception):
    """A figure fails the layout check; the message names the figure and the texts."""


# --- what was drawn --------------------------------------------------------------------
@contextlib.contextmanager
def _recording(into: list) -> Iterator[None]:
    """While active, every :class:`Text` that draws itself is appended to ``into``."""
    original = Text.draw

    def draw(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip() and self.get_alpha() != 0:
            into.append(self)

    Text.draw = draw
    try:
        yield
    finally:
        Text.draw = original


def _corners(text: Text, renderer) -> np.ndarray:
    """The four corners (display pixels) of ``text`` as drawn: its upright box rotated by
    its angle about the centre of the box matplotlib reports (exact for any rotation)."""
    box = text.get_window_extent(renderer)
    angle = text.get_rotation() % 180
    if angle % 90 == 0:
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    text.set_rotation(0)
    upright = text.get_window_extent(renderer)
    text.set_rotation(angle)
    w, h, t = upright.width / 2, upright.height / 2, np.deg2rad(angle)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    local = np.array([[-w, -h], [w, -h], [w, h], [-w, h]])
    return local @ rot.T + [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]


def drawn_texts(fig: Figure) -> tuple[list[tuple[Text, np.ndarray]], object]:
    """Every non-empty text ``fig`` draws, with its corners, and the renderer used."""
    texts: list[Text] = []
    with _recording(texts):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [(t, _corners(t, renderer)) for t in dict.fromkeys(texts)], renderer


def _label(text: Text) -> str:
    s = " ".join(text.get_text().split())
    return repr(s if len(s) <= 60 else s[:57] + "[…]")


# --- the rules -------------------------------------------------------------------------
def _outside(texts, fig: Figure) -> list[str]:
    w, h = fig.bbox.width, fig.bbox.height
    out = []
    for t, c in texts:
        if (c[:, 0].min() < -TOLERANCE or c[:, 1].min() < -TOLERANCE
                or c[:, 0].max() > w + TOLERANCE or c[:, 1].max() > h + TOLERANCE):
            out.append(f"text {_label(t)} reaches outside the canvas")
    return out


def _separated(p: np.ndarray, q: np.ndarray) -> bool:
    """Two convex quadrilaterals, each shrunk by :data:`TOLERANCE`, do not overlap
    (separating axis theorem over the edge normals of both)."""
    for poly in (p, q):
        for a, b in zip(poly, np.roll(poly, -1, axis=0)):
            normal = np.array([a[1] - b[1], b[0] - a[0]])
            length = np.hypot(*normal)
            if length == 0:
                continue
            normal = normal / length
            pp, qq = p @ normal, q @ normal
            if pp.max() - TOLERANCE <= qq.min() + TOLERANCE or \
                    qq.max() - TOLERANCE <= pp.min() + TOLERANCE:
                return True
    return False


def _overlaps(texts) -> list[str]:
    out = []
    lo = np.array([c.min(axis=0) for _, c in texts]).reshape(-1, 2)
    hi = np.array([c.max(axis=0) for _, c in texts]).reshape(-1, 2)
    for i, j in itertools.combinations(range(len(texts)), 2):
        if (lo[i] + TOLERANCE >= hi[j] - TOLERANCE).any() or \
                (lo[j] + TOLERANCE >= hi[i] - TOLERANCE).any():
            continue  # upright boxes apart: so are the texts
        if not _separated(texts[i][1], texts[j][1]):
            out.append(f"texts {_label(texts[i][0])} and {_label(texts[j][0])} overlap")
    return out


def _cut(texts) -> list[str]:
    return [f"text {_label(t)} ends cut short" for t, _ in texts
            if t.get_text().strip().endswith(CUT_MARKS)]


def _small(texts, fig: Figure) -> list[str]:
    w, h = fig.get_size_inches()
    scale = min(1.0, SLIDE[0] / w, SLIDE[1] / h)
    return [f"text {_label(t)} is {t.get_fontsize() * scale:.1f} pt on a slide "
            f"(at least {MIN_PT})" for t, _ in texts if t.get_fontsize() * scale < MIN_PT - 1e-6]


def _region(artist, legend_box: Bbox) -> Bbox | None:
    """The part of ``legend_box`` where ``artist`` can show (its clip box), shrunk by the
    tolerance; None when empty."""
    box = legend_box
    if artist.get_clip_on() and artist.get_clip_box() is not None:
        box = Bbox.intersection(box, artist.get_clip_box())
    if box is None or box.width <= 2 * TOLERANCE or box.height <= 2 * TOLERANCE:
        return None
    return Bbox.from_extents(box.x0 + TOLERANCE, box.y0 + TOLERANCE, box.x1 - TOLERANCE,
                             box.y1 - TOLERANCE)


def _points_in(points: np.ndarray, box: Bbox, radius: float) -> bool:
    points = points[np.isfinite(points).all(axis=1)]
    return bool(((points[:, 0] >= box.x0 - radius) & (points[:, 0] <= box.x1 + radius)
                 & (points[:, 1] >= box.y0 - radius) & (points[:, 1] <= box.y1 + radius)).any())


def _line_hits(line, box: Bbox) -> bool:
    xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
    if len(xy) == 0:
        return False
    marker = line.get_marker()
    if marker not in (None, "None", "", " ") and line.get_markersize() > 0:
        radius = line.get_markersize() * line.figure.dpi / 72 / 2
        if _points_in(xy, box, radius):
            return True
    if line.get_linestyle() in ("None", "", " ") or line.get_linewidth() == 0:
        return False
    finite = np.isfinite(xy).all(axis=1)
    runs = np.split(xy, np.flatnonzero(~finite))  # NaN breaks a line into pieces
    return any(MplPath(r[np.isfinite(r).all(axis=1)]).intersects_bbox(box, filled=False)
               for r in runs if np.isfinite(r).all(axis=1).sum() >= 2)


def _collection_hits(coll, box: Bbox) -> bool:
    offsets = np.asarray(coll.get_offsets(), dtype=float).reshape(-1, 2)
    paths = coll.get_paths()
    if len(offsets) > 1 or (len(offsets) == 1 and offsets.any()):  # markers (scatter)
        pts = coll.get_offset_transform().transform(offsets)
        sizes = [p.get_extents(coll.get_transform()) for p in paths[:1]]
        radius = max(sizes[0].width, sizes[0].height) / 2 if sizes else 0.0
        return _points_in(pts, box, radius)
    trans = coll.get_transform()
    filled = len(np.atleast_1d(coll.get_facecolor())) > 0 and \
        np.asarray(coll.get_facecolor()).reshape(-1, 4)[:, 3].max(initial=0) > 0
    return any(trans.transform_path(p).intersects_bbox(box, filled=bool(filled)) for p in paths)


def _hits(artist, box: Bbox, renderer) -> bool:
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(artist, Line2D):
        return _line_hits(artist, box)
    if isinstance(artist, Collection):
        return _collection_hits(artist, box)
    if isinstance(artist, Patch):
        path = artist.get_transform().transform_path(artist.get_path())
        return path.intersects_bbox(box, filled=bool(artist.get_fill()))
    if isinstance(artist, AxesImage):
        return Bbox.intersection(artist.get_window_extent(renderer), box) is not None
    return False


def _legends(fig: Figure) -> list:
    return [*(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None), *fig.legends]


def _legend_over_data(fig: Figure, renderer) -> list[str]:
    out = []
    for legend in _legends(fig):
        if not legend.get_visible():
            continue
        frame = legend.get_window_extent(renderer)
        for ax in fig.axes:
            for artist in (*ax.lines, *ax.collections, *ax.patches, *ax.images):
                box = _region(artist, frame) if artist.get_visible() else None
                if box is not None and _hits(artist, box, renderer):
                    title = legend.get_title().get_text() or ", ".join(
                        t.get_text() for t in legend.get_texts()[:2])
                    what = artist.get_label() if not str(artist.get_label()).startswith("_") \
                        else type(artist).__name__
                    out.append(f"legend {title[:60]!r} covers plotted data ({what!r} in the "
                               f"axes titled {ax.get_title() or ax.get_title(loc='left')!r})")
                    break
    return out


def layout_problems(fig: Figure, name: str = "") -> list[str]:
    """Every broken thing a reader would see in ``fig`` (empty when it passes), each naming
    the texts or legend at fault; see the module's rules."""
    texts, renderer = drawn_texts(fig)
    problems = [*_outside(texts, fig), *_overlaps(texts), *_legend_over_data(fig, renderer),
                *_cut(texts), *_small(texts, fig)]
    return [f"{name}: {p}" if name else p for p in problems]


def check_layout(fig: Figure, name: str = "figure") -> None:
    """Raise :class:`LayoutError` listing :func:`layout_problems` when there are any."""
    problems = layout_problems(fig)
    if problems:
        raise LayoutError(f"figure {name!r} fails the layout check ({len(problems)}): "
                          + "; ".join(problems))


def mode() -> str:
    """What :func:`aeutils.plots.style.save_figure` does with a failing figure:
    ``$AEUTILS_LAYOUT``, ``raise`` (default) or ``warn`` (write it, warn, record it)."""
    value = settings.get("AEUTILS_LAYOUT").strip().lower()
    if value not in MODES:
        raise ValueError(f"AEUTILS_LAYOUT is {value!r}; choose one of {', '.join(MODES)}")
    return value


# --- a rendered folder -----------------------------------------------------------------
def folder_report(folder: str | os.PathLike) -> dict[str, list[str]]:
    """Per figure of ``folder``'s manifest, what is wrong with it (empty: checked when
    saved, passed, and its files are the bytes that were checked); PNGs the manifest does
    not list are reported too."""
    folder = Path(folder)
    entries = manifest_entries(folder)
    report: dict[str, list[str]] = {}
    for name, entry in entries.items():
        digest, missing = hashlib.sha256(), []
        for f in entry["files"]:
            path = folder / f
            if path.exists():
                digest.update(path.read_bytes())
            else:
                missing.append(f"{f} is missing")
        found = list(missing)
        if "layout" not in entry:
            found.append("saved without the layout check")
        else:
            found.extend(entry["layout"])
        if not missing and digest.hexdigest() != entry.get("sha256"):
            found.append("files differ from the bytes that were checked")
        report[name] = found
    for png in sorted(folder.glob("*.png")):
        if png.stem not in entries:
            report[png.stem] = ["not in the manifest (saved without the layout check)"]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m aeutils.plots.layout FOLDER …``: one line per figure, exit status 1
    when any fails."""
    folders = list(sys.argv[1:] if argv is None else argv)
    if not folders:
        print("usage: python -m aeutils.plots.layout FOLDER [FOLDER …]", file=sys.stderr)
        return 2
    failed = 0
    for folder in folders:
        report = folder_report(folder)
        for name, problems in report.items():
            print(f"{folder}/{name}: " + ("passed" if not problems else "; ".join(problems)))
        bad = sum(1 for p in report.values() if p)
        failed += bad
        print(f"{folder}: {len(report) - bad} of {len(report)} figures pass the layout check")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

