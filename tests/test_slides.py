"""The talk: built offline from a figure folder of the smoke profile, its titles written
from the numbers, every text fitting its box, figures falling back when missing."""

from __future__ import annotations

import json
import re
import shutil

import matplotlib.pyplot as plt
import pptx  # the dev extra installs it, like the slides extra
import pytest

from aeutils import plots
from aeutils.cli.main import main
from aeutils.report import textfit, write_numbers

CONFIGS = [f"{m}/{loss}" for m in ("basic", "conv", "vae") for loss in ("mse", "bce+ssim")]
FIGURES = ["01_examples_mnist", "01_split_mnist", "02_diagram_basic", "02_diagram_conv",
           "02_diagram_vae", "02_losses_mnist", "03_training_curves_mnist",
           "03_reconstructions_mnist", "03_error_maps_mnist", "04_auc_heatmap_mnist",
           "04_roc_mnist", "04_score_histograms_mnist", "04_auc_vs_epoch_mnist",
           "04_auc_vs_contamination_mnist", "04_auc_vs_contamination_mnist_vae-mse",
           "05_per_class_mnist", "05_means_mnist"]
PATH_OR_HASH = re.compile(r"\b(figures|results|docs|notebooks|build|aeutils)/|\w\.(png|pdf|json|"
                          r"md|pptx|ipynb|py)\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")


def _thesis_rows() -> list[dict]:
    rows = [{"class": str(c), "thesis_model": "basic", "thesis_loss": "bce+ssim",
             "thesis_auc": t, "our_model": "vae", "our_loss": "mse", "our_auc": o,
             "delta_auc": o - t, "status": "6/6 configs", "seed_std": 0.001, "seeds": 2.0,
             "beyond_noise": True} for c, t, o in ((0, 0.9775, 0.99), (1, 0.9975, 0.95))]
    return rows + [{"class": "mean of the 2 measured classes", "thesis_auc": 0.9875,
                    "our_auc": 0.97, "delta_auc": -0.0175},
                   {"class": "AVG (best single config)", "thesis_model": "basic",
                    "thesis_loss": "bce+ssim", "thesis_auc": 0.9346, "our_model": "vae",
                    "our_loss": "mse", "our_auc": 0.96, "delta_auc": 0.0254}]


def smoke_numbers() -> dict[str, dict]:
    """The numbers files of a smoke render (MNIST, classes 0 and 1, two epochs)."""
    head = {"profile": "smoke", "settings": "smoke profile: 2 epochs, 64 training images per "
                                            "class, classes 0, 1"}
    mnist = {"label": "MNIST", "classes": [str(i) for i in range(10)], "shape": [1, 28, 28],
             "n_train": 60000, "n_test": 10000,
             "train_per_class": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]}
    perturbed = {p: {"mse": a, "bce": b, "ssim": c, "mse+ssim": a + c, "bce+ssim": b + c}
                 for p, a, b, c in (("identical", 0, 0.05, 0), ("blur", 0.01, 0.1, 0.2),
                                    ("shift 2 px", 0.13, 7.4, 1.0), ("occluded", 0.008, 9, 0.1))}
    curve = {c: {"1": 0.9 + i / 100, "2": 0.91 + i / 90} for i, c in enumerate(CONFIGS)}
    evaluation = {"label": "MNIST", "mean_auc_per_config": {c: 0.9 + i / 100 for i, c in
                                                            enumerate(CONFIGS)},
                  "mean_auc_best_per_class": 0.97, "thesis_mean_auc_best_per_class": 0.9505,
                  "measured_classes": 2, "best_single_config": "vae/mse",
                  "mean_auc_best_single": 0.96,
                  "best_per_class": {"0": {"config": "vae/mse", "auc": 0.99},
                                     "1": {"config": "basic/mse", "auc": 0.95}},
                  "thesis_table": _thesis_rows(), "auc_vs_epoch": curve,
                  "auc_vs_contamination": {"basic/bce": {"0": 0.95, "50": 0.8, "100": 0.7}}}
    pick = {"strategy": "label-free", "model": "basic", "loss": "mse", "epoch": 2,
            "test_auc": 0.93, "best_single_on_test": 0.962, "best_per_class_on_test": 0.975,
            "gap_single": 0.032, "gap_per_class": 0.045, "candidates": 12}
    comparison = {"label": "MNIST", "mean_auc": {
        "AE best of 6 per class (test-selected) [one-vs-rest]": 0.97,
        "AE best single config (vae/mse) [one-vs-rest]": 0.96,
        "knn [one-vs-rest]": 0.94, "deep-svdd [one-vs-rest]": 0.91,
        "knn [leave-one-out]": 0.6}, "settings": {"knn [one-vs-rest]": "64 training images"},
        "optimism": [pick], "ensemble": [{"strategy": "ensemble-validation", "epoch": 2,
                                          "auc": 0.955, "members": 6, "classes": 2}],
        "selection": {"label-free": {"config": "basic/mse", "epoch": 2, "seeds": [1],
                                     "mean_auc": 0.93, "std_auc": None, "classes": 2,
                                     "even": True}},
        "replication": [{"method": "Deep SVDD", "protocol": "one-vs-rest", "classes": 2,
                         "measured_mean": 0.91, "quoted_mean": 0.948, "difference": -0.038,
                         "largest_difference": 0.06}]}
    return {
        "01_data": {**head, "mnist": mnist, "split": {
            "normal_class": 0, "contamination": 10.0,
            "mnist": {"n_train_normal": 58, "n_contamination": 5, "n_val": 12, "n_test": 10000}}},
        "02_models": {**head, "labels": {"mnist": "MNIST"}, "losses": {"mnist": perturbed},
                      "parameters": {m: {"1×28×28 (MNIST)": n} for m, n in
                                     (("basic", 209968), ("conv", 241441), ("vae", 214096))}},
        "03_training": {**head, "normal_class": 0, "mnist": {
            "label": "MNIST", "shown_config": "vae/mse", "shown_val_auc": 0.9, "shown_auc": 0.92,
            "mean_error_normal": 0.02, "mean_error_anomalous": 0.05}},
        "04_evaluation": {**head, "runs": {"runs": 60, "stored": 60, "compute": {
            "cpu_hours": 0.1}}, "mnist": evaluation},
        "05_comparison": {**head, "mnist": comparison},
    }


