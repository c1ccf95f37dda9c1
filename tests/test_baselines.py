"""Baselines: each one separates a clearly different pattern from synthetic normals.

They are driven through the one detector shape (fit / decision_function), built from a
RunConfig as the grid builds them (``config_detector``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from aeutils.config import ConfigError, RunConfig
from aeutils.data import to_float
from aeutils.detectors import as_images, config_detector, detector_class
from aeutils.registry import BASELINES

CLASSICAL = ["knn", "kmeans", "ocsvm", "iforest", "pca"]
NEURAL = ["ganomaly", "deep-svdd"]
PRETRAINED = ["pretrained-knn", "untrained-knn"]  # tests/test_pretrained.py
GAN = ["anogan", "egbad"]  # pure GANs: tested below with their own settings
# Small, fast settings for the neural baselines (the defaults are the papers').
FAST = {"ganomaly": {"ndf": 16}, "deep-svdd": {"pretrain_epochs": 3, "lr_pretrain": 1e-3,
                                              "lr_svdd": 1e-3},
        "anogan": {"ndf": 8, "iterations": 5}, "egbad": {"ndf": 8}}


def _images(n: int, channels: int, size: int, anomaly: bool, seed: int) -> torch.Tensor:
    """Normals: a horizontal bright bar near the centre; anomalies: a bright blob in a corner.
    Both jitter in position and carry pixel noise. Float N×C×H×W in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    c = size / 2
    jitter = torch.randn(n, 2, generator=g) * size / 28
    if anomaly:
        cy = (size * 0.25 + jitter[:, 0]).view(-1, 1, 1)
        cx = (size * 0.75 + jitter[:, 1]).view(-1, 1, 1)
        img = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (size / 9) ** 2))
    else:
        cy = (c + jitter[:, 0]).view(-1, 1, 1)
        img = torch.exp(-((yy - cy) ** 2) / (2 * (size / 14) ** 2)) * (
            (xx > size * 0.15) & (xx < size * 0.85)).float()
    img = img.unsqueeze(1).repeat(1, channels, 1, 1)
    if channels == 3:
        img = img * torch.tensor([1.0, 0.7, 0.4]).view(1, 3, 1, 1)
    img = img + 0.05 * torch.randn(img.shape, generator=g)
    return img.clamp(0, 1)


def _one_class_set(channels: int, size: int, n_train: int = 160, n_test: int = 40):
    train = _images(n_train, channels, size, False, seed=1)
    test = torch.cat([_images(n_test, channels, size, False, seed=2),
                      _images(n_test, channels, size, True, seed=3)])
    labels = np.r_[np.zeros(n_test), np.ones(n_test)]
    return train, test, labels


@pytest.fixture(scope="module")
def grey():
    return _one_class_set(1, 28)


@pytest.fixture(scope="module")
def rgb():
    return _one_class_set(3, 32)


def _config(name: str, epochs: int = 1, **extra) -> RunConfig:
    return RunConfig(dataset="mnist", model=name, epochs=epochs, batch_size=32, latent_dim=16,
                     extra={**FAST.get(name, {}), **extra})


def _detector(name: str, config: RunConfig, device: torch.device):
    assert config.model == name
    return config_detector(config, device)


def _check(det, test, labels) -> np.ndarray:
    scores = det.decision_function(test)
    assert isinstance(scores, np.ndarray) and scores.shape == (len(test),)
    assert np.isfinite(scores).all()
    auc = roc_auc_score(labels, scores)
    assert auc >= 0.8, f"AUC {auc:.3f}"
    return scores


def test_registry_and_config_accept_every_baseline():
    assert set(BASELINES) == {*CLASSICAL, *NEURAL, *PRETRAINED, *GAN}
    for name in BASELINES:
        cls = detector_class(name)
        assert cls.name == name
        assert cls.__doc__ and len(cls.__doc__) > 80, name
        RunConfig(dataset="mnist", model=name)


