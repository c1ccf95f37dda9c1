"""The talk as a deck: PowerPoint (16:9), its PDF and a contact sheet, from a figure folder.

PowerPoint because a presenter edits a deck before a talk: ``.pptx`` opens in PowerPoint,
LibreOffice Impress, Keynote and Google Slides, and ``python-pptx`` writes it offline.
The slides are the talk of :mod:`aeutils.report.talk` (a title slide, the main part, one
appendix divider, the appendix), laid out by :mod:`aeutils.report.deck`; a deck in which a
text does not fit its box is refused (:mod:`aeutils.report.textfit`). LibreOffice, where
installed, exports the PDF, and the contact sheet is drawn from that PDF's pages, so it
always shows the deck as built. Needs the ``slides`` extra: ``pip install -e '.[slides]'``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import reference, textfit
from .appendix import appendix
from .deck import WIDTH, Deck, Slide
from .talk import MAIN_OPENING, Source, and_join, count
from .talk_choice import MAIN_CHOICE
from .talk_close import MAIN_CLOSE
from .talk_results import MAIN_RESULTS

MAIN = (*MAIN_OPENING, *MAIN_RESULTS, *MAIN_CHOICE, *MAIN_CLOSE)
CONTACT_CELL = (640, 360)  # pixels per slide on the contact sheet: titles readable at 4 across


class DeckError(ValueError):
    """A deck that would show text running out of its box."""


@dataclass(frozen=True)
class DeckFiles:
    """What :func:`publish_deck` wrote; ``pdf`` and ``contact`` are None without LibreOffice
    or poppler, and ``missing`` then says which tool to install."""

    pptx: Path
    slides: int
    pdf: Path | None = None
    contact: Path | None = None
    missing: str = ""


def _cover(deck: Deck, src: Source) -> None:
    """The title slide: the thesis, its author and school, and this reproduction."""
    author, title, *rest = reference.THESIS.split(", ")
    models, losses = src.grid()
    what = (f"{count(len(models))} autoencoders × {count(len(losses))} losses on "
            if models and losses else "on ")
    deck.cover(title, [f"{author}, {', '.join(rest)}",
                       f"A reproduction with aeutils: {what}"
                       f"{and_join([src.label(k) for k in src.keys()]) or 'its datasets'}"],
               capital_first(src.settings),
               f"The thesis: {reference.THESIS} (advisor G. L. Foresti). Every title in this "
               f"deck is a sentence computed from the numbers of the {src.profile} render, so "
               f"a re-run that changes a number changes what the slides say.")


def capital_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def talk(src: Source) -> tuple[list[Slide], list[Slide]]:
    """The main part and the appendix of the talk on ``src``."""
    main = [make(src) for make in MAIN]
    return main, appendix(src)


def build_deck(profile: str, figures: str | os.PathLike | None = None,
               out: str | os.PathLike | None = None) -> Path:
    """Write ``docs/slides/<profile>.pptx`` (or ``out``) from ``figures/<profile>/``; raises
    :class:`DeckError` naming every box whose text would not fit, and writes nothing then."""
    folder = Path(figures or Path("figures") / profile)
    src = Source.read(folder, profile)
    if not src.manifest and src.evaluation is None:
        raise FileNotFoundError(f"no rendered figures in {folder}: run "
                                f"`make figures PROFILE={profile}` first")
    deck = Deck()
    _cover(deck, src)
    main, extra = talk(src)
    for spec in main:
        deck.add(spec)
    deck.divider("Appendix", "Per-dataset figures and tables, for questions",
                 "Backup slides: every figure of the render not shown in the talk, and the "
                 "class-by-class tables beside the thesis.")
    for spec in extra:
        deck.add(spec)
    problems = textfit.overflows(deck.presentation)
    if problems:
        raise DeckError("text that does not fit its box: " + "; ".join(map(str, problems)))
    props = deck.presentation.core_properties
    props.title, props.last_modified_by = f"aeutils: {src.settings}", "aeutils"
    return deck.save(out or Path("docs") / "slides" / f"{profile}.pptx")


def export_pdf(pptx: Path) -> Path | None:
    """``pptx`` as a PDF beside it, exported by LibreOffice headless; None when LibreOffice
    is not installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as outdir:
        subprocess.run([soffice, f"-env:UserInstallation=file://{home}", "--headless",
                        "--convert-to", "pdf", "--outdir", outdir, str(pptx)],
                       check=True, capture_output=True, timeout=900)
        pdf = pptx.with_suffix(".pdf")
        shutil.move(Path(outdir) / f"{pptx.stem}.pdf", pdf)
    pdf.write_bytes(reproducible_pdf(pdf.read_bytes(), pptx.read_bytes()))
    return pdf


def reproducible_pdf(pdf: bytes, source: bytes) -> bytes:
    """The PDF with what LibreOffice stamps per run (creation date, file ID, checksum)
    replaced by values of the same length drawn from ``source``: the same deck gives the
    same PDF, so a rebuilt PDF changes in git only when a slide does (the byte offsets of
    the cross-reference table stay valid)."""
    digest = hashlib.sha256(source).hexdigest().upper().encode()
    out = re.sub(rb"/CreationDate\(D:\d{14}", b"/CreationDate(D:19800101000000", pdf)
    out = re.sub(rb"/ID \[ <[0-9A-F]{32}>\n<[0-9A-F]{32}> \]",
                 b"/ID [ <" + digest[:32] + b">\n<" + digest[:32] + b"> ]", out)
    out = re.sub(rb"/DocChecksum /[0-9A-F]{32}", b"/DocChecksum /" + digest[32:64], out)
    if len(out) != len(pdf):
        raise ValueError("the PDF's stamps changed length: its cross-references would break")
    return out


def render_pages(pdf: Path, folder: Path, dpi: int = 48) -> list[Path]:
    """Each page of ``pdf`` as ``folder/slide-NN.png`` at ``dpi`` (poppler's pdftoppm)."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "slide")],
                   check=True, capture_output=True, timeout=900)
    return sorted(folder.glob("slide-*.png"))


def contact_from_pdf(pdf: Path, out: Path) -> Path | None:
    """The contact sheet of the deck's pages (four across); None without pdftoppm."""
    from ..plots.contact import contact_sheet

    if shutil.which("pdftoppm") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        pages = render_pages(pdf, Path(tmp), dpi=round(CONTACT_CELL[0] / WIDTH))
        return contact_sheet(pages, out, columns=4, cell=CONTACT_CELL)


def publish_deck(profile: str, figures: str | os.PathLike | None = None,
                 out: str | os.PathLike | None = None) -> DeckFiles:
    """The deck (:func:`build_deck`), its PDF and ``contact-<profile>.png`` beside it."""
    from pptx import Presentation

    pptx = build_deck(profile, figures, out)
    n = len(Presentation(str(pptx)).slides)
    pdf = export_pdf(pptx)
    if pdf is None:
        return DeckFiles(pptx, n, missing="LibreOffice (soffice) is not installed: no PDF and "
                                          "no contact sheet (Debian: apt-get install "
                                          "libreoffice-impress)")
    contact = contact_from_pdf(pdf, pptx.parent / f"contact-{profile}.png")
    missing = "" if contact else ("pdftoppm is not installed: no contact sheet (Debian: "
                                  "apt-get install poppler-utils)")
    return DeckFiles(pptx, n, pdf, contact, missing)
