"""Slide layout: a 16:9 deck of a few slide shapes, each sized so its text fits.

What a slide says is decided in :mod:`aeutils.report.talk`; here a :class:`Slide` (a
title, speaker notes and one body) becomes shapes on a python-pptx slide. Every text is
set in DejaVu Sans at the largest size between a ceiling and a floor at which it fits its
box (:mod:`aeutils.report.textfit`), figures are scaled to the space left and downsampled
to what that space shows at :data:`DPI`, so the deck stays small and nothing overlaps.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import textfit
from .textfit import Paragraph

WIDTH, HEIGHT = 13.333, 7.5  # inches: 16:9
MARGIN = 0.5
TITLE_TOP, TITLE_HEIGHT = 0.3, 1.3
BODY_TOP, BODY_BOTTOM = 1.75, 7.0
GAP = 0.3
DPI = 150  # pixels per inch a figure keeps on its slide (a 1920-pixel projector shows 144)
INK, MUTED, ACCENT = (25, 25, 25), (110, 110, 110), (31, 119, 180)
LIGHT = (232, 240, 248)


@dataclass(frozen=True)
class Pictures:
    """Figures side by side (one to three), each with an optional caption under it."""

    paths: tuple[Path, ...]
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class PicturePoints:
    """A figure on the left, short points on the right."""

    path: Path
    points: tuple[str, ...]


@dataclass(frozen=True)
class Points:
    """Bullet points, large (numbered: 1., 2., …)."""

    points: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    """A table built from the numbers: a header row, rows of text, rows shown muted (quoted
    rather than measured) and bold cells (row, column; rows counted from 0 under the
    header); ``note`` is a line under it."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    muted: frozenset[int] = frozenset()
    bold: frozenset[tuple[int, int]] = frozenset()
    note: str = ""
    mono: frozenset[int] = frozenset()  # columns set in a monospaced face (commands)


@dataclass(frozen=True)
class Tables:
    """Tables side by side (a long table split by kind), each given the width its text
    asks for."""

    tables: tuple[Table, ...]


@dataclass(frozen=True)
class Lines:
    """A lead-in paragraph above a table of commands (monospaced) and what each does."""

    lead: str
    commands: tuple[tuple[str, str], ...]


Body = Pictures | PicturePoints | Points | Table | Tables | Lines


@dataclass(frozen=True)
class Slide:
    """One slide: its title (a finding), its speaker notes and its body."""

    title: str
    notes: str
    body: Body | None = None
    section: str = ""  # a short label above the title ("Results", "Appendix")


@dataclass
class Deck:
    """A python-pptx presentation being laid out (``Deck()``, :meth:`add`…, :meth:`save`)."""

    numbered: bool = True
    _prs: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        pptx = _pptx()
        self._prs = pptx.Presentation()
        self._prs.slide_width = pptx.util.Inches(WIDTH)
        self._prs.slide_height = pptx.util.Inches(HEIGHT)

    @property
    def presentation(self):
        return self._prs

    def _blank(self, notes: str):
        slide = self._prs.slides.add_slide(self._prs.slide_layouts[6])
        slide.notes_slide.notes_text_frame.text = notes
        return slide

    def cover(self, title: str, lines: Sequence[str], note: str, notes: str) -> None:
        """The title slide: a large title, lines under it, a muted note at the bottom."""
        slide = self._blank(notes)
        _bar(slide, 0, 0, WIDTH, 0.25)
        _fitted(slide, title, (0.9, 1.3, WIDTH - 1.8, 2.2), (40, 26), bold=True)
        _fitted(slide, "\n".join(lines), (0.9, 3.7, WIDTH - 1.8, 2.1), (24, 16))
        _fitted(slide, note, (0.9, 6.0, WIDTH - 1.8, 1.0), (18, 12), color=MUTED)

    def divider(self, title: str, line: str, notes: str) -> None:
        """A section divider: one word and one line."""
        slide = self._blank(notes)
        _bar(slide, 0, 0, 0.35, HEIGHT)
        _fitted(slide, title, (1.0, 2.6, WIDTH - 2.0, 1.2), (44, 28), bold=True)
        _fitted(slide, line, (1.0, 3.9, WIDTH - 2.0, 1.4), (24, 16), color=MUTED)

    def add(self, spec: Slide) -> None:
        """A content slide: section label, title, body, slide number, notes."""
        slide = self._blank(spec.notes)
        _bar(slide, 0, TITLE_TOP + 0.1, 0.18, TITLE_HEIGHT - 0.2)
        if spec.section:
            _fitted(slide, spec.section.upper(), (MARGIN, 0.02, 6.0, 0.36), (13, 11),
                    color=ACCENT, bold=True)
        _fitted(slide, spec.title, (MARGIN, TITLE_TOP, WIDTH - 2 * MARGIN, TITLE_HEIGHT),
                (28, 20), bold=True)
        if self.numbered:
            number = str(len(self._prs.slides))
            _fitted(slide, number, (WIDTH - 1.2, HEIGHT - 0.45, 0.9, 0.4), (12, 12),
                    color=MUTED, align="right")
        box = (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, BODY_BOTTOM - BODY_TOP)
        LAYOUTS[type(spec.body)](slide, spec.body, box) if spec.body is not None else None

    def save(self, path: str | Path) -> Path:
        """Write the deck with fixed zip dates: the same slides give the same bytes, so a
        rebuilt deck changes in git only when a slide does."""
        buf = io.BytesIO()
        self._prs.save(buf)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_reproducible(buf.getvalue()))
        return path


