"""Figures for slides: size, text, colours, one message each, a title that states the
finding, the layout check on every kind of figure, and a stable manifest."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from aeutils import plots, report
from aeutils.plots import layout, style
from aeutils.report import headlines

CONFIGS = [(m, lo) for m in ("basic", "conv", "vae") for lo in ("mse", "bce", "ssim")]
CLASSES = [str(c) for c in range(10)]


def _matrix(low: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    m = pd.DataFrame(rng.uniform(low, 0.99, (4, len(CONFIGS))),
                     columns=[f"{m}/{lo}" for m, lo in CONFIGS], index=[0, 1, 2, 3])
    m.iloc[1, 2] = 0.42  # below chance
    m.iloc[2, 3] = m.iloc[2, 5] = 0.9994  # a tie at three decimals: both are the best
    m.iloc[2, 4] = 0.9991  # 0.999 beside the 0.999s: not a tie
    return pd.concat([m, m.mean().to_frame("mean").T])


def _measured() -> pd.DataFrame:
    """Measured rows as :func:`aeutils.report.measured_overview` gives them: autoencoder
    rows, baselines in two protocols, one on fewer classes, one measured elsewhere only."""
    rows = [("AE best of 15 per class (test-selected)", "one-vs-rest", 0.974, 10),
            ("AE best single config (vae/mse)", "one-vs-rest", 0.973, 10),
            ("AE, label-free selection: conv/bce+ssim, epoch 100 (seeds 1, 2, 3)",
             "one-vs-rest", 0.957, 10),
            ("AE ensemble of all 15 configurations, epoch 200 (no choice)", "one-vs-rest",
             0.972, 10),
            ("knn", "one-vs-rest", 0.954, 10), ("deep-svdd", "one-vs-rest", 0.926, 7),
            ("pretrained-knn (ImageNet-pretrained (external data))", "one-vs-rest", 0.966, 10),
            ("knn", "leave-one-out", 0.776, 10), ("ganomaly", "leave-one-out", 0.750, 10)]
    t = pd.DataFrame(rows, columns=["method", "protocol", "mean", "classes"]).assign(note="")
    t["selection"] = ["per class on the test set (optimistic)",
                      "one config, best mean on the test set",
                      "label-free: one config per dataset on seed 0 (no anomaly label)",
                      "none: the mean of every configuration's scores"] + ["fixed settings"] * 5
    missing = {"method": "ocsvm", "protocol": "one-vs-rest", "mean": np.nan, "classes": 0,
               "note": "not measured on MNIST"}
    return pd.concat([t, pd.DataFrame([missing])], ignore_index=True)


SETTINGS = {("AE best of 15 per class (test-selected)", "one-vs-rest"):
            "4,879–6,068 training images per class, 200 epochs, 10,000 test images, seed 0",
            ("AE best single config (vae/mse)", "one-vs-rest"):
            "4,879–6,068 training images per class, 200 epochs, 10,000 test images, seed 0",
            ("AE, label-free selection: conv/bce+ssim, epoch 100 (seeds 1, 2, 3)",
             "one-vs-rest"): "4,879–6,068 training images per class, 100 epochs, 10,000 test "
                             "images, seeds 1, 2, 3",
            ("knn", "one-vs-rest"): "4,879–6,068 training images per class, one fit, 10,000 "
                                    "test images, seeds 0, 1, 2",
            ("knn", "leave-one-out"): "2,000 training images per class, one fit, 10,000 test "
                                      "images, seeds 0, 1, 2"}


def _quoted() -> pd.DataFrame:
    from aeutils.report import reference

    t = reference.wide(reference.reference_rows("mnist"), "mnist")
    return t.assign(quoted=True)


def _per_class() -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(2)
    methods = {"AE, label-free selection: conv/bce+ssim, epoch 100 (seeds 1, 2, 3)": "label",
               "AE ensemble of all 15 configurations, epoch 200 (no choice)": "none",
               "pretrained-knn (ImageNet-pretrained (external data))": "fixed settings",
               "AE best single config (vae/mse)": "one config, best mean on the test set"}
    long = pd.DataFrame([{"method": m, "class": c, "auc": 0.9 + rng.uniform(0, 0.09),
                          "std": 0.004 if m.startswith("AE, label") else np.nan,
                          "selection": sel, "protocol": "one-vs-rest", "quoted": False}
                         for m, sel in methods.items() for c in range(10)])
    return long, list(methods)


def _without() -> pd.DataFrame:
    return report.without_labels(
        {"label-free": {"config": "conv/bce+ssim", "epoch": 100, "seeds": [1, 2, 3],
                        "mean_auc": 0.957, "std_auc": 0.0004, "classes": 10}},
        [{"strategy": "ensemble-validation", "epoch": 200, "auc": 0.9717, "members": 15,
          "classes": 10, "seed": 0}],
        {"model": "basic", "loss": "bce+ssim", "epoch": 20, "auc": 0.9787})


def _figures() -> dict[str, plt.Figure]:
    """One figure of each kind, on small made-up inputs."""
    plots.set_style()
    rng = np.random.default_rng(1)
    epochs = [1, 2, 5, 10, 20, 50, 100, 200]
    curve = pd.DataFrame([{"config": f"{m}/{lo}", "model": m, "loss": lo, "epoch": e,
                           "auc": 0.7 + 0.25 * (1 - 1 / e) + rng.uniform(0, 0.02)}
                          for m, lo in CONFIGS for e in epochs])
    curve.loc[curve["epoch"] == 1, "auc"] = 0.3  # below the floor: written, stacked
    records = pd.DataFrame([{"model": m, "loss": lo, "normal_class": c,
                             "loss_curve": list(1 / np.arange(1, 201) + c * 0.01)}
                            for m, lo in CONFIGS for c in (0, 1)])
    imgs = torch.randint(0, 255, (9, 1, 28, 28), dtype=torch.uint8)
    recon = torch.rand(9, 1, 28, 28)
    cont = pd.DataFrame([{"contamination": p, "normal_class": c, "auc": 0.95 - p / 300 - c / 50,
                          "config": "basic/bce"} for p in (0, 10, 50, 100) for c in range(10)])
    panels = {f"class {c} (AUC 0.9)": (rng.normal(size=50), rng.integers(0, 2, 50))
              for c in range(10)}
    long, picks = _per_class()
    image = torch.rand(1, 28, 28)
    perturbed = {name: (image + k * 0.05).clamp(0, 1) for k, name in enumerate(
        ("identical", "noise σ=0.1", "blur σ=1", "shift 2 px", "brighter +0.2", "occluded 8×8"))}
    losses = pd.DataFrame(rng.uniform(0, 1, (6, 5)), index=list(perturbed),
                          columns=["mse", "bce", "ssim", "mse+ssim", "bce+ssim"])
    layers = report.layer_table("conv", (1, 28, 28))
    auc = pd.DataFrame({"method": ["deep-svdd"] * 4, "protocol": ["one-vs-rest"] * 4,
                        "epoch": [10, 25, 50, 100], "value": [0.9, 0.93, 0.94, 0.93]})
    loss = pd.DataFrame({"method": ["deep-svdd"] * 100, "protocol": ["one-vs-rest"] * 100,
                         "epoch": range(1, 101), "value": 1 / np.arange(1, 101)})
    long_title = ("A finding long enough that it needs a second line on a slide, because it "
                  "names two configurations and both of their numbers")
    return {
        "heatmap": plots.auc_heatmap(_matrix(0.6), "MNIST", note="thesis profile: 200 epochs",
                                     title=headlines.heatmap_headline(_matrix(0.6), "MNIST")),
        "epoch": plots.auc_vs_epoch(curve, "MNIST", note="thesis profile", title=long_title),
        "training": plots.training_curves(records, "MNIST", note="class 0"),
        "training_one_class": plots.training_curves(records[records["normal_class"] == 0],
                                                    "MNIST", note="class 0"),
        "recon": plots.reconstructions(imgs[:8], recon[:8], imgs, recon, "MNIST",
                                       note="vae/mse, normal class 0, test AUC 0.997; thesis "
                                            "profile: 200 epochs, all training images; shown: "
                                            "the configuration with the best validation AUC",
                                       anomalous_names=[str(c) for c in range(1, 10)]),
        "errors": plots.error_maps(imgs[:4], recon[:4], [0, 0, 1, 1], "MNIST", note="vae/mse"),
        "contamination": plots.auc_vs_contamination(cont, "MNIST", note="thesis profile"),
        "histograms": plots.score_histograms(panels, "MNIST", note="vae/mse"),
        "roc": plots.roc_curves({f"{c}: vae/mse": ([0, 0.2, 1], [0, 0.8, 1], 0.8)
                                 for c in range(10)}, "MNIST",
                                note="best configuration per class, picked on the test set; "
                                     "thesis profile: 200 epochs, all training images"),
        "per_class": plots.per_class_auc(long, CLASSES, "MNIST", methods=picks),
        "measured": plots.measured_means(_measured(), "MNIST", settings=SETTINGS),
        "literature": plots.literature_means(_quoted(), "MNIST"),
        "without": plots.without_labels(_without(), "MNIST"),
        "convergence": plots.baseline_convergence(auc, loss, "MNIST", settings={
            ("deep-svdd", "one-vs-rest"): "50 pre-training + 100 epochs, seeds 0, 1, 2"}),
        "diagram": plots.architecture_diagram(layers, "conv autoencoder"),
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


def test_every_kind_of_figure_passes_the_layout_check(figures):
    for name, fig in figures.items():
        assert layout.layout_problems(fig, name) == []


def test_the_heatmap_writes_three_decimals_colours_the_gap_and_boxes_every_tie(figures):
    ax = figures["heatmap"].axes[0]
    matrix = _matrix(0.6)
    cells = [t.get_text() for t in ax.texts]
    assert "0.999" in cells and all(len(c) == 5 for c in cells)  # 0.xxx
    boxes = sorted((int(p.get_y()), int(p.get_x())) for p in ax.patches
                   if not p.get_fill() and p.get_linewidth() > 1)
    shown = matrix.to_numpy().round(3)
    expected = sorted((i, j) for i, row in enumerate(shown) for j in np.flatnonzero(
        row == row.max()))
    assert boxes == expected and (2, 3) in boxes and (2, 5) in boxes and (2, 4) in boxes
    hatched = [(int(p.get_y()), int(p.get_x())) for p in ax.patches if p.get_hatch()]
    assert hatched == [(1, 2)]
    mesh = ax.collections[0]  # colour: how far below the row's best, one scale everywhere
    gaps = np.asarray(mesh.get_array()).reshape(shown.shape)
    assert np.allclose(gaps, shown.max(axis=1, keepdims=True) - shown)
    assert mesh.norm.vmin == 0 and mesh.norm.vmax == pytest.approx(0.10)


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


def test_training_curves_name_a_band_only_when_one_is_drawn(figures):
    def legend_title(fig):
        return next(a.get_legend().get_title().get_text() for a in fig.axes
                    if a.get_legend() is not None)

    assert "band" in legend_title(figures["training"])
    assert figures["training"].axes[0].collections  # two classes: a band per line
    one = figures["training_one_class"]
    assert "band" not in legend_title(one) and not one.axes[0].collections


def test_reconstructions_match_columns_and_name_the_anomalies(figures):
    fig = figures["recon"]
    assert len(fig.axes) == 4 * 8  # eight normal and eight anomalous columns
    names = [a.get_title() for a in fig.axes[16:24]]
    assert names == [str(c) for c in range(1, 9)]


def test_auc_axes_carry_the_chance_line(figures):
    for name in ("contamination", "measured"):
        lines = [ln for a in figures[name].axes for ln in a.get_lines()]
        assert any(ln.get_linestyle() == "--" and 0.5 in np.asarray(ln.get_ydata()).tolist()
                   + np.asarray(ln.get_xdata()).tolist() for ln in lines), name
    # a zoomed AUC range (all values far above 0.5) says where chance lies instead
    assert "chance" in figures["epoch"].axes[0].get_ylabel()
    roc = figures["roc"].axes[0].get_lines()[-1]  # ROC's chance is the diagonal
    assert roc.get_linestyle() == "--" and list(roc.get_xdata()) == list(roc.get_ydata())


def test_titles_wrap_and_settings_lines_are_never_cut(figures):
    texts = [t.get_text() for f in figures.values() for t in f.findobj(plt.Text)]
    assert not any(t.rstrip().endswith(("…", "...")) for t in texts)
    title = next(t for t in figures["epoch"].texts if t.get_gid() == "title")
    assert "\n" in title.get_text()  # a long finding wraps
    recon = " ".join(t.get_text() for t in figures["recon"].texts)
    assert "shown: the configuration with the best validation AUC" in " ".join(recon.split())


def test_a_wrapped_line_never_ends_on_one_word_alone():
    text = "4,500 training images per class, 50 pre-training + 100 epochs, seed 0"
    width = style.text_width(text[:-2], 10)  # room for all but the last word
    lines = style.wrapped(text, width, 10)
    assert lines == [text[:-len(" seed 0")], "seed 0"]
    assert style.wrapped("seed 0", width, 10) == ["seed 0"]  # one line stays as it is


def test_roc_legend_sits_beside_the_curves(figures):
    fig = figures["roc"]
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1


def test_measured_rows_are_keyed_inside_the_image_and_say_what_they_lack(figures):
    fig = figures["measured"]
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    marks = {m for label in labels for m in ("[a]", "[b]", "[c]", "[d]") if m in label}
    key = "\n".join(t.get_text() for t in fig.texts)
    assert marks == {"[a]", "[b]", "[c]", "[d]"}
    assert all(f"{m} " in key for m in marks)  # every mark is spelled out in the figure
    assert "every mark: 10,000 test images" in key
    values = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert " 0.926 (7 of 10 classes)" in values and "not measured on MNIST" in values
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["one-vs-rest", "leave-one-out"]
    dots = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_marker() not in
            (None, "None", "")]
    assert dots and all(ln.get_markerfacecolor() != "white" for ln in dots)
    colours = {ln.get_xdata()[0]: ln.get_color() for ln in dots}
    assert colours[0.973] == style.METHOD_COLORS["ae"]
    assert colours[0.75] == style.METHOD_COLORS["ganomaly"]


def test_quoted_rows_are_hollow_and_keyed_to_their_sources_inside_the_image(figures):
    fig = figures["literature"]
    dots = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_marker() not in
            (None, "None", "")]
    assert dots and all(ln.get_markerfacecolor() == "white" for ln in dots)
    key = " ".join(" ".join(t.get_text() for t in fig.texts).split())
    assert "[1] Cheng et al. 2020's run of GEOM" in key  # numbered top to bottom
    assert "] R. Verk" in key and "] Ruff et al." in key
    assert {ax.get_title(loc="left") for ax in fig.axes} == {
        "one-vs-rest", "leave-one-out", "anomaly-as-class (supervised transfer)"}


def test_per_class_draws_a_few_methods_apart_and_marks_the_test_picked_one(figures):
    ax = figures["per_class"].axes[0]
    names = [t.get_text() for t in figures["per_class"].legends[0].get_texts()]
    assert len(names) == 4 and names[-1].endswith("(test-selected)")
    dots = [c.lines[0] for c in ax.containers]
    colours = {tuple(np.round(plt.matplotlib.colors.to_rgb(d.get_color()), 3)) for d in dots}
    assert len(colours) == 4  # one colour per method, never four shades of one blue
    assert [d.get_markerfacecolor() == "white" for d in dots] == [False] * 3 + [True]
    assert len(figures["per_class"].axes) == 1  # one panel: no strips with a gap between


def test_without_labels_sets_the_label_free_rows_beside_the_test_picked_best(figures):
    ax = figures["without"].axes[0]
    labels = [t.get_text() for _, t in sorted(zip(ax.get_yticks(), ax.get_yticklabels()),
                                                key=lambda p: p[0])]  # bottom up
    assert labels[0].startswith("best on test: basic/bce+ssim, epoch 20 (test-selected)")
    assert labels[2].startswith("label-free pick: conv/bce+ssim, epoch 100\nmean ± std")
    assert "0.9570 ± 0.0004" in [t.get_text() for t in ax.texts]  # never "± 0.000"


def test_the_diagram_names_layers_as_a_reader_would(figures):
    texts = [t.get_text() for t in figures["diagram"].axes[0].texts]
    assert {"conv 3×3\nstride 2\n32 ch", "latent 32", "dense 3136",
            "deconv 3×3\nstride 2\n1 ch\nsigmoid",
            "encoder", "decoder"} <= set(texts)
    assert not any("enc_" in t or "dec_" in t or "head" in t for t in texts)


def test_the_vae_code_is_its_latent_size_not_mu_and_log_variance_together():
    layers = report.layer_table("vae", (1, 28, 28))
    fig = plots.architecture_diagram(layers, "vae")
    assert "latent 32\n(μ, log σ² → z)" in [t.get_text() for t in fig.axes[0].texts]
    assert "code of 32 numbers" in headlines.architecture_headline(layers, "vae")
    plt.close(fig)


# --- manifest stability ------------------------------------------------------------------
def _draw(title="same figure"):
    plots.set_style()  # the slide sizes the layout check asks for, whatever ran before
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
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


def test_details_set_on_a_figure_go_to_its_manifest_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path))
    fig = _draw()
    plots.set_details(fig, "every seed and epoch behind the figure")
    entry = plots.save_figure(fig, "g", notebook="nb", profile="p", data="d")
    assert entry["details"] == "every seed and epoch behind the figure"
    plt.close(fig)


# --- titles that state the finding ----------------------------------------------------------
def test_titles_state_the_finding_from_the_numbers_they_title():
    m = pd.DataFrame({"vae/mse": [0.99, 0.98, 0.90, 0.95], "basic/bce": [0.97, 0.985, 0.90, 0.9]},
                     index=["0", "1", "2", "3"])
    m.loc["mean"] = m.mean()
    # class 2 ties (both count): vae/mse wins 0, 2 and 3, basic/bce 1 and 2
    assert headlines.heatmap_headline(m, "MNIST") == \
        "MNIST: the VAE with MSE is best on 3 of 4 classes"
    tie = pd.DataFrame({"vae/mse": [0.99, 0.90], "basic/bce": [0.97, 0.999]}, index=["0", "1"])
    tie.loc["mean"] = tie.mean()
    assert headlines.heatmap_headline(tie, "MNIST") == (
        "MNIST: no configuration is best on more than 1 of 2 classes; the basic autoencoder "
        "with BCE has the best mean")
    m.loc["mean", "basic/bce"] = 0.999  # another configuration has the best mean
    assert headlines.heatmap_headline(m, "MNIST") == (
        "MNIST: the VAE with MSE is best on 3 of 4 classes; the basic autoencoder with BCE "
        "has the best mean")
    curve = pd.DataFrame([{"config": c, "epoch": e, "auc": a}
                          for c, peak in (("a", 20), ("b", 20), ("c", 200))
                          for e, a in ((1, 0.5), (20, 0.9 if peak == 20 else 0.8),
                                       (200, 0.85 if peak == 20 else 0.95))])
    assert headlines.epoch_headline(curve, "MNIST") == (
        "MNIST: 2 of 3 configurations peak by epoch 20 of 200; training longer does not "
        "help them")
    cont = pd.DataFrame({"contamination": [0, 0, 100, 100], "auc": [0.9, 0.8, 0.7, 0.6]})
    assert headlines.contamination_headline(cont, "MNIST") == (
        "MNIST: mean AUC falls from 0.850 with 0 % anomalies in training to 0.650 with 100 %")


def test_comparison_titles_follow_the_rows_they_title():
    t = _measured()
    assert headlines.measured_headline(t, "MNIST") == (
        "MNIST: the ensemble of every configuration (0.972) beats every other method measured "
        "on the same images (best: pretrained-knn, 0.966)")
    t.loc[t["method"] == "knn", "mean"] = 0.99
    assert headlines.measured_headline(t, "MNIST") == (
        "MNIST: knn (0.990) beats every autoencoder chosen without test labels (best: the "
        "ensemble of every configuration, 0.972)")
    assert headlines.ae_words("AE, label-free selection: vae/bce, epoch 200 (seeds 1, 2, 3)") \
        == "the label-free pick"
    long, picks = _per_class()
    a, b = picks[0], picks[2]
    wide = long.pivot_table(index="class", columns="method", values="auc")
    wins = int((wide[a] > wide[b]).sum())
    said = headlines.per_class_headline(long, picks, "MNIST")
    assert (f"on {wins} of 10 classes" in said) if 2 * wins >= 10 else \
        (f"on {10 - wins} of 10 classes" in said)
    assert headlines.without_labels_headline(_without(), "MNIST") == (
        "MNIST: the label-free pick ends 0.022 below the best picked on the test set, the "
        "ensemble 0.007 below")
    quoted = _quoted()
    assert headlines.literature_headline(quoted, "MNIST") == (
        "Quoted from papers, MNIST: GEOM leads the one-vs-rest rows at 0.979, the thesis's "
        "autoencoders reach 0.950")


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


# --- the tables the comparison figures draw --------------------------------------------------
def _store_records() -> pd.DataFrame:
    """Two autoencoder configurations on two classes (seed 0, epoch 2) and a baseline."""
    rows = [dict(dataset="mnist", dataset_id="mnist", model=m, loss=lo, normal_class=c,
                 epoch=2, protocol="one-vs-rest", contamination=0.0, seed=0, auc=a,
                 val_auc=a, key=f"{m}{lo}{c}", n_train_normal=100, n_test=50)
            for (m, lo), aucs in ((("basic", "mse"), (0.9, 0.6)), (("vae", "bce"), (0.8, 0.7)))
            for c, a in enumerate(aucs)]
    rows += [dict(rows[0], model="knn", loss="mse", key=f"knn{c}", normal_class=c, auc=a,
                  epoch=1) for c, a in ((0, 0.95),)]
    return report.final_records(pd.DataFrame(rows))


def test_the_ensemble_is_a_measured_row_with_the_settings_of_its_members():
    final = _store_records()
    ensembles = [{"strategy": "ensemble-rank", "epoch": 2, "auc": 0.5, "members": 2,
                  "classes": 2, "per_class": {0: 0.5, 1: 0.5}, "seed": 0},
                 {"strategy": "ensemble-validation", "epoch": 2, "auc": 0.8, "members": 2,
                  "classes": 2, "per_class": {0: 0.85, 1: 0.75}, "seed": 0}]
    rows = report.measured_rows(final[final["model"] != "knn"], "mnist",
                                baselines=final[final["model"] == "knn"], ensembles=ensembles)
    ens = rows[rows["method"].str.startswith("AE ensemble")]
    assert list(ens["method"].unique()) == [
        "AE ensemble of all 2 configurations, epoch 2 (no choice)"]
    assert ens.set_index("class")["auc"].to_dict() == {0: 0.85, 1: 0.75}
    assert set(ens["settings"]) == {"100 training images per class, 2 epochs, 50 test images, "
                                    "seed 0"}
    assert "no label" in ens["selection"].iloc[0]
    # the baseline ran on class 0 only: its row says so, and the per-class figure still
    # takes the best method measured on every class
    table = report.comparison_table(rows, "mnist", "MNIST", CLASSES)
    assert "class 0 only (1 of 2)" in rows.loc[rows["method"] == "knn", "settings"].iloc[0]
    picks = report.per_class_methods(table)
    assert picks[0].startswith("AE ensemble") and picks[-1].startswith("AE best single")
    assert "knn" not in picks


def test_a_method_measured_on_one_dataset_only_gets_a_row_saying_so_on_the_other():
    mnist = pd.DataFrame({"method": ["AE best single config (vae/mse)", "deep-svdd"],
                          "protocol": ["one-vs-rest"] * 2, "mean": [0.97, 0.93],
                          "classes": [10, 10], "source": ["measured here"] * 2})
    cifar = pd.DataFrame({"method": ["AE best single config (conv/ssim)", "GEOM"],
                          "protocol": ["one-vs-rest"] * 2, "mean": [0.68, 0.86],
                          "classes": [10, 10], "source": ["measured here", "Golan 2018"]})
    out = report.measured_overview({"mnist": mnist, "cifar10": cifar},
                                   {"mnist": "MNIST", "cifar10": "CIFAR-10 (JPEG copy)"})
    assert list(out["mnist"]["method"]) == list(mnist["method"])  # nothing missing there
    row = out["cifar10"][out["cifar10"]["method"] == "deep-svdd"]
    assert row["note"].item() == "not measured on CIFAR-10 (JPEG copy)" and row["mean"].isna().all()
    assert "GEOM" not in set(out["cifar10"]["method"])  # quoted rows stay out
    assert "AE best single config (vae/mse)" not in set(out["cifar10"]["method"])


def test_without_labels_keeps_the_rows_that_exist():
    table = _without()
    assert list(table["test_selected"]) == [False, False, True]
    assert table["method"].iloc[1] == "ensemble of all 15 configurations, epoch 200"
    partial = report.without_labels({}, [], {"model": "vae", "loss": "mse", "epoch": 10,
                                              "auc": 0.9})
    assert list(partial["method"]) == ["best on test: vae/mse, epoch 10"]
    assert report.without_labels({}, None, {}).empty


def test_a_protocol_measured_on_the_other_dataset_only_becomes_a_line_under_the_plot():
    t = _measured()
    t = pd.concat([t[t["protocol"] == "one-vs-rest"], pd.DataFrame(
        [{"method": m, "protocol": "leave-one-out", "mean": np.nan, "classes": 0,
          "note": "not measured on CIFAR-10 (JPEG copy)"} for m in ("knn", "ganomaly")])])
    fig = plots.measured_means(t, "CIFAR-10 (JPEG copy)")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["one-vs-rest"]
    lines = " ".join(" ".join(t.get_text() for t in fig.texts).split())
    assert "leave-one-out: knn, ganomaly: not measured on CIFAR-10 (JPEG copy)" in lines
    assert layout.layout_problems(fig) == []
    plt.close(fig)


def test_a_render_of_every_notebook_drops_the_figures_none_of_them_saved(tmp_path, monkeypatch):
    saved = tmp_path / "saved.txt"
    monkeypatch.setenv("AEUTILS_FIGURES_SAVED", str(saved))
    for name in ("kept", "stale"):
        fig = _draw(name)
        plots.save_figure(fig, name, notebook="nb", profile="smoke", data="x", folder=tmp_path)
        plt.close(fig)
    assert saved.read_text().split() == ["kept", "stale"]
    assert plots.drop_figures({"kept"}, tmp_path) == ["stale"]
    assert list(plots.read_manifest(tmp_path)) == ["kept"]
    assert sorted(p.name for p in tmp_path.glob("*.p*")) == ["kept.pdf", "kept.png"]
    assert plots.drop_figures({"kept"}, tmp_path) == []


def test_the_convergence_title_counts_curves_and_groups_a_method_s_protocols():
    rows = [("ganomaly", p, e, v) for p in ("one-vs-rest", "leave-one-out")
            for e, v in ((5, 0.80), (10, 0.85))]
    rows += [("deep-svdd", "one-vs-rest", e, v) for e, v in ((10, 0.93), (100, 0.92))]
    rows += [("anogan", "one-vs-rest", 15, 0.92)]  # one checkpoint: no curve to judge
    auc = pd.DataFrame(rows, columns=["method", "protocol", "epoch", "value"])
    title = headlines.convergence_headline(auc, "MNIST")
    assert title == ("MNIST: 2 of the 3 baseline curves with several checkpoints still gain "
                     "AUC at the last: ganomaly (one-vs-rest, leave-one-out)")
    flat = auc.assign(value=0.9)
    assert "no neural baseline gains" in headlines.convergence_headline(flat, "MNIST")
