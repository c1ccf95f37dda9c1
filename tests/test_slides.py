"""The slide deck: built offline from a rendered figure folder, in the thesis's order."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pptx  # the dev extra installs it, like the slides extra
import pytest

from aeutils import plots
from aeutils.cli.main import main

NAMES = ["05_means_mnist", "04_auc_heatmap_mnist", "02_diagram_basic", "01_examples_mnist",
         "04_auc_vs_contamination_mnist", "04_auc_vs_contamination_mnist_vae-mse"]
TABLE = """MNIST: best autoencoder/loss per class selected on the test set. More text.

| class | thesis_model | thesis_loss | thesis_auc | our_model | our_loss | our_auc | delta_auc | status |
|:--|:--|:--|--:|:--|:--|--:|--:|:--|
| 0 | basic | bce+ssim | 0.9775 | vae | mse | 0.9969 | 0.0194 | 15/15 |
| 1 | basic | mse+ssim | 0.9975 | vae | ssim | 0.9995 | 0.0020 | 15/15 |
"""


@pytest.fixture
def smoke_figures(tmp_path, monkeypatch):
    """A figure folder as `make figures PROFILE=smoke` leaves it, in miniature."""
    folder = tmp_path / "figures" / "smoke"
    monkeypatch.setenv("AEUTILS_FIGURES", str(folder))
    plots.set_style()
    for name in NAMES:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ax.plot([0, 1], [0.5, 0.9])
        plots.set_details(fig, f"details of {name}")
        plots.save_figure(fig, name, notebook=f"{name[:2]}_nb", profile="smoke", data="MNIST",
                          caption=f"caption of {name}")
        plt.close(fig)
    (folder / "tables").mkdir()
    (folder / "tables" / "04_best_per_class_mnist.md").write_text(TABLE)
    (folder / "numbers").mkdir()
    ev = {"settings": "smoke profile: 1 epoch", "mnist": {
        "label": "MNIST", "mean_auc_best_per_class": 0.97, "thesis_mean_auc_best_per_class": 0.9505,
        "best_single_config": "vae/mse", "mean_auc_best_single": 0.96,
        "auc_vs_epoch": {"vae/mse": {"1": 0.9, "2": 0.96}},
        "auc_vs_contamination": {"basic/bce": {"0": 0.95, "100": 0.7}}}}
    (folder / "numbers" / "04_evaluation_numbers.json").write_text(json.dumps(ev))
    return folder


def _slide_texts(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def test_the_deck_follows_the_thesis_order_with_caption_settings_and_source(smoke_figures,
                                                                            tmp_path):
    from aeutils.report.slides import build_deck

    out = build_deck("smoke", figures=smoke_figures, out=tmp_path / "deck.pptx")
    again = build_deck("smoke", figures=smoke_figures, out=tmp_path / "again.pptx")
    assert out.read_bytes() == again.read_bytes()  # rebuilt from the same figures: same bytes
    deck = pptx.Presentation(str(out))
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, rel=1e-3)
    slides = list(deck.slides)
    pictures = [s for s in slides if any(sh.shape_type == 13 for sh in s.shapes)]
    assert len(pictures) == len(NAMES)
    order = [next(n for n in NAMES if f"/{n}.png" in _slide_texts(s)) for s in pictures]
    assert order == ["01_examples_mnist", "02_diagram_basic", "04_auc_heatmap_mnist",
                     "04_auc_vs_contamination_mnist", "04_auc_vs_contamination_mnist_vae-mse",
                     "05_means_mnist"]
    for s, name in zip(pictures, order):
        text = _slide_texts(s)
        assert f"caption of {name}" in text and f"figures/smoke/{name}.png" in text
        assert "notebook" in text and "commit" in text
        assert f"details of {name}" in s.notes_slide.notes_text_frame.text
    tables = [s for s in slides if any(sh.has_table for sh in s.shapes)]
    assert len(tables) == 1
    table = next(sh.table for sh in tables[0].shapes if sh.has_table)
    assert table.cell(1, 3).text == "0.9775" and table.cell(1, 6).text == "0.9969"
    assert slides.index(tables[0]) > slides.index(pictures[2])  # after the results per dataset
    last = _slide_texts(slides[-1])
    assert "Conclusions" in last and "0.9700 (thesis 0.9505)" in last
    assert "100 % anomalies in training take the mean AUC from 0.9500 to 0.7000" in last
    assert "highest at the last epoch, 2 (0.9600)" in last


def test_a_curve_that_peaked_early_says_so():
    from aeutils.report.slides import _epoch_sentence

    assert _epoch_sentence("x", {"1": 0.9, "20": 0.98, "200": 0.97}) == (
        "x: mean AUC peaks at epoch 20 (0.9800) and ends at 0.9700 at epoch 200.")


def test_slides_command_writes_the_deck_and_says_what_is_missing(smoke_figures, tmp_path,
                                                                 capsys):
    out = tmp_path / "cli.pptx"
    assert main(["slides", "--profile", "smoke", "--figures", str(smoke_figures),
                 "--output", str(out)]) == 0
    assert out.stat().st_size > 0 and "wrote" in capsys.readouterr().out
    assert main(["slides", "--profile", "smoke", "--figures", str(tmp_path / "none")]) == 2
    assert "make figures PROFILE=smoke" in capsys.readouterr().err