def _pptx():
    try:
        import pptx
        import pptx.util  # noqa: F401
    except ImportError as exc:  # an optional extra
        raise ImportError("the slide deck needs python-pptx: pip install -e '.[slides]'") from exc
    return pptx


def _reproducible(pptx_bytes: bytes) -> bytes:
    src, dst = zipfile.ZipFile(io.BytesIO(pptx_bytes)), io.BytesIO()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)),
                       src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return dst.getvalue()


# --- shapes -------------------------------------------------------------------------------
def _bar(slide, left: float, top: float, width: float, height: float) -> None:
    """A filled accent rectangle (the deck's one decoration)."""
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(top),
                                   Inches(width), Inches(height))
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(ACCENT)
    shape.line.fill.background()


def _rgb(color: tuple[int, int, int]):
    from pptx.dml.color import RGBColor

    return RGBColor(*color)


def _paras(texts: Sequence[str], size: int, bold: bool, after: float,
           marker: str) -> list[Paragraph]:
    """The paragraphs as measured: a marker (bullet or number) hangs in an indent of 1.4 em."""
    indent = 1.4 * size if marker else 0.0
    return [Paragraph(t, size, bold, after * size, indent=indent) for t in texts]


def fit_size(texts: Sequence[str], width: float, height: float, sizes: tuple[int, int],
             bold: bool = False, after: float = 0.0, marker: str = "") -> int:
    """The largest size from ``sizes[0]`` down to ``sizes[1]`` points at which ``texts`` (one
    paragraph each) fit ``width`` × ``height`` inches; the floor if none does (the finished
    deck's check then names the box)."""
    for size in range(sizes[0], sizes[1] - 1, -1):
        if textfit.fits(_paras(texts, size, bold, after, marker), width * 72, height * 72):
            return size
    return sizes[1]


def _mark(paragraph, marker: str, indent: float) -> None:
    """A bullet ("•") or automatic number ("1.") hanging in ``indent`` points."""
    from pptx.oxml.xmlchemy import OxmlElement
    from pptx.util import Pt

    ppr = paragraph._p.get_or_add_pPr()
    ppr.set("marL", str(Pt(indent)))
    ppr.set("indent", str(-Pt(indent)))
    font = OxmlElement("a:buFont")
    font.set("typeface", textfit.FONT)
    kind = OxmlElement("a:buAutoNum" if marker == "1." else "a:buChar")
    kind.set(*(("type", "arabicPeriod") if marker == "1." else ("char", marker)))
    for el in (font, kind):
        ppr.insert_element_before(el, "a:tabLst", "a:defRPr", "a:extLst")


def _fitted(slide, text: str, box: tuple[float, float, float, float], sizes: tuple[int, int],
            bold: bool = False, color: tuple[int, int, int] = INK, after: float = 0.0,
            align: str = "left", marker: str = "") -> float:
    """A text box at ``box`` (inches) whose paragraphs (one per line of ``text``) take the
    largest size in ``sizes`` that fits; ``after``: space after each paragraph, in ems;
    ``marker``: "•" or "1." before each paragraph. Returns the height the text takes, in
    inches."""
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches, Pt

    lines = text.split("\n")
    size = fit_size(lines, box[2], box[3], sizes, bold, after, marker)
    paras = _paras(lines, size, bold, after, marker)
    frame = slide.shapes.add_textbox(*(Inches(v) for v in box)).text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.TOP
    for i, para in enumerate(paras):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.text = para.text
        p.alignment = PP_ALIGN.RIGHT if align == "right" else PP_ALIGN.LEFT
        p.space_after = Pt(para.after)
        p.font.size, p.font.bold, p.font.name = Pt(size), bold, textfit.FONT
        p.font.color.rgb = _rgb(color)
        if marker:
            _mark(p, marker, para.indent)
    return textfit.needed_height(paras, box[2] * 72) / 72