@pytest.mark.parametrize("name", CLASSICAL)
def test_classical_detects_anomalies(name, grey):
    train, test, labels = grey
    calls = []
    det = _detector(name, _config(name), torch.device("cpu"))
    det.fit(train, on_epoch=calls.append)
    assert calls == []  # one-shot
    scores = _check(det, test, labels)
    again = _detector(name, _config(name), torch.device("cpu"))
    again.fit(train)
    np.testing.assert_array_equal(again.decision_function(test), scores)  # deterministic by seed


@pytest.mark.parametrize("name", ["knn", "ocsvm", "kmeans"])
def test_classical_with_pca_and_subsampling(name, rgb):
    train, test, labels = rgb
    det = _detector(name, _config(name, pca=10, max_fit=100), torch.device("cpu"))
    det.fit(train)
    assert det.projection_.n_components_ == 10
    _check(det, test, labels)


def test_pca_baseline_refuses_pre_projection():
    with pytest.raises(ConfigError, match="pca"):
        _detector("pca", _config("pca", pca=10), torch.device("cpu"))


@pytest.mark.parametrize("name", NEURAL)
@pytest.mark.parametrize("data", ["grey", "rgb"])
def test_neural_baselines_train_and_detect(name, data, request):
    train, test, labels = request.getfixturevalue(data)
    epochs = 3
    det = _detector(name, _config(name, epochs=epochs), torch.device("cpu"))
    seen, modes = [], []

    def on_epoch(epoch):
        seen.append(epoch)
        s = det.decision_function(test[:8])  # scoring mid-training must work and keep train mode
        assert s.shape == (8,) and np.isfinite(s).all()
        modes.append((det.netg_ if name == "ganomaly" else det.net_).training)

    det.fit(train, on_epoch=on_epoch)
    assert seen == list(range(1, epochs + 1))
    assert all(modes)
    assert len(det.loss_curve_) == epochs
    assert det.loss_curve_[-1] < det.loss_curve_[0], det.loss_curve_
    if name == "deep-svdd":
        assert det.pretrain_curve_[-1] < det.pretrain_curve_[0], det.pretrain_curve_
        assert (det.center_.abs() >= 0.1 - 1e-6).all()
    _check(det, test, labels)


def test_neural_baselines_are_deterministic(grey):
    train, test, _ = grey
    for name in NEURAL:
        runs = []
        for _ in range(2):
            det = _detector(name, _config(name, epochs=1, **({"pretrain_epochs": 1}
                                                          if name == "deep-svdd" else {})),
                                  torch.device("cpu"))
            det.fit(train[:64])
            runs.append(det.decision_function(test[:16]))
        np.testing.assert_allclose(runs[0], runs[1], rtol=1e-5, atol=1e-7)


def test_deep_svdd_encoder_has_no_bias_and_no_affine(grey):
    det = _detector("deep-svdd", _config("deep-svdd", pretrain_epochs=1), torch.device("cpu"))
    det.fit(grey[0][:32])
    names = [n for n, _ in det.net_.named_parameters()]
    assert names and not any("bias" in n for n in names)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and m.affine for m in det.net_.modules())


@pytest.mark.parametrize("name", NEURAL + GAN)
def test_scoring_mid_training_does_not_change_training(name, grey):
    train, test, _ = grey
    cfg = _config(name, epochs=2, **({"pretrain_epochs": 1} if name == "deep-svdd" else {}))
    plain = _detector(name, cfg, torch.device("cpu"))
    plain.fit(train[:64])
    probed = _detector(name, cfg, torch.device("cpu"))
    probed.fit(train[:64], on_epoch=lambda e: probed.decision_function(test[:16]))
    assert probed.loss_curve_ == plain.loss_curve_
    np.testing.assert_allclose(probed.decision_function(test), plain.decision_function(test), rtol=1e-5, atol=1e-7)


