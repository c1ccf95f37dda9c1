"""The thesis's five reconstruction losses, each with a per-sample form.

The per-sample form (one value per image) is both what training averages and
the anomaly score: higher means worse reconstruction, i.e. more anomalous.

SSIM uses :func:`aeutils.ssim.ssim` (Gaussian window 11×11, σ = 1.5, k1 = 0.01,
k2 = 0.03, no padding, data range 1: piq's defaults), a separable re-implementation
that is tested against ``piq.ssim`` and is several times faster. As a loss it is
``1 − SSIM``; sums are unweighted (``mse+ssim`` = MSE + (1 − SSIM)).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

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


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": mse,
    "bce": bce,
    "ssim": ssim_loss,
    "mse+ssim": lambda r, x: mse(r, x) + ssim_loss(r, x),
    "bce+ssim": lambda r, x: bce(r, x) + ssim_loss(r, x),
}


def per_sample_loss(name: str, recon: Tensor, x: Tensor) -> Tensor:
    """Loss ``name`` for each image of N×C×H×W (or K×N×C×H×W) tensors in [0, 1].

    Returns shape N (or K×N). A leading model dimension K is folded into the
    batch so that batched ensembles share one call.
    """
    try:
        fn = LOSSES[name]
    except KeyError:
        from .config import choice_error

        raise choice_error("loss", name, LOSSES) from None
    if x.dim() == 5:
        k, n = x.shape[:2]
        return fn(recon.reshape(k * n, *recon.shape[2:]), x.reshape(k * n, *x.shape[2:])).view(k, n)
    return fn(recon, x)


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q(z|x) ‖ N(0, I)) per sample, summed over latent dimensions."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
