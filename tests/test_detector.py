"""The scikit-learn-style detector: arrays in, the same scores as run() out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeutils import AutoEncoderDetector, ConfigError, RunConfig, run
from aeutils.data import load_dataset
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
    with pytest.raises(RuntimeError, match="not fitted"):
        AutoEncoderDetector().decision_function(torch.zeros(2, 28, 28))
