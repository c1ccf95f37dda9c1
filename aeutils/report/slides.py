"""A slide deck (PowerPoint, 16:9) from a rendered figure folder, in the thesis's order.

PowerPoint because a presenter edits a deck before a talk: ``.pptx`` opens in PowerPoint,
LibreOffice Impress, Keynote and Google Slides, and ``python-pptx`` writes it offline.
Each figure slide shows one PNG of ``figures/<profile>/`` with its caption, its settings
(the manifest's ``details``) and its source (file, notebook, data, commit); the numbers
slides (best per class beside the thesis, conclusions) read ``numbers/*.json`` and
``tables/*.md``, so the deck says what the rendered figures say and nothing else.
Needs the ``slides`` extra: ``pip install -e '.[slides]'``.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import reference

WIDTH, HEIGHT = 13.333, 7.5  # inches: 16:9
DATASETS = ("mnist", "cifar10")


@dataclass
class Section:
    """A part of the talk: a heading and the figure names (``{ds}`` → each dataset)."""

    title: str
    figures: list[str] = field(default_factory=list)
    points: list[str] = field(default_factory=list)


# The thesis's order: problem, autoencoders, losses, protocol, results per dataset,
# best-per-class tables, epochs, contamination, comparison, conclusions.
SECTIONS = [
    Section("The problem: one-class anomaly detection", ["01_examples_{ds}", "01_balance_{ds}"], [
        "Train an autoencoder on images of one class only (the normal class).",
        "Score a test image by how badly it is reconstructed: high loss = anomalous.",
        "Ten one-class problems per dataset: each class in turn is normal, the rest anomalous."]),
    Section("Three autoencoders", ["02_diagram_basic", "02_diagram_conv", "02_diagram_vae"]),
    Section("Five losses", ["02_losses_{ds}"]),
    Section("Protocol", ["01_split_{ds}"], [
        "One-vs-rest: a model per normal class; test AUC over the full test set.",
        "Configurations: 3 autoencoders × 5 losses; training loss = anomaly score.",
        "Best per class selected on the test set, as in the thesis; label-free and "
        "validation selection in the comparison."]),
    Section("Training", ["03_training_curves_{ds}", "03_reconstructions_{ds}",
                         "03_error_maps_{ds}"]),
    Section("Results per dataset", ["04_auc_heatmap_{ds}", "04_roc_{ds}",
                                    "04_score_histograms_{ds}"]),
    Section("Best per class, beside the thesis", ["table:04_best_per_class_{ds}"]),
    Section("Epochs", ["04_auc_vs_epoch_{ds}"]),
    Section("Contamination", ["04_auc_vs_contamination_{ds}*"]),
    Section("Comparison with other methods", ["05_means_{ds}", "05_per_class_{ds}",
                                              "05_baseline_convergence_{ds}"]),
    Section("Conclusions", ["conclusions"]),
]


def _pptx():
    try:
        import pptx
    except ImportError as exc:  # an optional extra
        raise ImportError("the slide deck needs python-pptx: pip install -e '.[slides]'") from exc
    return pptx


def _names(pattern: str, manifest: dict) -> list[str]:
    """The figure (or table) names a section pattern stands for, datasets in order."""
    out = []
    for ds in DATASETS if "{ds}" in pattern else (None,):
        name = pattern.format(ds=ds) if ds else pattern
        if name.endswith("*"):
            out += sorted(n for n in manifest if n.startswith(name[:-1]))
        else:
            out.append(name)
    return list(dict.fromkeys(out))


def _text(slide, text: str, box: tuple[float, float, float, float], size: int,
          bold: bool = False, color: tuple[int, int, int] = (30, 30, 30)):
    """A text box at ``box`` (left, top, width, height in inches), word-wrapped."""
    pptx = _pptx()
    from pptx.util import Inches, Pt

    frame = slide.shapes.add_textbox(*(Inches(v) for v in box)).text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.text = line
        p.font.size, p.font.bold = Pt(size), bold
        p.font.color.rgb = pptx.dml.color.RGBColor(*color)
    return frame


def _figure_slide(deck, folder: Path, entry: dict, profile: str) -> None:
    """The PNG as large as the slide allows, caption, settings and source under it."""
    from PIL import Image
    from pptx.util import Inches

    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    png = folder / f"{entry['name']}.png"
    with Image.open(png) as img:
        w, h = img.size
    box_w, box_h = WIDTH - 0.3, HEIGHT - 1.2
    scale = min(box_w / w, box_h / h)
    pic_w, pic_h = w * scale, h * scale
    slide.shapes.add_picture(str(png), Inches((WIDTH - pic_w) / 2), Inches(0.1),
                             Inches(pic_w), Inches(pic_h))
    _text(slide, entry.get("caption", ""), (0.3, HEIGHT - 1.08, WIDTH - 0.6, 0.6), 13)
    source = (f"figures/{profile}/{png.name} · notebook {entry.get('notebook', '?')} · "
              f"data {entry.get('data', '?')} · commit {entry.get('commit', '?')}")
    _text(slide, source, (0.3, HEIGHT - 0.4, WIDTH - 0.6, 0.3), 10, color=(110, 110, 110))
    notes = "\n\n".join(t for t in (entry.get("caption", ""), entry.get("details", "")) if t)
    slide.notes_slide.notes_text_frame.text = notes


def _heading_slide(deck, title: str, points: list[str], sub: str = "") -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    _text(slide, title, (0.6, 0.4, WIDTH - 1.2, 1.3), 34, bold=True)
    if sub:
        _text(slide, sub, (0.6, 1.75, WIDTH - 1.2, 0.5), 18, color=(90, 90, 90))
    if points:
        _text(slide, "\n".join(f"•  {p}" for p in points), (0.8, 2.5, WIDTH - 1.6, 4.5), 22)


def read_table(path: Path) -> tuple[str, pd.DataFrame]:
    """A table exported by :func:`aeutils.report.export_table`: (caption, frame)."""
    text = path.read_text()
    caption, _, body = text.partition("\n\n")
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in body.splitlines() if line.startswith("|")]
    return caption.strip(), pd.DataFrame(rows[2:], columns=rows[0])


def _table_slide(deck, path: Path, profile: str) -> None:
    """The best configuration per class beside the thesis's, as an editable table."""
    from pptx.util import Inches, Pt

    caption, t = read_table(path)
    keep = [c for c in ("class", "thesis_model", "thesis_loss", "thesis_auc", "our_model",
                        "our_loss", "our_auc", "delta_auc") if c in t]
    t = t[keep]
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    title = caption.split(":")[0] + ": best configuration per class, thesis beside ours"
    _text(slide, title, (0.4, 0.15, WIDTH - 0.8, 0.6), 24, bold=True)
    shape = slide.shapes.add_table(len(t) + 1, len(keep), Inches(0.4), Inches(0.85),
                                   Inches(WIDTH - 0.8), Inches(0.36 * (len(t) + 1)))
    for j, col in enumerate(keep):
        shape.table.cell(0, j).text = col.replace("_", " ")
        for i, v in enumerate(t[col], start=1):
            shape.table.cell(i, j).text = v
    for cell in (c for row in shape.table.rows for c in row.cells):
        for p in cell.text_frame.paragraphs:
            p.font.size = Pt(13)
    _text(slide, caption.split(". ")[0] + ".", (0.4, HEIGHT - 0.95, WIDTH - 0.8, 0.5), 12)
    _text(slide, f"figures/{profile}/tables/{path.name}", (0.4, HEIGHT - 0.4, WIDTH - 0.8, 0.3),
          10, color=(110, 110, 110))
    slide.notes_slide.notes_text_frame.text = caption


