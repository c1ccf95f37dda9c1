"""The label-free ensemble: members on a common scale, averaged, scored from stored files."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from aeutils.config import ConfigError
from aeutils.experiments.ensemble import ensemble_aucs, ensemble_summary, normalise
from aeutils.experiments.store import ResultsStore


def _record(key: str, model: str, cls: int, centre: float, p95: float, epoch: int = 10) -> dict:
    return {"key": key, "dataset": "mnist", "dataset_id": "mnist", "model": model,
            "loss": "mse", "protocol": "one-vs-rest", "seed": 0, "contamination": 0.0,
            "epoch": epoch, "normal_class": cls, "val_normal_score": centre,
            "threshold": p95, "auc": 0.5}


@pytest.fixture
def store(tmp_path):
    """Two members of class 0 on very different scales: one informative, one noise."""
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(200), np.ones(200)].astype(np.int8)
    good = np.r_[rng.normal(0, 1, 200), rng.normal(2, 1, 200)]        # scale ~1
    noise = 1000 + 100 * rng.normal(0, 1, 400)                         # scale ~100
    st = ResultsStore(tmp_path / "r.jsonl", keep_scores="all")
    st.append([_record("a" * 16, "basic", 0, 0.0, 1.645), _record("b" * 16, "vae", 0, 1000, 1164.5)])
    st.save_scores("a" * 16, 10, good, labels)
    st.save_scores("b" * 16, 10, noise, labels)
    return st, good, noise, labels


def test_validation_scale_puts_members_on_one_footing(store):
    st, good, noise, labels = store
    per = ensemble_aucs(st, "mnist", 10, classes=(0,))
    expected = roc_auc_score(labels, (good / 1.645 + (noise - 1000) / 164.5) / 2)
    assert per["auc"].iloc[0] == pytest.approx(expected)
    assert per["members"].iloc[0] == 2
    # Without the common scale the noisy member (scores ~1000) would drown the other.
    raw = roc_auc_score(labels, good + noise)
    assert per["auc"].iloc[0] > raw + 0.05


def test_rank_normalisation_and_bad_choice():
    s = np.array([3.0, 1.0, 2.0])
    assert normalise(s, {}, "rank").tolist() == pytest.approx([1.0, 1 / 3, 2 / 3])
    with pytest.raises(ConfigError, match="validation, rank"):
        normalise(s, {}, "zscore")


def test_members_on_another_test_set_are_refused(store):
    st, good, _, labels = store
    st.save_scores("b" * 16, 10, good, labels[::-1])
    with pytest.raises(ValueError, match="another test set"):
        ensemble_aucs(st, "mnist", 10, classes=(0,))


def test_summary_leaves_out_classes_without_score_files(store):
    st, *_ = store
    st.append([_record("c" * 16, "basic", 1, 0.0, 1.0)])  # class 1: a record, no score file
    rows = ensemble_summary(st, "mnist", [10], classes=(0, 1))
    assert {r["strategy"] for r in rows} == {"ensemble-validation", "ensemble-rank"}
    assert all(r["classes"] == 1 and not r["anomaly_labels"] for r in rows)
    assert ensemble_summary(st, "mnist", [20], classes=(0, 1)) == []  # no member at epoch 20


def test_ensemble_epochs_are_fixed_by_the_schedule_alone():
    from aeutils.experiments.ensemble import ensemble_epochs

    assert ensemble_epochs(200, (1, 2, 5, 10, 20, 50, 100, 200)) == [20, 200]
    assert ensemble_epochs(30, (5, 10, 20, 30)) == [5, 30]
    assert ensemble_epochs(2, (1, 2)) == [1, 2]
    assert ensemble_epochs(10, (10,)) == [10]