def draw(name: str, folder) -> None:
    """A figure saved as a notebook saves it (PNG, PDF, manifest entry)."""
    fig, ax = plt.subplots(figsize=(8 if "diagram" not in name else 6, 4.5), layout="constrained")
    ax.plot([0, 1], [0.5, 0.9])
    plots.set_details(fig, f"details of {name}")
    plots.save_figure(fig, name, notebook=f"{name[:2]}_nb", profile="smoke", data="MNIST",
                      caption=f"MNIST: caption of {name} (smoke profile: 2 epochs).")
    plt.close(fig)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A figure folder as `make figures PROFILE=smoke` leaves it, in miniature."""
    folder = tmp_path_factory.mktemp("render") / "smoke"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AEUTILS_FIGURES", str(folder))
        plots.set_style()
        for name in FIGURES:
            draw(name, folder)
    for notebook, numbers in smoke_numbers().items():
        write_numbers(numbers, notebook, folder / "numbers")
    return folder


@pytest.fixture
def figures(rendered, tmp_path):
    """A copy of the render a test may change."""
    return shutil.copytree(rendered, tmp_path / "figures" / "smoke")


def _texts(slide) -> list[str]:
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        elif shape.has_table:
            out += [c.text for row in shape.table.rows for c in row.cells]
    return out


def _title(slide) -> str:
    """The largest bold text of a slide: its title."""
    best, size = "", 0
    for shape in slide.shapes:
        if shape.has_text_frame and shape.text_frame.text.strip():
            p = shape.text_frame.paragraphs[0]
            if p.font.bold and p.font.size and p.font.size.pt > size:
                best, size = shape.text_frame.text, p.font.size.pt
    return best


def _build(figures, tmp_path, name="deck"):
    from aeutils.report.slides import build_deck

    out = build_deck("smoke", figures=figures, out=tmp_path / f"{name}.pptx")
    return out, list(pptx.Presentation(str(out)).slides)


def _split(slides):
    """(main slides, appendix slides) around the one divider."""
    dividers = [i for i, s in enumerate(slides) if _title(s) == "Appendix"]
    assert len(dividers) == 1
    return slides[:dividers[0]], slides[dividers[0] + 1:]


def test_the_smoke_talk_is_a_talk(figures, tmp_path):
    out, slides = _build(figures, tmp_path)
    again, _ = _build(figures, tmp_path, "again")
    assert out.read_bytes() == again.read_bytes()  # rebuilt from the same render: same bytes
    deck = pptx.Presentation(str(out))
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, rel=1e-3)
    main_part, appendix = _split(slides)
    assert 15 <= len(main_part) <= 20 and appendix
    for slide in slides:
        assert len(_title(slide).split()) >= 1
        assert slide.notes_slide.notes_text_frame.text.strip()
    for slide in main_part[1:]:
        assert len(_title(slide).split()) >= 6, _title(slide)  # a sentence, not a label
    reproduce = main_part[-1]
    assert "make slides PROFILE=smoke" in " ".join(_texts(reproduce))
    for slide in slides:
        if slide is not reproduce:
            said = " ".join(_texts(slide))
            assert not PATH_OR_HASH.search(said), (said, PATH_OR_HASH.search(said))
    assert textfit.overflows(deck) == []
    # the appendix holds what the talk did not show, and no figure twice
    pictures = [s for s in slides if any(sh.shape_type == 13 for sh in s.shapes)]
    assert len(pictures) >= 10


def test_titles_are_findings_written_from_the_numbers(figures, tmp_path):
    _, slides = _build(figures, tmp_path)
    titles = [_title(s) for s in slides]
    assert ("The VAE with MSE is the best single configuration on MNIST: 0.960, 0.025 above "
            "the thesis's best single") in titles
    assert any("0.9505 on MNIST" in t for t in titles)  # the thesis's claim, the question
    assert ("Without anomaly labels: on MNIST the label-free pick ends 0.032 below the best "
            "picked on test, the ensemble of all 6 0.007 below") in titles
    assert any("knn trails the best autoencoder on MNIST (0.940 against 0.960)" in t
               for t in titles)
    close = _slide_with(slides, "Deep SVDD measured here lands 0.038 below its quoted row on MNIST")
    assert any("Deep SVDD reaches 0.910 on MNIST (2 classes) where the quoted row says 0.948" in sh.text_frame.text
               for sh in close.shapes if sh.has_text_frame)
    # a re-run that changes the numbers changes the sentences
    path = figures / "numbers" / "04_evaluation_numbers.json"
    numbers = json.loads(path.read_text())
    numbers["mnist"].update(best_single_config="basic/mse", mean_auc_best_single=0.955)
    path.write_text(json.dumps(numbers))
    titles = [_title(s) for s in _build(figures, tmp_path, "rerun")[1]]
    assert any(t.startswith("The basic autoencoder with MSE is the best single configuration "
                            "on MNIST: 0.955, 0.020 above") for t in titles)


def _slide_with(slides, words: str):
    return next(s for s in slides if words in _title(s))


def test_missing_figures_fall_back_to_alternatives_or_tables(figures, tmp_path):
    _, slides = _build(figures, tmp_path)
    for words in ("Measured on the same images", "Without anomaly labels",
                  "Quoted from papers", "minus quoted mean AUC"):  # no 05_* figure
        assert any(sh.has_table for sh in _slide_with(slides, words).shapes)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AEUTILS_FIGURES", str(figures))
        for name in ("05_measured_mnist", "05_without_labels_mnist", "05_literature_mnist",
                     "05_replication_mnist"):
            draw(name, figures)
    manifest = json.loads((figures / "MANIFEST.json").read_text())
    (figures / "04_auc_heatmap_mnist.png").unlink()  # a figure gone: its named alternative
    (figures / "01_examples_mnist.png").unlink()  # no alternative: the slide keeps its words
    _, slides = _build(figures, tmp_path, "with")
    for words in ("Measured on the same images", "Without anomaly labels",
                  "Quoted from papers", "minus quoted mean AUC",
                  "best single configuration on MNIST"):
        slide = _slide_with(slides, words)
        assert any(sh.shape_type == 13 for sh in slide.shapes), words
        assert not any(sh.has_table for sh in slide.shapes)
    question = slides[1]
    assert "0.9505 on MNIST" in _title(question)
    assert not any(sh.shape_type == 13 for sh in question.shapes)
    assert len(manifest["figures"]) == len(FIGURES) + 4
    # numbers alone (no figure at all) still give the whole talk
    for png in figures.glob("*.png"):
        png.unlink()
    (figures / "MANIFEST.json").unlink()
    _, slides = _build(figures, tmp_path, "bare")
    assert 15 <= len(_split(slides)[0]) <= 20


def test_a_box_too_small_for_its_text_is_named():
    from aeutils.report.deck import Deck, Points, Slide

    deck = Deck()
    deck.add(Slide("A title", "notes", Points(("a point",))))
    assert textfit.overflows(deck.presentation) == []
    deck.add(Slide("word " * 200, "notes", Points(("a long point " * 200,))))
    found = textfit.overflows(deck.presentation)
    assert {f.slide for f in found} == {2} and len(found) == 2
    assert "slide 2: 'word word" in str(found[0]) and found[0].needed > found[0].height


def test_text_is_measured_with_the_font_and_wrapped_to_the_box():
    wide, narrow = textfit.text_width("MMMM", 20), textfit.text_width("iiii", 20)
    assert wide > 2 * narrow  # a real font's metrics, not a character count
    assert textfit.text_width("MMMM", 20, bold=True) > wide
    line = textfit.text_width("three four", 20) + 1
    assert textfit.wrap("one two three four five six", line, 20) == [
        "one two", "three four", "five six"]
    para = [textfit.Paragraph("one two three four five six", 20)]
    width = line + 2 * textfit.INSET_X
    assert textfit.fits(para, width, 3 * 20 * textfit.LINE + 2 * textfit.INSET_Y)
    assert not textfit.fits(para, width, 2 * 20 * textfit.LINE + 2 * textfit.INSET_Y)


def test_slides_command_writes_the_deck_and_says_what_is_missing(figures, tmp_path, capsys,
                                                                 monkeypatch):
    import aeutils.report.slides as slides

    monkeypatch.setattr(slides.shutil, "which", lambda name: None)  # no LibreOffice here
    out = tmp_path / "cli.pptx"
    assert main(["slides", "--profile", "smoke", "--figures", str(figures),
                 "--output", str(out)]) == 0
    said = capsys.readouterr().out
    assert out.stat().st_size > 0 and f"wrote {out}" in said
    assert "LibreOffice (soffice) is not installed" in said and not out.with_suffix(".pdf").exists()
    assert main(["slides", "--profile", "smoke", "--figures", str(tmp_path / "none")]) == 2
    assert "make figures PROFILE=smoke" in capsys.readouterr().err
    path = figures / "numbers" / "05_comparison_numbers.json"
    numbers = json.loads(path.read_text())
    del numbers["mnist"]["optimism"][0]["test_auc"]
    path.write_text(json.dumps(numbers))
    assert main(["slides", "--profile", "smoke", "--figures", str(figures)]) == 2
    err = capsys.readouterr().err
    assert "05_comparison_numbers.json: mnist.optimism[0]: missing field 'test_auc'" in err


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm")
def test_the_contact_sheet_is_drawn_from_the_pdf(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages
    from PIL import Image

    from aeutils.report.slides import CONTACT_CELL, contact_from_pdf

    pdf = tmp_path / "deck.pdf"
    with PdfPages(pdf) as pages:
        for i in range(6):
            fig = plt.figure(figsize=(13.333, 7.5))
            fig.text(0.5, 0.5, f"page {i}")
            pages.savefig(fig)
            plt.close(fig)
    sheet = contact_from_pdf(pdf, tmp_path / "contact-smoke.png")
    with Image.open(sheet) as img:
        assert img.width > 4 * CONTACT_CELL[0] and img.height > 2 * CONTACT_CELL[1]


def test_the_pdf_stamps_of_a_run_are_replaced_so_the_same_deck_gives_the_same_pdf():
    from aeutils.report.slides import reproducible_pdf

    def export(day: bytes, ident: bytes) -> bytes:
        return (b"%PDF-1.5\n<</Creator<FEFF>/CreationDate(D:" + day + b"Z')>>\nxref\n"
                b"trailer\n<</Size 3\n/ID [ <" + ident + b">\n<" + ident + b"> ]\n"
                b"/DocChecksum /" + ident[::-1] + b">>\n%%EOF\n")

    first = export(b"20261203085949", b"61D73A4D63F0B9664FA0E074AA86D111")
    second = export(b"20261204101010", b"0123456789ABCDEF0123456789ABCDEF")
    a, b = reproducible_pdf(first, b"deck"), reproducible_pdf(second, b"deck")
    assert a == b and len(a) == len(first)  # same length: the cross-references stay valid
    assert b"D:19800101000000" in a and reproducible_pdf(first, b"other deck") != a
