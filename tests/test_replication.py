"""Notebook 05's re-measured rows: each method measured here beside its quoted row of the
same protocol (report.replication, its numbers and headline, the figure)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from aeutils import plots, report
from aeutils.plots import layout
from aeutils.report import headlines, reference

CLASSES = list(reference.CLASS_NAMES["mnist"])


def _measured() -> pd.DataFrame:
    """Long measured rows: EGBAD leave-one-out on six classes, 0.05 above its quoted AUC;
    Deep SVDD one-vs-rest on all ten; EGBAD and k-NN one-vs-rest (no quoted row of theirs
    at that protocol)."""
    quoted = reference.wide(reference.reference_rows("mnist"), "mnist").set_index(
        ["method", "protocol"])
    rows = []
    for c in (2, 4, 5, 7, 8, 9):
        rows.append(("egbad", "leave-one-out", c, quoted.loc[("EGBAD", "leave-one-out"), str(c)]
                     + 0.05))
    for c in range(10):
        rows += [("deep-svdd", "one-vs-rest", c, 0.9), ("egbad", "one-vs-rest", c, 0.8),
                 ("knn", "one-vs-rest", c, 0.95)]
    t = pd.DataFrame(rows, columns=["method", "protocol", "class", "auc"])
    return t.assign(selection="fixed settings", settings="seed 0", std=np.nan, n=1)


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    table = report.comparison_table(_measured(), "mnist", "MNIST", CLASSES)
    return report.replication(table, CLASSES)


def test_a_method_pairs_with_its_quoted_row_of_the_same_protocol_only(pairs):
    got = set(zip(pairs["method"], pairs["protocol"]))
    assert got == {("EGBAD", "leave-one-out"), ("Deep SVDD", "one-vs-rest")}
    egbad = pairs[pairs["method"] == "EGBAD"]
    assert sorted(egbad.loc[egbad["origin"] == reference.MEASURED_HERE, "class"]) == \
        [2, 4, 5, 7, 8, 9]
    assert len(egbad[egbad["origin"] == "quoted"]) == 10
    assert pairs.loc[pairs["origin"] == reference.MEASURED_HERE, "source"].str.startswith(
        reference.MEASURED_HERE).all()


def test_the_numbers_compare_over_the_classes_both_rows_have(pairs):
    found = {r["method"]: r for r in report.replication_numbers(pairs)}
    egbad = found["EGBAD"]
    assert egbad["classes"] == 6
    assert egbad["difference"] == pytest.approx(0.05)
    assert egbad["largest_difference"] == pytest.approx(0.05)
    assert egbad["measured_mean"] - egbad["quoted_mean"] == pytest.approx(0.05)
    svdd = found["Deep SVDD"]
    assert svdd["classes"] == 10 and svdd["measured_mean"] == pytest.approx(0.9)
    title = headlines.replication_headline(list(found.values()), "MNIST")
    assert "EGBAD (6 classes) +0.050" in title  # each panel names its protocol
    assert "Deep SVDD −0.048" in title
    both = [*found.values(), {**found["EGBAD"], "protocol": "one-vs-rest", "classes": 10}]
    title = headlines.replication_headline(both, "MNIST")  # one method, two protocols
    assert "EGBAD (leave-one-out, 6 classes) +0.050" in title
    assert "EGBAD (one-vs-rest) +0.050" in title


def test_no_pair_gives_an_empty_frame_and_a_plain_title():
    table = report.comparison_table(_measured().query("method == 'knn'"), "mnist", "MNIST",
                                     CLASSES)
    pairs = report.replication(table, CLASSES)
    assert pairs.empty and report.replication_numbers(pairs) == []
    assert "no method" in headlines.replication_headline([], "MNIST")


def test_the_figure_has_a_panel_per_pair_and_passes_the_layout_check(pairs):
    plots.set_style()
    fig = plots.replication(pairs, CLASSES, "MNIST", note="thesis profile")
    try:
        axes = fig.get_axes()
        assert [a.get_title(loc="left") for a in axes] == ["EGBAD, leave-one-out",
                                                          "Deep SVDD, one-vs-rest"]
        assert axes[0].get_xlabel() == "anomalous class"
        assert axes[1].get_xlabel() == "normal class"
        lines = [ln for ln in axes[0].get_lines() if ln.get_label() in ("measured here",
                                                                      "quoted")]
        assert [ln.get_markerfacecolor() for ln in lines][1] == "white"  # quoted: hollow
        assert layout.layout_problems(fig, "replication") == []
    finally:
        plt.close(fig)