def test_ganomaly_eval_scores_match_training_statistics(grey):
    """Eval-mode BatchNorm uses statistics recomputed on the training set, so the
    latent distance of training images in eval mode is close to the training loss."""
    train, _, _ = grey
    det = _detector("ganomaly", _config("ganomaly", epochs=2), torch.device("cpu"))
    det.fit(train)
    with torch.no_grad():
        det.netg_.train()
        _, z, z_hat = det.netg_(det._prepare(train))
    batch_stats = (z - z_hat).pow(2).mean().item()
    assert det.decision_function(train).mean() == pytest.approx(batch_stats, rel=0.5)
    assert det.netg_.training  # score restored the mode


def test_deep_svdd_lr_drop_is_at_an_absolute_epoch(grey, monkeypatch):
    """lr × 0.1 after the drop epoch of each stage; a run stopped at epoch e is the model
    of the first e epochs of a longer run (the results key leaves the epoch count out)."""
    train = grey[0][:64]
    cfg = _config("deep-svdd", epochs=3, pretrain_epochs=2, lr_drop_pretrain=1, lr_drop_svdd=2)
    seen = []
    original = torch.optim.Adam.step

    def spy(opt, *a, **k):
        seen.append(opt.param_groups[0]["lr"])
        return original(opt, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    det = _detector("deep-svdd", cfg, torch.device("cpu"))
    det.fit(train)
    monkeypatch.undo()
    per_epoch = len(seen) // 5
    lrs = [seen[i * per_epoch] for i in range(5)]  # pre-training 1, 2; one-class 1, 2, 3
    assert lrs == pytest.approx([1e-3, 1e-4, 1e-3, 1e-3, 1e-4])
    short = _detector("deep-svdd", cfg.replace(epochs=2), torch.device("cpu"))
    short.fit(train)
    assert short.loss_curve_ == det.loss_curve_[:2]
    with pytest.raises(ValueError, match="at least 1"):
        _detector("deep-svdd", _config("deep-svdd", lr_drop_svdd=0), torch.device("cpu"))


# --- AnoGAN and EGBAD ---------------------------------------------------------------------
# A pure GAN needs a few hundred steps before its generator draws the dark background
# that makes a bright blob stand out: batches of 8 at lr 1e-3 (the defaults, batch 128 at
# lr 2e-4 for 15 epochs, are sized for thousands of images). AnoGAN searches 50 steps.
GAN_FAST = {"anogan": {"ndf": 8, "lr_gan": 1e-3, "iterations": 50, "lr_search": 0.05},
            "egbad": {"ndf": 8, "lr_gan": 1e-3}}


def _gan(name: str, train, epochs: int, seed: int = 0, **extra):
    cfg = RunConfig(dataset="mnist", model=name, epochs=epochs, batch_size=8, latent_dim=16,
                    seed=seed, extra={**GAN_FAST[name], **extra})
    return _detector(name, cfg, torch.device("cpu")).fit(train)


@pytest.fixture(scope="module")
def anogan_grey(grey):
    return _gan("anogan", grey[0], epochs=10)


def test_anogan_detects_anomalies(anogan_grey, grey):
    """(EGBAD's detection: the colour test below and the contract, both on other data.)"""
    assert len(anogan_grey.loss_curve_) == len(anogan_grey.loss_parts_) == 10
    _check(anogan_grey, grey[1], grey[2])


@pytest.mark.parametrize("name", GAN)
def test_gan_baselines_train_and_detect_in_colour(name, rgb):
    """on_epoch after every epoch; scoring there keeps train mode and weight gradients."""
    train, test, labels = rgb
    seen, states = [], []

    def on_epoch(epoch):
        seen.append(epoch)
        assert np.isfinite(det.decision_function(test[:8])).all()
        states.append(all(n.training and all(p.requires_grad for p in n.parameters())
                          for n in det.nets_.values()))

    cfg = RunConfig(dataset="mnist", model=name, epochs=10, batch_size=8, latent_dim=16,
                    extra=GAN_FAST[name])
    det = _detector(name, cfg, torch.device("cpu"))
    det.fit(train, on_epoch=on_epoch)
    assert seen == list(range(1, 11)) and all(states)
    _check(det, test, labels)


def test_anogan_batched_search_is_each_images_own(anogan_grey, grey):
    """One z per image, losses summed: each image's search is the one it has alone, in
    any order or chunk size (its initial z comes from the seed and its own bytes)."""
    det, test = anogan_grey, grey[1]
    x = test[[0, 1, 2, 3, -1, -2, -3, -4]]
    together = det.decision_function(x)
    alone = np.array([det.decision_function(x[i: i + 1])[0] for i in range(len(x))])
    np.testing.assert_allclose(together, alone, rtol=1e-4)
    np.testing.assert_allclose(det.decision_function(x.flip(0)), together[::-1], rtol=1e-4)
    chunk = det.search_chunk
    det.search_chunk = 3
    try:
        np.testing.assert_allclose(det.decision_function(x), together, rtol=1e-4)
    finally:
        det.search_chunk = chunk
    assert len(np.unique(together)) == len(x)  # not one shared z: scores differ by image


def test_anogan_one_search_gives_every_iteration_count(anogan_grey, grey):
    """The loss falls along the search, and the loss after k steps of one search is the
    score of a detector searching k steps (the study reads 5 counts off one search)."""
    det, test, labels = anogan_grey, grey[1], grey[2]
    losses = det.search_losses(test, [0, 10, 25, 50])
    means = [losses[k].mean() for k in (0, 10, 25, 50)]
    assert all(a > b for a, b in zip(means, means[1:])), means
    assert (losses[50] <= losses[0]).mean() > 0.9
    np.testing.assert_array_equal(losses[50], det.decision_function(test))
    assert roc_auc_score(labels, losses[50]) >= roc_auc_score(labels, losses[0]) - 0.02
    shorter = _gan("anogan", grey[0], epochs=10, iterations=10)  # same training, 10 steps
    np.testing.assert_allclose(shorter.decision_function(test), losses[10], rtol=1e-5)
    with pytest.raises(ConfigError, match="at least 1"):
        _gan("anogan", grey[0][:16], epochs=1, iterations=0)


def test_anogan_scoring_changes_no_weight(anogan_grey, grey):
    det, test = anogan_grey, grey[1][:8]
    det.decision_function(test)  # BatchNorm statistics are fresh from here on
    params = {f"{k}.{n}": (p.detach().clone(), None if p.grad is None else p.grad.clone())
              for k, net in det.nets_.items() for n, p in net.named_parameters()}
    buffers = {f"{k}.{n}": b.clone() for k, net in det.nets_.items() for n, b in net.named_buffers()}
    det.decision_function(test)
    for k, net in det.nets_.items():
        assert net.training  # the mode fit left, restored
        for n, p in net.named_parameters():
            value, grad = params[f"{k}.{n}"]
            assert p.requires_grad and torch.equal(p, value)
            assert (p.grad is None and grad is None) or torch.equal(p.grad, grad)
        for n, b in net.named_buffers():
            assert torch.equal(b, buffers[f"{k}.{n}"])


def test_anogan_search_layout_changes_only_rounding(anogan_grey, grey, monkeypatch):
    """The CPU search runs channels-last for speed: the same scores as the default layout
    up to float rounding, and the weights are back in the default layout afterwards."""
    det, test = anogan_grey, grey[1][:12]
    fast = det.decision_function(test)
    for net in det.nets_.values():
        assert all(p.is_contiguous() for p in net.parameters())
    monkeypatch.setattr(type(det), "cpu_search_layout", torch.contiguous_format)
    np.testing.assert_allclose(det.decision_function(test), fast, rtol=1e-4)


def test_anogan_bf16_search_scores_its_end_point_in_float32(anogan_grey, grey, monkeypatch):
    """A bfloat16 search follows a slightly different path but ranks images as the float32
    one does, and its score is the float32 loss at the z it reached."""
    det, test, labels = anogan_grey, grey[1], grey[2]
    full = det.decision_function(test)
    monkeypatch.setattr(det, "search_precision", "bf16")
    low = det.decision_function(test)
    assert not np.array_equal(low, full)  # the path changed
    assert spearmanr(low, full)[0] > 0.95
    assert abs(roc_auc_score(labels, low) - roc_auc_score(labels, full)) < 0.05
    np.testing.assert_array_equal(det.decision_function(test), low)  # deterministic
    start = det.search_losses(test, [0])[0]  # the same z₁, scored in float32 both ways
    monkeypatch.setattr(det, "search_precision", None)
    np.testing.assert_array_equal(det.search_losses(test, [0])[0], start)
    with pytest.raises(ConfigError, match="valid choices: fp32, bf16"):
        _gan("anogan", grey[0][:16], epochs=1, search_precision="fp16")


@pytest.mark.parametrize("data", ["grey", "rgb"])
def test_egbad_networks_map_images_and_codes(data, request):
    train, test, _ = request.getfixturevalue(data)
    det = _gan("egbad", train[:32], epochs=1)
    c = train.shape[1]
    with det._frozen(), torch.no_grad():
        xp = det._prepare(test[:5])
        z = det.nets_["e"](xp)
        rec = det.nets_["g"](z)
        logit, f = det.nets_["d"](xp, z)
    assert xp.shape == (5, c, 32, 32)  # 28×28 zero-padded to 32×32
    assert z.shape == (5, 16, 1, 1) and rec.shape == (5, c, 32, 32)
    assert rec.abs().max() <= 1 and logit.shape == (5,) and f.shape == (5, 1024)


def test_egbad_score_weights_its_two_terms_and_is_deterministic(grey):
    """alpha and dis_score act at scoring only: the same seed trains the same networks, and
    A(x) = α·L_G + (1 − α)·L_D for each; another seed trains other networks."""
    train, test = grey[0][:64], grey[1]
    fm = _gan("egbad", train, epochs=2)
    half = _gan("egbad", train, epochs=2, alpha=0.5)
    ce = _gan("egbad", train, epochs=2, dis_score="cross-e")
    lg, ld = fm.score_parts(test)
    np.testing.assert_array_equal(np.stack(half.score_parts(test)), np.stack([lg, ld]))
    np.testing.assert_allclose(fm.decision_function(test), 0.9 * lg + 0.1 * ld, rtol=1e-12)
    np.testing.assert_allclose(half.decision_function(test), 0.5 * lg + 0.5 * ld, rtol=1e-12)
    with fm._frozen(), torch.no_grad():  # the two terms, from the networks (8-bit images)
        xp = fm._prepare(to_float(as_images(test)))
        z = fm.nets_["e"](xp)
        rec = fm.nets_["g"](z)
        logit, f_rec = fm.nets_["d"](rec, z)
        f_x = fm.nets_["d"](xp, z)[1]
    np.testing.assert_allclose(lg, (xp - rec).abs().flatten(1).sum(1).numpy(), rtol=1e-5)
    np.testing.assert_allclose(ld, (f_x - f_rec).abs().sum(1).numpy(), rtol=1e-5)
    ce_lg, ce_ld = ce.score_parts(test)
    np.testing.assert_array_equal(ce_lg, lg)
    np.testing.assert_allclose(ce_ld, torch.nn.functional.softplus(-logit).numpy(), rtol=1e-5)
    other = _gan("egbad", train, epochs=2, seed=1)
    assert not np.allclose(other.score_parts(test)[0], lg)
    with pytest.raises(ConfigError, match="dis_score"):
        _gan("egbad", train, epochs=1, dis_score="l2")
