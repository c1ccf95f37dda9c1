"""The scikit-learn-style detector: arrays in, the same scores as run() out, usable by
scikit-learn's model selection."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from aeutils import AutoEncoderDetector, ConfigError, RunConfig, make_detector, run
from aeutils.data import load_dataset
from aeutils.detectors.base import seed_of
from aeutils.experiments.store import ResultsStore


@pytest.mark.parametrize("model,loss", [("basic", "bce"), ("conv", "mse+ssim")])
def test_detector_scores_equal_run(synthetic_folder, tmp_path, model, loss):
    name = f"folder:{synthetic_folder}"
    data = load_dataset(name)
    cfg = RunConfig(dataset=name, model=model, loss=loss, normal_class=3, epochs=2,
                    batch_size=16, seed=5)
    store = ResultsStore(tmp_path / "r.jsonl")
    run(cfg, store, progress=False)
    stored = store.load_scores(cfg.key(), cfg.epochs)["scores"]

    x_train = data.train_x[data.train_y == 3]  # the class's images, in dataset order
    det = AutoEncoderDetector(model=model, loss=loss, epochs=2, batch_size=16, random_state=5)
    scores = det.fit(x_train).decision_function(data.test_x)
    np.testing.assert_allclose(scores, stored, rtol=1e-5, atol=1e-6)
    assert len(det.loss_curve_) == 2


def test_detector_accepts_arrays_and_thresholds_on_training_data():
    rng = np.random.default_rng(0)
    normal = rng.random((300, 28, 28)).astype(np.float32) * 0.2  # N×H×W floats in [0, 1]
    odd = np.clip(normal[:50] + 0.7, 0, 1)
    det = AutoEncoderDetector(model="basic", loss="mse", epochs=3, batch_size=32,
                              contamination=0.1).fit(normal)
    s_normal, s_odd = det.decision_function(normal[:50]), det.decision_function(odd)
    assert s_odd.mean() > s_normal.mean()
    assert det.predict(odd).mean() > 0.9 and det.predict(normal).mean() < 0.3
    np.testing.assert_array_equal(det.score_samples(odd), -s_odd)
    # uint8 N×C×H×W and flat N×D work too
    AutoEncoderDetector(epochs=1).fit((normal[:, None] * 255).astype(np.uint8))
    flat = AutoEncoderDetector(epochs=1, batch_size=32).fit(normal.reshape(300, -1))
    assert flat.decision_function(normal.reshape(300, -1)[:5]).shape == (5,)


@pytest.mark.parametrize("kwargs,X,phrase", [
    ({}, np.zeros((10, 28, 28)) + 2.0, "in [0, 1]"),
    ({}, np.zeros((5,)), "expected images"),
    ({"model": "knn"}, np.zeros((40, 28, 28)), "autoencoder model"),
    ({"model": "conv"}, np.zeros((40, 30, 30)), "divisible by 4"),
    ({"loss": "ssim"}, np.zeros((40, 784)), "at least 11"),
    ({"contamination": 0.7}, np.zeros((40, 28, 28)), "contamination"),
])
def test_detector_refuses_bad_input_in_one_line(kwargs, X, phrase):
    with pytest.raises(ConfigError, match=None) as info:
        AutoEncoderDetector(epochs=1, **kwargs).fit(X)
    assert phrase in str(info.value) and "\n" not in str(info.value)


def test_unfitted_detector_says_so():
    with pytest.raises(NotFittedError, match="not fitted"):
        AutoEncoderDetector().decision_function(torch.zeros(2, 28, 28))


def test_parameters_are_checked_at_fit_not_at_construction():
    det = AutoEncoderDetector(model="knn", epochs=0, contamination=2.0)  # stores, checks nothing
    assert det.get_params()["epochs"] == 0
    with pytest.raises(ConfigError, match="contamination"):
        det.fit(np.zeros((40, 28, 28)))
    with pytest.raises(ConfigError, match="unknown parameter.*'epochs'"):
        make_detector("knn", epochs=3)  # a one-shot method has no epochs


def test_random_state_is_read_as_scikit_learn_reads_it():
    """An int is the seed; a RandomState gives its next draw (and advances); None, the next
    draw of NumPy's global RandomState."""
    assert seed_of(5) == seed_of(np.int64(5)) == 5
    want = np.random.RandomState(0).randint(0, 2**31 - 1)
    assert seed_of(np.random.RandomState(0)) == want
    state = np.random.RandomState(0)
    assert [seed_of(state), seed_of(state)] == list(np.random.RandomState(0).randint(0, 2**31 - 1,
                                                                                    size=2))
    np.random.seed(3)
    drawn = seed_of(None)
    np.random.seed(3)
    assert seed_of(None) == drawn
    for bad in (-1, 2**32, "seven", 1.5, True):
        with pytest.raises(ConfigError, match="random_state"):
            seed_of(bad)


def test_grid_search_selects_a_detector_parameter_by_auc():
    """GridSearchCV clones the detector, sets the searched parameter, fits each fold and
    scores it with an AUC on the labels (the fit itself ignores them)."""
    rng = np.random.default_rng(1)
    normal = (0.45 + 0.1 * rng.random((96, 12, 12))).astype(np.float32)  # flat mid-grey
    odd = (rng.random((24, 12, 12)) > 0.5).astype(np.float32)  # black-and-white noise
    X, y = np.concatenate([normal, odd]), np.r_[np.zeros(96), np.ones(24)]

    def auc(estimator, X, y):
        return roc_auc_score(y, estimator.decision_function(X))

    search = GridSearchCV(AutoEncoderDetector(epochs=2, batch_size=16, latent_dim=4),
                          {"loss": ["mse", "bce"]}, scoring=auc,
                          cv=StratifiedKFold(2, shuffle=True, random_state=0))
    search.fit(X, y)
    assert list(search.cv_results_["param_loss"]) == ["mse", "bce"]
    assert (search.cv_results_["mean_test_score"] > 0.8).all(), search.cv_results_
    best = search.best_estimator_
    assert isinstance(best, AutoEncoderDetector) and best.loss == search.best_params_["loss"]
    assert best.decision_function(odd).mean() > best.decision_function(normal).mean()
