"""Figures for slides: size, text, colours, the AUC heatmap's marks, and a stable manifest."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from aeutils import plots
from aeutils.plots import style
from aeutils.plots.evaluation import auc_norm

CONFIGS = [(m, lo) for m in ("basic", "conv", "vae") for lo in ("mse", "bce", "ssim")]


def _matrix(low: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    m = pd.DataFrame(rng.uniform(low, 0.99, (4, len(CONFIGS))),
                     columns=[f"{m}/{lo}" for m, lo in CONFIGS], index=[0, 1, 2, 3])
    m.iloc[1, 2] = 0.42  # below chance
    return pd.concat([m, m.mean().to_frame("mean").T])


def _figures() -> dict[str, plt.Figure]:
    """One figure of each kind, on small made-up inputs."""
    plots.set_style()
    rng = np.random.default_rng(1)
    epochs = [1, 2, 5, 10, 20, 50, 100, 200]
    curve = pd.DataFrame([{"config": f"{m}/{lo}", "model": m, "loss": lo, "epoch": e,
                           "auc": 0.7 + 0.25 * (1 - 1 / e) + rng.uniform(0, 0.02)}
                          for m, lo in CONFIGS for e in epochs])
    records = pd.DataFrame([{"model": m, "loss": lo, "normal_class": c,
                             "loss_curve": list(1 / np.arange(1, 201) + c * 0.01)}
                            for m, lo in CONFIGS for c in (0, 1)])
    imgs = torch.randint(0, 255, (9, 1, 28, 28), dtype=torch.uint8)
    recon = torch.rand(9, 1, 28, 28)
    cont = pd.DataFrame([{"contamination": p, "normal_class": c, "auc": 0.95 - p / 300 - c / 50,
                          "config": "basic/bce"} for p in (0, 10, 50, 100) for c in range(10)])
    panels = {f"class {c} (AUC 0.9)": (rng.normal(size=50), rng.integers(0, 2, 50))
              for c in range(10)}
    long = pd.DataFrame([{"method": m, "class": c, "auc": 0.9 + rng.uniform(0, 0.09),
                          "quoted": q, "data": "MNIST"}
                         for m, q in (("AE best of 15 per class (test-selected)", False),
                                      ("AE best single config (vae/mse)", False),
                                      ("Thesis: AE best of 15 per class (test-selected)", True),
                                      ("GEOM", True)) for c in range(10)])
    table = pd.DataFrame({"method": ["AE best single config (vae/mse)", "knn", "GANomaly",
                                     "AnoGAN"],
                          "protocol": ["one-vs-rest", "one-vs-rest", "leave-one-out",
                                       "leave-one-out"],
                          "mean": [0.97, 0.95, 0.79, 0.44], "data": ["MNIST"] * 4,
                          "source": ["measured here", "measured here", "Akcay 2018",
                                     "Akcay 2018"]})
    image = torch.rand(1, 28, 28)
    perturbed = {name: (image + k * 0.05).clamp(0, 1) for k, name in enumerate(
        ("identical", "noise σ=0.1", "blur σ=1", "shift 2 px", "brighter +0.2", "occluded 8×8"))}
    losses = pd.DataFrame(rng.uniform(0, 1, (6, 5)), index=list(perturbed),
                          columns=["mse", "bce", "ssim", "mse+ssim", "bce+ssim"])
    layers = pd.DataFrame({"layer": ["input", "encoder.0", "decoder.0"],
                           "output": ["784", "32", "784"], "size": [784, 32, 784]})
    return {
        "heatmap": plots.auc_heatmap(_matrix(0.6), "MNIST", note="thesis profile: 200 epochs"),
        "epoch": plots.auc_vs_epoch(curve, "MNIST", note="thesis profile"),
        "training": plots.training_curves(records, "MNIST", note="class 0"),
        "recon": plots.reconstructions(imgs[:8], recon[:8], imgs, recon, "MNIST", "vae/mse",
                                       anomalous_names=[str(c) for c in range(1, 10)]),
        "errors": plots.error_maps(imgs[:4], recon[:4], [0, 0, 1, 1], "MNIST", "vae/mse"),
        "contamination": plots.auc_vs_contamination(cont, "MNIST", note="thesis profile"),
        "histograms": plots.score_histograms(panels, "MNIST", title="vae/mse"),
        "roc": plots.roc_curves({f"{c}: vae/mse": ([0, 0.2, 1], [0, 0.8, 1], 0.8)
                                 for c in range(10)}, "MNIST", title="best per class"),
        "per_class": plots.per_class_bars(long, [str(c) for c in range(10)], "MNIST",
                                          title="one-vs-rest rows only"),
        "means": plots.mean_auc_by_protocol(table, "MNIST"),
        "diagram": plots.architecture_diagram(layers, "basic autoencoder"),
        "examples": plots.class_examples(imgs, torch.arange(9) % 3, ["a", "b", "c"], "MNIST"),
        "balance": plots.class_balance(torch.arange(9) % 3, torch.arange(6) % 3,
                                       ["a", "b", "c"], "MNIST"),
        "losses": plots.perturbation_losses(image, perturbed, losses, "MNIST"),
    }


@pytest.fixture(scope="module")
def figures():
    figs = _figures()
    yield figs
    for f in figs.values():
        plt.close(f)


def test_every_figure_fits_a_slide_and_its_text_reads_there(figures):
    for name, fig in figures.items():
        w, h = fig.get_size_inches()
        assert w <= style.SLIDE[0] + 1e-6 and h <= style.SLIDE[1] + 1e-6, name
        sizes = style.slide_text_sizes(fig)
        assert sizes and min(sizes) >= style.MIN_PT - 1e-6, (name, min(sizes))


def test_a_figure_larger_than_the_slide_counts_as_shrunk():
    fig = plt.figure(figsize=(2 * style.SLIDE[0], style.SLIDE[1]))
    fig.text(0.5, 0.5, "x", fontsize=20)
    assert style.slide_text_sizes(fig) == [pytest.approx(10)]
    plt.close(fig)


def test_one_colour_per_model_loss_and_method():
    assert plots.color_of("vae") == plots.color_of("vae/mse") == style.MODEL_COLORS["vae"]
    assert plots.color_of("mse+ssim") == style.LOSS_COLORS["mse+ssim"]
    assert plots.color_of("Deep SVDD") == plots.color_of("deep-svdd [b]")
    assert plots.color_of("AE best single config (vae/mse) [a]") == style.METHOD_COLORS["ae"]
    named = list(style.MODEL_COLORS.values()) + list(style.LOSS_COLORS.values())
    assert len(set(named)) == len(named)  # no two autoencoders or losses share a colour


def test_auc_heatmaps_share_one_scale_mark_the_best_and_flag_below_chance(figures):
    ax = figures["heatmap"].axes[0]
    mesh = ax.collections[0]
    other = plots.auc_heatmap(_matrix(0.3), "CIFAR-10")
    grid = np.linspace(0.2, 1.0, 17)
    assert np.allclose(mesh.norm(grid), other.axes[0].collections[0].norm(grid))
    plt.close(other)
    # chance sits where the reds end; 0.90-1.00 still spans a quarter of the colours
    assert float(mesh.norm(0.5)) == pytest.approx(0.25)
    assert float(mesh.norm(1.0) - mesh.norm(0.9)) > 0.25
    matrix = _matrix(0.6)
    boxes = [p for p in ax.patches if not p.get_fill() and p.get_linewidth() > 1]
    assert sorted((int(p.get_y()), int(p.get_x())) for p in boxes) == sorted(
        (i, int(np.argmax(r))) for i, r in enumerate(matrix.to_numpy()))
    hatched = [(int(p.get_y()), int(p.get_x())) for p in ax.patches if p.get_hatch()]
    assert hatched == [(1, 2)]
    assert np.allclose(auc_norm().inverse(auc_norm()(grid)), np.clip(grid, 0.25, 1.0))


def test_auc_vs_epoch_is_a_panel_per_model_on_one_range_with_log_epochs(figures):
    fig = figures["epoch"]
    axes = [a for a in fig.axes if a.get_title()]
    assert [a.get_title() for a in axes] == ["basic", "conv", "vae"]
    assert len({a.get_ylim() for a in axes}) == 1
    assert all(a.get_xscale() == "log" for a in axes)
    for a in axes:
        assert [ln.get_color() for ln in a.get_lines() if ln.get_label() in style.LOSS_COLORS] \
            == [style.LOSS_COLORS[lo] for lo in ("mse", "bce", "ssim")]


def test_log_epoch_ticks_never_run_together():
    from aeutils.plots.evaluation import _log_ticks

    assert _log_ticks([1, 2, 5, 10, 20, 50, 100, 200]) == [1, 5, 20, 50, 200]
    assert _log_ticks([5, 10, 20, 50, 100]) == [5, 20, 100]


def test_training_curves_follow_the_loss_order_with_readable_ticks(figures):
    titles = [a.get_title() for a in figures["training"].axes if a.get_title()]
    assert titles == ["mse", "bce", "ssim"]
    ax = figures["training"].axes[0]
    assert len(ax.get_xticks()) <= 6 and not any(ln.get_marker() not in (None, "None")
                                                 for ln in ax.get_lines())


def test_reconstructions_match_columns_and_name_the_anomalies(figures):
    fig = figures["recon"]
    assert len(fig.axes) == 4 * 8  # eight normal and eight anomalous columns
    names = [a.get_title() for a in fig.axes[16:24]]
    assert names == [str(c) for c in range(1, 9)]


def test_auc_axes_carry_the_chance_line(figures):
    for name in ("contamination", "means"):
        lines = [ln for a in figures[name].axes for ln in a.get_lines()]
        assert any(ln.get_linestyle() == "--" and 0.5 in np.asarray(ln.get_ydata()).tolist()
                   + np.asarray(ln.get_xdata()).tolist() for ln in lines), name
    # a zoomed AUC range (all values far above 0.5) says where chance lies instead
    assert "chance" in figures["epoch"].axes[0].get_ylabel()
    roc = figures["roc"].axes[0].get_lines()[-1]  # ROC's chance is the diagonal
    assert roc.get_linestyle() == "--" and list(roc.get_xdata()) == list(roc.get_ydata())


def test_roc_legend_sits_beside_the_curves(figures):
    fig = figures["roc"]
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1


def test_comparison_colours_mean_the_method_not_the_protocol(figures):
    fig = figures["means"]
    colours = {}
    for ax in fig.axes:
        for ln in ax.get_lines():
            if ln.get_marker() not in (None, "None", "") and len(ln.get_xdata()) == 1:
                colours.setdefault(ln.get_xdata()[0], ln.get_color())
    assert colours[0.97] == style.METHOD_COLORS["ae"]
    assert colours[0.79] == style.METHOD_COLORS["ganomaly"]
    assert colours[0.95] == style.METHOD_COLORS["knn"]


# --- manifest stability ------------------------------------------------------------------
def _draw(title="same figure"):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [1, 0, 1])
    ax.set_title(title)
    return fig


def test_a_re_render_with_newer_code_leaves_files_and_manifest_byte_identical(
        tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path))
    monkeypatch.setattr(style, "stamp", lambda: "aaaaaaa")
    first = plots.save_figure(_draw(), "f", notebook="nb", profile="p", data="d", caption="c")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(style, "stamp", lambda: "bbbbbbb+dirty")  # a later commit
    plots.save_figure(_draw(), "f", notebook="nb", profile="p", data="d", caption="c")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert first["commit"] == "aaaaaaa" and len(first["sha256"]) == 64
    assert b"CreationDate" not in before["f.pdf"] and b"Matplotlib" not in before["f.pdf"]
    with Image.open(tmp_path / "f.png") as img:
        assert "Software" not in img.info
    # changed bytes: a new digest, stamped with the render that changed them
    changed = plots.save_figure(_draw("another title"), "f", notebook="nb", profile="p",
                                data="d", caption="c")
    assert changed["sha256"] != first["sha256"] and changed["commit"] == "bbbbbbb+dirty"
    entry = json.loads((tmp_path / "MANIFEST.json").read_text())["figures"][0]
    assert entry == changed


def test_details_too_long_for_the_settings_line_go_to_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path))
    fig, ax = plt.subplots(figsize=(6, 4))
    long = "; ".join(f"[{c}] 4,879–6,068 training images per class, 30 epochs" for c in "abcd")
    style._titled(ax, "MNIST: a title", long)
    shown = [t.get_text() for t in ax.texts]
    assert len(shown) == 1 and "\n" not in shown[0] and shown[0].endswith(" …")
    entry = plots.save_figure(fig, "g", notebook="nb", profile="p", data="d")
    assert entry["details"] == long
    plt.close(fig)


def test_contact_sheet_tiles_every_png(tmp_path):
    pngs = []
    for i in range(5):
        p = tmp_path / f"{i}.png"
        Image.new("RGB", (160, 90), (40 * i, 0, 0)).save(p)
        pngs.append(p)
    out = plots.contact_sheet(pngs, tmp_path / "sheet.png", columns=2, cell=(160, 90))
    with Image.open(out) as sheet:
        assert sheet.width == 2 * 168 + 8 and sheet.height == 3 * (90 + 18 + 8) + 8
    again = plots.contact_sheet(pngs, tmp_path / "sheet2.png", columns=2, cell=(160, 90))
    assert out.read_bytes() == again.read_bytes()
