"""The layout check: one deliberately broken figure per rule fails, naming its texts; a good
figure passes; save_figure refuses a broken figure (or, told to warn, records it); a
rendered folder is reported figure by figure."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest

from aeutils import plots
from aeutils.plots import layout, style


@pytest.fixture(autouse=True)
def _style():
    plots.set_style()
    yield
    plt.close("all")


def _good() -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot([0, 1, 2], [0.5, 0.9, 0.7], label="a line")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test AUC")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    style._fig_titled(fig, "A finding stated as a sentence", "the settings line under it")
    return fig


def test_a_good_figure_passes():
    assert layout.layout_problems(_good()) == []
    layout.check_layout(_good(), "good")  # raises nothing


def test_text_outside_the_canvas_is_named():
    fig = _good()
    fig.text(0.97, 0.5, "beyond the right edge")
    problems = layout.layout_problems(fig, "f")
    assert problems == ["f: text 'beyond the right edge' reaches outside the canvas"]


def test_overlapping_texts_are_named_both():
    fig = _good()
    ax = fig.axes[0]
    ax.text(0.5, 0.3, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.3, "second label", transform=ax.transAxes)
    problems = layout.layout_problems(fig)
    assert problems == ["texts 'first label' and 'second label' overlap"]


def test_rotated_texts_count_by_their_shape_not_their_upright_box():
    fig, ax = plt.subplots(figsize=(8, 4.5))
    names = [f"configuration/{i}" for i in range(6)]
    ax.set_xticks(range(6), names, rotation=45, ha="right", rotation_mode="anchor")
    style._fig_titled(fig, "Rotated tick labels side by side")
    assert layout.layout_problems(fig) == []  # their upright boxes overlap, the texts do not
    ax.set_xticks([0, 0.15, 2, 3, 4, 5], names, rotation=45, ha="right",
                  rotation_mode="anchor")
    problems = layout.layout_problems(fig)
    assert problems == ["texts 'configuration/0' and 'configuration/1' overlap"]


def test_a_legend_over_plotted_data_is_named():
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot([0, 1], [0, 1], label="the diagonal")
    ax.legend(loc="center", title="lines")
    style._fig_titled(fig, "A legend in the way")
    problems = layout.layout_problems(fig)
    assert len(problems) == 1 and problems[0].startswith("legend 'lines' covers plotted data")
    assert "'the diagonal'" in problems[0]


def test_a_legend_beside_data_in_the_same_axes_passes():
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot([0, 1], [0, 0.2], label="low line")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    style._fig_titled(fig, "The legend sits where no data is")
    assert layout.layout_problems(fig) == []


@pytest.mark.parametrize("cut", ["a subtitle cut …", "a label cut..."])
def test_a_label_cut_short_is_named(cut):
    fig = _good()
    fig.axes[0].set_title(cut)
    assert layout.layout_problems(fig) == [f"text {cut!r} ends cut short"]


def test_text_too_small_for_a_slide_is_named():
    fig = _good()
    fig.axes[0].text(0.1, 0.1, "tiny", fontsize=8, transform=fig.axes[0].transAxes)
    problems = layout.layout_problems(fig)
    assert problems == [f"text 'tiny' is 8.0 pt on a slide (at least {style.MIN_PT})"]


def test_save_figure_refuses_a_broken_figure_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path))
    monkeypatch.delenv("AEUTILS_LAYOUT", raising=False)
    fig = _good()
    fig.text(0.97, 0.5, "beyond the right edge")
    with pytest.raises(layout.LayoutError, match="'broken'.*'beyond the right edge'"):
        plots.save_figure(fig, "broken", notebook="nb", profile="p", data="d")
    assert not list(tmp_path.iterdir())


def test_told_to_warn_save_figure_writes_and_records_and_the_folder_report_says_so(
        tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path))
    monkeypatch.setenv("AEUTILS_LAYOUT", "warn")
    broken = _good()
    broken.axes[0].set_title("cut …")
    with pytest.warns(UserWarning, match="'cut …' ends cut short"):
        plots.save_figure(broken, "broken", notebook="nb", profile="p", data="d")
    entry = plots.save_figure(_good(), "good", notebook="nb", profile="p", data="d")
    assert entry["layout"] == []
    report = layout.folder_report(tmp_path)
    assert report == {"broken": ["text 'cut …' ends cut short"], "good": []}
    assert layout.main([str(tmp_path)]) == 1
    # a PNG changed after the check, or one the manifest does not list, is reported too
    (tmp_path / "good.png").write_bytes(b"other bytes")
    (tmp_path / "stray.png").write_bytes(b"png")
    report = layout.folder_report(tmp_path)
    assert report["good"] == ["files differ from the bytes that were checked"]
    assert report["stray"] == ["not in the manifest (saved without the layout check)"]


def test_a_folder_of_good_figures_passes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path))
    plots.save_figure(_good(), "good", notebook="nb", profile="p", data="d")
    assert layout.main([str(tmp_path)]) == 0
    assert "1 of 1 figures pass the layout check" in capsys.readouterr().out
    entries = json.loads((tmp_path / "MANIFEST.json").read_text())["figures"]
    assert entries[0]["layout"] == []


def test_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("AEUTILS_LAYOUT", "ignore")
    with pytest.raises(ValueError, match="raise, warn"):
        layout.mode()