def _epoch_sentence(what: str, curve: dict[str, float]) -> str:
    """Whether mean AUC is still at its highest at the last checkpoint, or peaked before."""
    peak, last = max(curve, key=curve.get), max(curve, key=int)
    if peak == last:
        return f"{what}: mean AUC is highest at the last epoch, {last} ({curve[last]:.4f})."
    return (f"{what}: mean AUC peaks at epoch {peak} ({curve[peak]:.4f}) and ends at "
            f"{curve[last]:.4f} at epoch {last}.")


def conclusions(numbers: dict) -> list[str]:
    """One sentence per finding, from the numbers files (true for whichever profile)."""
    ev = numbers.get("04_evaluation", {})
    out = []
    for ds in DATASETS:
        d = ev.get(ds)
        if not d or d.get("mean_auc_best_per_class") is None:
            continue
        line = (f"{d['label']}: best of 15 per class {d['mean_auc_best_per_class']:.4f} "
                f"(thesis {d.get('thesis_mean_auc_best_per_class', float('nan')):.4f}); best "
                f"single configuration {d['best_single_config']} "
                f"{d['mean_auc_best_single']:.4f}.")
        out.append(line)
        curve = d.get("auc_vs_epoch", {}).get(d["best_single_config"], {})
        if curve:
            out.append(_epoch_sentence(f"{d['label']}, {d['best_single_config']}", curve))
        for cfg, by in d.get("auc_vs_contamination", {}).items():
            lo, hi = min(by, key=float), max(by, key=float)
            out.append(f"{d['label']}, {cfg}: {hi} % anomalies in training take the mean AUC "
                       f"from {by[lo]:.4f} to {by[hi]:.4f}.")
    return out


