"""The slide every figure is drawn for, and where a figure folder lists its figures: what
the style (:mod:`aeutils.plots.style`) and the layout check (:mod:`aeutils.plots.layout`)
both read."""

from __future__ import annotations

import json
import os
from pathlib import Path

DPI = 200
MANIFEST = "MANIFEST.json"
SLIDE = (13.33, 7.5)  # inches: a 16:9 slide, the size every figure is drawn for
MIN_PT = 12  # the smallest text on a figure shown full-screen on that slide
SMALL = 13  # annotations (cell values, end labels, settings line)


def manifest_entries(folder: str | os.PathLike) -> dict[str, dict]:
    """The manifest of ``folder`` as name → entry (empty without one)."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {}
    return {e["name"]: e for e in json.loads(path.read_text())["figures"]}
