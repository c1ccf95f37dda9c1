"""Whether a slide's text fits its box, measured with the font the deck is set in.

A text box in PowerPoint or Impress does not clip: text that is too long runs over the
box, over the figure below it, or off the slide, and nobody sees it until the talk. Here
text is measured with DejaVu Sans itself (the file matplotlib ships, so it is always
there), word-wrapped to the box's inner width and compared with its inner height; a table
cell the same way, row by row. The deck picks its font sizes with :func:`fits` and
:func:`overflows` checks the finished deck, so a box that cannot hold its text at its font
size fails the build instead of reaching a slide.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from PIL import ImageFont

FONT, MONO = "DejaVu Sans", "DejaVu Sans Mono"
LINE = 1.2  # line height in ems: Impress and PowerPoint set single spacing at about 1.2
SLACK = 1.04  # widths as measured, plus what renderers' layout adds (Impress wraps a line
#               that measures 1 % short of its cell)
SCALE = 8  # pixels per point the font is measured at (sub-point precision)
INSET_X, INSET_Y = 7.2, 3.6  # a text box's default insets, points (0.1 and 0.05 inch)
EMU_PER_PT = 12700


@functools.cache
def _font(size: float, bold: bool, mono: bool = False) -> ImageFont.FreeTypeFont:
    from matplotlib import font_manager

    props = font_manager.FontProperties(family=MONO if mono else FONT,
                                        weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props, fallback_to_default=False),
                              round(size * SCALE))


def text_width(text: str, size: float, bold: bool = False, mono: bool = False) -> float:
    """Width in points of the widest line of ``text`` at ``size`` points."""
    font = _font(size, bold, mono)
    return max(font.getlength(line) for line in text.split("\n")) / SCALE * SLACK


def wrap(text: str, width: float, size: float, bold: bool = False,
         mono: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width`` points where words allow (a word
    wider than the line stays whole, on its own line, as Impress leaves it)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            trial = f"{line} {word}" if line else word
            if line and text_width(trial, size, bold, mono) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def widest_word(text: str, size: float, bold: bool = False, mono: bool = False) -> float:
    """The width of the longest unbreakable word: a box narrower than it overflows sideways."""
    return max((text_width(w, size, bold, mono) for w in text.split()), default=0.0)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph as the deck writes it: its text, size in points, weight, typeface, the
    space after it and its left indent (a bullet's hanging indent), in points."""

    text: str
    size: float
    bold: bool = False
    after: float = 0.0
    mono: bool = False
    indent: float = 0.0

    def lines(self, width: float) -> int:
        """Lines it takes in a box whose inner width is ``width`` points."""
        return len(wrap(self.text, width - self.indent, self.size, self.bold, self.mono))

    def too_wide(self, width: float) -> bool:
        return widest_word(self.text, self.size, self.bold, self.mono) > width - self.indent


def needed_height(paragraphs: list[Paragraph], width: float) -> float:
    """Points of height ``paragraphs`` take in a box ``width`` points wide (insets included)."""
    inner = width - 2 * INSET_X
    body = sum(p.lines(inner) * p.size * LINE + p.after for p in paragraphs)
    return body + 2 * INSET_Y


def fits(paragraphs: list[Paragraph], width: float, height: float) -> bool:
    """Whether ``paragraphs`` fit a box of ``width`` × ``height`` points."""
    if any(p.too_wide(width - 2 * INSET_X) for p in paragraphs):
        return False
    return needed_height(paragraphs, width) <= height


@dataclass(frozen=True)
class Overflow:
    """A text box or table of a slide that cannot hold its text."""

    slide: int
    text: str
    needed: float  # points
    height: float  # points

    def __str__(self) -> str:
        text = " ".join(self.text.split())
        return (f"slide {self.slide}: {text[:70]!r} needs {self.needed:.0f} pt of height, "
                f"its box has {self.height:.0f} pt")


def _paragraphs(frame) -> list[Paragraph]:
    """The paragraphs of a python-pptx text frame as :class:`Paragraph` (18 pt where no
    size is set: the default of a text box)."""
    out = []
    for p in frame.paragraphs:
        size = p.font.size or next((r.font.size for r in p.runs if r.font.size), None)
        bold = bool(p.font.bold or any(r.font.bold for r in p.runs))
        mono = MONO in {p.font.name, *(r.font.name for r in p.runs)}
        after = p.space_after.pt if p.space_after is not None else 0.0
        ppr = p._p.pPr
        indent = int(ppr.get("marL", 0)) / EMU_PER_PT if ppr is not None else 0.0
        out.append(Paragraph(p.text, size.pt if size else 18.0, bold, after, mono, indent))
    return out


def _table_rows(table) -> list[tuple[float, float]]:
    """Per row of a pptx table: (points its fullest cell needs, its height in points)."""
    widths = [c.width / EMU_PER_PT for c in table.columns]
    return [(max(needed_height(_paragraphs(cell.text_frame), w)
                 for cell, w in zip(row.cells, widths)), row.height / EMU_PER_PT)
            for row in table.rows]


def _table_too_wide(table) -> bool:
    widths = [c.width / EMU_PER_PT for c in table.columns]
    return any(p.too_wide(w - 2 * INSET_X) for row in table.rows
               for cell, w in zip(row.cells, widths) for p in _paragraphs(cell.text_frame))


def _table_overflow(slide: int, shape, slide_height: float) -> Overflow | None:
    """A table overflows when a row's text needs more than the row's height (the renderer
    would grow it, pushing the table down) or a word is wider than its column."""
    rows = _table_rows(shape.table)
    grown = sum(max(need, have) for need, have in rows)
    bottom = shape.top / EMU_PER_PT + grown
    if any(need > have + 0.5 for need, have in rows) or bottom > slide_height or \
            _table_too_wide(shape.table):
        text = shape.table.cell(0, 0).text_frame.text
        return Overflow(slide, f"table {text}", grown, sum(have for _, have in rows))
    return None


def overflows(presentation) -> list[Overflow]:
    """Every text box and table of ``presentation`` (python-pptx) whose text does not fit."""
    out = []
    for i, slide in enumerate(presentation.slides, start=1):
        for shape in slide.shapes:
            height = shape.height / EMU_PER_PT
            if shape.has_text_frame and shape.text_frame.text.strip():
                paras = _paragraphs(shape.text_frame)
                if not fits(paras, shape.width / EMU_PER_PT, height):
                    need = needed_height(paras, shape.width / EMU_PER_PT)
                    out.append(Overflow(i, shape.text_frame.text, max(need, height + 1), height))
            elif shape.has_table:
                found = _table_overflow(i, shape, presentation.slide_height / EMU_PER_PT)
                out += [found] if found else []
    return out
