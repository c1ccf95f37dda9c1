import numpy as np
import pytest

from aeutils.detectors.metrics import evaluate, oracle_accuracy, validation_threshold


def test_auc_by_hand():
    # pairs (anomaly, normal): 0.9>0.1, 0.9>0.5, 0.4>0.1, 0.4<0.5 → 3/4
    m = evaluate([0.1, 0.5, 0.9, 0.4], [0, 0, 1, 1])
    assert m["auc"] == pytest.approx(0.75)


def test_perfect_separation():
    m = evaluate([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], val_scores=[0.1, 0.3, 0.9], val_labels=[0, 0, 1])
    assert m["auc"] == 1 and m["ap"] == 1 and m["oracle_accuracy"] == 1
    assert m["val_auc"] == 1


def test_threshold_is_95th_percentile_of_validation_normals():
    normals = np.arange(101, dtype=float)  # 0..100
    thr = validation_threshold(np.r_[normals, 500.0], np.r_[np.zeros(101), 1])
    assert thr == pytest.approx(95.0)
    m = evaluate([10, 96, 200, 50], [0, 1, 1, 0], normals, np.zeros(101))
    assert m["threshold"] == pytest.approx(95.0)
    assert m["accuracy"] == 1.0 and m["f1"] == 1.0


def test_oracle_accuracy_handles_ties():
    # ties at 0.5 must fall on one side: best is flagging {0.9} or {0.9, 0.5, 0.5}
    acc, thr = oracle_accuracy([0.5, 0.5, 0.9, 0.1], [0, 1, 1, 0])
    assert acc == pytest.approx(0.75)
    acc_all, _ = oracle_accuracy([1, 2, 3], [1, 1, 1])
    assert acc_all == 1.0


def test_nan_scores_rejected():
    with pytest.raises(ValueError, match="NaN"):
        evaluate([0.1, float("nan")], [0, 1])
