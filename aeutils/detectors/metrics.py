"""Detection metrics from anomaly scores (higher = more anomalous; label 1 = anomaly).

Threshold-free: ROC AUC and average precision (scikit-learn).

Thresholded: the thesis reports accuracy without saying how its threshold was
set. Here the default threshold is chosen **without test labels**: the 95th
percentile of the scores of the held-out *normal* validation images (so about
5 % of normal images are flagged). ``oracle_accuracy`` is the best accuracy any
threshold reaches on the test set: an upper bound that reads test labels, shown
only to compare with the thesis, never to select anything.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
    roc_curve,
)

DEFAULT_QUANTILE = 0.95


def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def validation_threshold(val_scores, val_labels, quantile: float = DEFAULT_QUANTILE) -> float:
    """The ``quantile`` of the validation-normal scores."""
    s, y = _np(val_scores), _np(val_labels)
    normal = s[y == 0]
    if normal.size == 0:
        raise ValueError("the validation set has no normal images to set a threshold on")
    return float(np.quantile(normal, quantile))


def oracle_accuracy(scores, labels) -> tuple[float, float]:
    """Best accuracy over all thresholds on (scores, labels), and that threshold.

    Predicting "anomaly" for scores > t; sweeps every distinct score in O(n log n).
    """
    s, y = _np(scores).astype(np.float64), _np(labels).astype(int)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    # Flagging the top i images: correct = anomalies among them + normals after them.
    tp = np.concatenate([[0], np.cumsum(y)])
    fp = np.concatenate([[0], np.cumsum(1 - y)])
    correct = tp + ((1 - y).sum() - fp)
    # Only cut between distinct scores (ties must fall on the same side).
    valid = np.concatenate([[True], s[1:] != s[:-1], [True]])
    i = int(np.argmax(np.where(valid, correct, -1)))
    thr = float(s[i]) if i < len(s) else float(s[-1]) - 1.0
    if i == 0:
        thr = float(s[0])  # flag nothing
    return float(correct[i] / len(y)), thr


def evaluate(test_scores, test_labels, val_scores=None, val_labels=None,
             quantile: float = DEFAULT_QUANTILE, synth_scores=None,
             synth_kinds=None) -> dict[str, float]:
    """All metrics for one model.

    - test: ``auc``, ``ap``, ``oracle_accuracy`` (reads test labels: an upper bound);
    - labelled validation (``val_*``, other classes as anomalies): ``val_auc``, and the
      threshold (``quantile`` of validation-normal scores) behind ``accuracy``,
      ``balanced_accuracy`` (mean of the normal and anomaly recalls: unlike accuracy it
      does not reward calling everything anomalous when 90 % of the test set is) and ``f1``;
    - label-free (``synth_*``: validation normals vs. corrupted copies of them, see
      :mod:`aeutils.synthetic`): ``synth_auc`` pooled and ``synth_auc_<kind>`` per kind,
      and ``val_normal_score``, the mean score of validation normals.
    """
    s, y = _np(test_scores), _np(test_labels).astype(int)
    if not np.all(np.isfinite(s)):
        raise ValueError("anomaly scores contain NaN or inf")
    out = {"auc": float(roc_auc_score(y, s)), "ap": float(average_precision_score(y, s)),
           "test_anomaly_fraction": float(y.mean())}
    if val_scores is not None:
        vy = _np(val_labels).astype(int)
        vs = _np(val_scores)
        out["val_auc"] = float(roc_auc_score(vy, vs)) if 0 < vy.sum() < len(vy) else float("nan")
        thr = validation_threshold(vs, vy, quantile)
        pred = (s > thr).astype(int)
        out.update(threshold=thr, accuracy=float(accuracy_score(y, pred)),
                   balanced_accuracy=float(balanced_accuracy_score(y, pred)),
                   f1=float(f1_score(y, pred, zero_division=0)),
                   val_normal_score=float(vs[vy == 0].mean()))
        if synth_scores is not None:
            out.update(synthetic_aucs(vs[vy == 0], synth_scores, synth_kinds))
    out["oracle_accuracy"], out["oracle_threshold"] = oracle_accuracy(s, y)
    return out


def synthetic_aucs(normal_scores, synth_scores, kinds=None) -> dict[str, float]:
    """AUC of normal vs. synthetic-anomaly scores, pooled and per kind (label-free)."""
    n, a = _np(normal_scores), _np(synth_scores)
    if len(n) == 0 or len(a) == 0:
        return {}

    def auc(anom):
        return float(roc_auc_score(np.r_[np.zeros(len(n)), np.ones(len(anom))], np.r_[n, anom]))

    out = {"synth_auc": auc(a)}
    if kinds is not None:
        kinds = np.asarray(kinds)
        for k in dict.fromkeys(kinds.tolist()):
            out[f"synth_auc_{k}"] = auc(a[kinds == k])
    return out


def roc_points(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rate, true-positive rate) for plotting a ROC curve."""
    fpr, tpr, _ = roc_curve(_np(labels).astype(int), _np(scores))
    return fpr, tpr
