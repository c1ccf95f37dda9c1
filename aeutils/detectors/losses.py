"""The thesis's five reconstruction losses, each with a per-sample form.

The per-sample form (one value per image) is what training averages. The anomaly
score (:func:`per_sample_score`) is the same loss minus its value for a perfect
reconstruction, which only changes BCE (see there): higher means worse
reconstruction, i.e. more anomalous.

SSIM uses :func:`aeutils.ssim.ssim` (Gaussian window 11×11, σ = 1.5, k1 = 0.01,
k2 = 0.03, no padding, data range 1: piq's defaults), a separable re-implementation
that is tested against ``piq.ssim`` and is several times faster. As a loss it is
``1 − SSIM``; sums are unweighted (``mse+ssim`` = MSE + (1 − SSIM)).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..registry import LOSS_TERMS, LOSSES, SCORES, choice_error, loss_terms, resolve
from .ssim import ssim

Tensor = torch.Tensor


def _flat_mean(t: Tensor) -> Tensor:
    return t.flatten(1).mean(1)


def mse(recon: Tensor, x: Tensor) -> Tensor:
    """Mean squared error per image."""
    return _flat_mean((recon - x) ** 2)


def bce(recon: Tensor, x: Tensor) -> Tensor:
    """Binary cross-entropy per image (targets are grey levels in [0, 1])."""
    # binary_cross_entropy clamps log() at -100, so a saturated sigmoid cannot give inf.
    return _flat_mean(F.binary_cross_entropy(recon, x, reduction="none"))


def ssim_loss(recon: Tensor, x: Tensor) -> Tensor:
    """1 − SSIM per image."""
    return 1.0 - ssim(recon, x, data_range=1.0)


def bce_floor(x: Tensor) -> Tensor:
    """BCE of a perfect reconstruction: the mean binary entropy of the image's pixels."""
    return bce(x, x)


# What a term costs for a perfect reconstruction (terms not listed: 0). Subtracting it
# turns a loss into a reconstruction error that is 0 when the image is rebuilt exactly.
FLOORS: dict[str, Callable[[Tensor], Tensor]] = {"bce": bce_floor}


def _sum_terms(name: str, recon: Tensor, x: Tensor, floor: bool) -> Tensor:
    out = None
    for t in loss_terms(name):
        v = resolve(LOSS_TERMS[t])(recon, x)
        if floor and t in FLOORS:
            v = v - FLOORS[t](x)
        out = v if out is None else out + v
    return out


def _fold(fn, recon: Tensor, x: Tensor) -> Tensor:
    """Apply a per-image function to N×… or K×N×… tensors (K folded into the batch)."""
    if x.dim() == 5:
        k, n = x.shape[:2]
        return fn(recon.reshape(k * n, *recon.shape[2:]), x.reshape(k * n, *x.shape[2:])).view(k, n)
    return fn(recon, x)


def per_sample_loss(name: str, recon: Tensor, x: Tensor) -> Tensor:
    """Loss ``name`` for each image of N×C×H×W (or K×N×C×H×W) tensors in [0, 1].

    Returns shape N (or K×N). A leading model dimension K is folded into the
    batch so that batched ensembles share one call.
    """
    if name not in LOSSES:
        raise choice_error("loss", name, LOSSES)
    return _fold(functools.partial(_sum_terms, name, floor=False), recon, x)


def per_sample_score(name: str, recon: Tensor, x: Tensor, score: str = "error") -> Tensor:
    """Anomaly score per image (higher = more anomalous) for a model trained with ``name``.

    ``score="error"`` (default) is the loss minus its value for a perfect reconstruction:
    raw BCE includes the binary entropy of the target, so a perfectly rebuilt mid-grey
    image would score worse than a poorly rebuilt black-and-white one; minus that floor
    it is the per-pixel Bernoulli KL divergence, 0 for a perfect reconstruction.
    ``score="loss"`` is the training loss as is (the raw form of earlier versions).
    MSE and SSIM terms are the same under both.
    """
    if score not in SCORES:
        raise choice_error("score", score, SCORES)
    if name not in LOSSES:
        raise choice_error("loss", name, LOSSES)
    return _fold(functools.partial(_sum_terms, name, floor=score == "error"), recon, x)


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q(z|x) ‖ N(0, I)) per sample, summed over latent dimensions."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