def build_deck(profile: str, figures: str | Path | None = None,
               out: str | Path | None = None) -> Path:
    """Write ``docs/slides/<profile>.pptx`` (or ``out``) from ``figures/<profile>/``."""
    pptx = _pptx()
    from pptx.util import Inches

    from ..plots import read_manifest

    folder = Path(figures or Path("figures") / profile)
    manifest = read_manifest(folder)
    if not manifest:
        raise FileNotFoundError(f"no rendered figures in {folder}: run "
                                f"`make figures PROFILE={profile}` first")
    numbers = {p.stem.removesuffix("_numbers"): json.loads(p.read_text())
               for p in sorted((folder / "numbers").glob("*_numbers.json"))}
    deck = pptx.Presentation()
    deck.slide_width, deck.slide_height = Inches(WIDTH), Inches(HEIGHT)
    settings = numbers.get("04_evaluation", {}).get("settings", f"{profile} profile")
    _heading_slide(deck, "Autoencoder-based image anomaly detection", [
        "A reproduction on MNIST and CIFAR-10: three autoencoders × five losses, one-vs-rest.",
        f"Thesis: {reference.THESIS}."], sub=settings)
    for section in SECTIONS:
        _section(deck, section, folder, manifest, numbers, profile)
    props = deck.core_properties
    props.title, props.last_modified_by = f"aeutils: {settings}", "aeutils"
    out = Path(out or Path("docs") / "slides" / f"{profile}.pptx")
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    deck.save(buf)
    out.write_bytes(_reproducible(buf.getvalue()))
    return out


def _reproducible(pptx_bytes: bytes) -> bytes:
    """The same deck, its zip entries dated 1980-01-01: the same figures give the same
    bytes, so a rebuilt deck changes in git only when a slide does."""
    src, dst = zipfile.ZipFile(io.BytesIO(pptx_bytes)), io.BytesIO()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)),
                       src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return dst.getvalue()


def _section(deck, section: Section, folder: Path, manifest: dict, numbers: dict,
             profile: str) -> None:
    """A heading slide, then the section's figure, table or conclusion slides."""
    if section.figures == ["conclusions"]:
        _heading_slide(deck, section.title, conclusions(numbers) or ["no numbers rendered"],
                       sub=f"from figures/{profile}/numbers/")
        return
    names = [n for pattern in section.figures for n in _names(pattern, manifest)]
    tables = [folder / "tables" / f"{n[6:]}.md" for n in names if n.startswith("table:")]
    figs = [manifest[n] for n in names if n in manifest]
    if not figs and not any(t.exists() for t in tables):
        return
    _heading_slide(deck, section.title, section.points)
    for t in tables:
        if t.exists():
            _table_slide(deck, t, profile)
    for entry in figs:
        _figure_slide(deck, folder, entry, profile)