def _picture(slide, path: Path, left: float, top: float, width: float, height: float) -> None:
    """``path`` at ``left, top`` scaled to ``width`` × ``height`` inches, downsampled to
    :data:`DPI` and to 256 colours (figures are flat colours; the deck and its PDF stay
    small enough to commit); an identical image is stored once in the file."""
    from PIL import Image
    from pptx.util import Inches

    with Image.open(path) as img:
        img = img.convert("RGB")
        target = round(width * DPI)
        if img.width > target:
            img = img.resize((target, round(img.height * target / img.width)),
                             Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.quantize(256, method=Image.Quantize.MEDIANCUT).save(buf, format="PNG", optimize=True)
    buf.seek(0)
    slide.shapes.add_picture(buf, Inches(left), Inches(top), Inches(width), Inches(height))


def aspect(path: Path) -> float:
    """Width over height of an image."""
    from PIL import Image

    with Image.open(path) as img:
        return img.width / img.height


def _pictures(slide, body: Pictures, box) -> None:
    """Up to three figures in a row at one common height, centred, captions under them."""
    left, top, width, height = box
    ratios = [aspect(p) for p in body.paths]
    n = len(ratios)
    cap_h = 0.0
    if body.captions:
        guess = min(height * ratios[0], (width - GAP * (n - 1)) / n)
        cap_h = max(_caption_height(c, min(guess, width / n)) for c in body.captions)
    h = min(height - cap_h, (width - GAP * (n - 1)) / sum(ratios))
    widths = [h * r for r in ratios]
    x = left + (width - sum(widths) - GAP * (n - 1)) / 2
    y = top + (height - cap_h - h) / 2
    for i, (path, w) in enumerate(zip(body.paths, widths)):
        _picture(slide, path, x, y, w, h)
        if i < len(body.captions) and body.captions[i]:
            cw = max(w, 3.5)
            cx = min(max(x + (w - cw) / 2, left), left + width - cw)
            _fitted(slide, body.captions[i], (cx, y + h + 0.05, cw, cap_h), (18, 13))
        x += w + GAP


def _caption_height(text: str, width: float) -> float:
    """Inches a caption takes at 16 pt in a box ``width`` inches wide (at least 3.5)."""
    paras = [Paragraph(text, 16)]
    return textfit.needed_height(paras, max(width, 3.5) * 72) / 72 + 0.1


def _picture_points(slide, body: PicturePoints, box) -> None:
    """The figure as large as leaves a third of the width for the points, points beside."""
    left, top, width, height = box
    ratio = aspect(body.path)
    w = min(width * 0.64, height * ratio)
    h = w / ratio
    _picture(slide, body.path, left, top + (height - h) / 2, w, h)
    _bullets(slide, body.points, (left + w + GAP, top, width - w - GAP, height), (22, 14))


def _bullets(slide, points: Sequence[str], box, sizes: tuple[int, int],
             marker: str = "•") -> None:
    _fitted(slide, "\n".join(points), box, sizes, after=0.6, marker=marker)


def _points(slide, body: Points, box) -> None:
    left, top, width, height = box
    _bullets(slide, body.points, (left + 0.2, top + 0.1, width - 0.4, height - 0.1), (26, 16),
             "1." if body.numbered else "•")


def _lines(slide, body: Lines, box) -> None:
    """The lead-in, then the commands as a table (monospaced) with what each does."""
    left, top, width, height = box
    used = _fitted(slide, body.lead, (left, top, width, 2.0), (22, 16))
    table = Table(("command", "what it does"), body.commands, mono=frozenset({0}))
    _table(slide, table, (left, top + used + 0.3, width, height - used - 0.3))


def _column_widths(table: Table, width: float, size: int) -> list[float]:
    """Column widths in inches filling ``width``: every column at least as wide as its
    longest word (a column of commands as its longest line), the rest of the width shared
    in proportion to how much more each column's longest line needs."""
    natural, floor = _natural_widths(table, size)
    if sum(natural) <= width:
        return [n * width / sum(natural) for n in natural]
    spare, want = width - sum(floor), [n - f for n, f in zip(natural, floor)]
    if spare <= 0 or not sum(want):
        return [f * width / sum(floor) for f in floor]  # too wide: the fit check names it
    return [f + spare * w / sum(want) for f, w in zip(floor, want)]


def _natural_widths(table: Table, size: int) -> tuple[list[float], list[float]]:
    """Per column, in inches: the width its longest body line asks for (a header may wrap),
    and the least it can take (its longest word; a command column, its longest line)."""
    pad = 2 * textfit.INSET_X + 2
    cols = list(zip(table.header, *table.rows))
    words = [(max(textfit.widest_word(c, size, _bold(table, i, j), _mono(table, i, j))
                  for i, c in enumerate(col)) + pad) / 72 for j, col in enumerate(cols)]
    lines = [(max([textfit.text_width(c, size, _bold(table, i + 1, j), _mono(table, i + 1, j))
                   for i, c in enumerate(col[1:])] or [0.0]) + pad) / 72
             for j, col in enumerate(cols)]
    natural = [max(w, n) for w, n in zip(words, lines)]
    return natural, [n if j in table.mono else w for j, (n, w) in enumerate(zip(natural, words))]


def _row_heights(table: Table, widths: list[float], size: int) -> list[float]:
    """Inches each row takes at ``size`` with these column widths (its fullest cell)."""
    return [max(textfit.needed_height([Paragraph(c, size, _bold(table, r, j),
                                                 mono=_mono(table, r, j))], w * 72)
                for j, (c, w) in enumerate(zip(row, widths))) / 72
            for r, row in enumerate((table.header, *table.rows))]


def _bold(table: Table, row: int, col: int) -> bool:
    """Whether a cell is set bold (``row`` 0 is the header)."""
    return row == 0 or (row - 1, col) in table.bold


def _mono(table: Table, row: int, col: int) -> bool:
    """Whether a cell is set monospaced (never the header)."""
    return row > 0 and col in table.mono


def _table(slide, body: Table, box, largest: int = 20) -> None:
    """The table at the largest size from ``largest`` down to 12 points that fits the box
    (less the note's line) with no word wider than its column; column widths from the text."""
    left, top, width, height = box
    note_h = _caption_height(body.note, width) if body.note else 0.0
    for size in range(largest, 11, -1):
        widths = _column_widths(body, width, size)
        heights = _row_heights(body, widths, size)
        needed = sum(heights)
        if needed <= height - note_h and sum(_natural_widths(body, size)[1]) <= width:
            break
    _table_shape(slide, body, (left, top, width, needed), widths, heights, size)
    if body.note:
        _fitted(slide, body.note, (left, top + needed + 0.1, width, note_h), (16, 12),
                color=MUTED)


def _table_shape(slide, body: Table, box, widths: list[float], heights: list[float],
                 size: int) -> None:
    """The table's shape: columns and rows sized as measured, so renderers need not grow
    a row (the fit check compares each row with its text)."""
    from pptx.util import Inches, Pt

    rows = (body.header, *body.rows)
    shape = slide.shapes.add_table(len(rows), len(body.header), *(Inches(v) for v in box))
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    for i, row in enumerate(rows):
        table.rows[i].height = Inches(heights[i])
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.text = text
            if i > 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(LIGHT if i % 2 else (255, 255, 255))
            color = (255, 255, 255) if i == 0 else MUTED if i - 1 in body.muted else INK
            face = textfit.MONO if _mono(body, i, j) else textfit.FONT
            for p in cell.text_frame.paragraphs:
                p.font.size, p.font.name = Pt(size), face
                p.font.bold = _bold(body, i, j)
                p.font.color.rgb = _rgb(color)


def _tables(slide, body: Tables, box) -> None:
    """The tables side by side at one size, the largest at which each holds its longest
    words and its rows fit: each gets its least width, plus a share of the rest in
    proportion to how much more its lines ask for."""
    left, top, width, height = box
    room = width - GAP * (len(body.tables) - 1)
    for size in range(20, 11, -1):
        least = [sum(_natural_widths(t, size)[1]) for t in body.tables]
        more = [sum(_natural_widths(t, size)[0]) - f for t, f in zip(body.tables, least)]
        spare = room - sum(least)
        if spare < 0:
            continue
        widths = [f + spare * (m / sum(more) if sum(more) else 1 / len(more))
                  for f, m in zip(least, more)]
        if all(sum(_row_heights(t, _column_widths(t, w, size), size)) <= height
               for t, w in zip(body.tables, widths)):
            break
    for t, w in zip(body.tables, widths):
        _table(slide, t, (left, top, w, height), largest=size)
        left += w + GAP


LAYOUTS = {Pictures: _pictures, PicturePoints: _picture_points, Points: _points,
           Table: _table, Tables: _tables, Lines: _lines}

