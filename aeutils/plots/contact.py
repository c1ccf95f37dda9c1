"""Contact sheets: many PNGs on one page, to look at a whole figure set (or deck) at once."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def contact_sheet(pngs: Sequence[str | os.PathLike], out: str | os.PathLike, *,
                  columns: int = 4, cell: tuple[int, int] = (480, 270),
                  label: bool = True) -> Path:
    """Tile ``pngs`` into one PNG at ``out``, each scaled into a ``cell`` (w, h) box with its
    file name under it; 16:9 cells by default, the shape of a slide.

    Written without metadata and palette-quantised, so the sheet stays small enough to
    commit and the same inputs give the same bytes."""
    paths = [Path(p) for p in pngs]
    if not paths:
        raise ValueError("contact_sheet needs at least one PNG")
    columns = max(1, min(columns, len(paths)))
    rows = math.ceil(len(paths) / columns)
    caption = 18 if label else 0
    w, h = cell
    sheet = Image.new("RGB", (columns * (w + 8) + 8, rows * (h + caption + 8) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, path in enumerate(paths):
        x0 = 8 + (i % columns) * (w + 8)
        y0 = 8 + (i // columns) * (h + caption + 8)
        with Image.open(path) as img:
            img = img.convert("RGB")
            img.thumbnail((w, h), Image.Resampling.LANCZOS)
            sheet.paste(img, (x0 + (w - img.width) // 2, y0 + (h - img.height) // 2))
        draw.rectangle((x0 - 1, y0 - 1, x0 + w, y0 + h), outline=(200, 200, 200))
        if label:
            draw.text((x0, y0 + h + 3), path.stem, fill=(40, 40, 40), font=font)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out
