"""Structural similarity (SSIM), numerically equal to ``piq.ssim`` but several times faster.

SSIM is used as a training loss, so it runs forward *and* backward on every batch;
``piq.ssim`` filters each of its five moment maps with a dense 11×11 depthwise
convolution, which on CPU costs more than the whole small autoencoder. The Gaussian
window is separable, so here:

* the moment maps are stacked into one tensor and filtered in one go;
* ``x²`` and ``y²`` are only ever used as ``σx² + σy²``, so they are filtered as one
  map ``x² + y²`` (filtering is linear): four maps instead of five;
* the "valid" (unpadded) 1-D Gaussian pass along an axis of length ``n`` is a banded
  ``(n − k + 1) × n`` matrix, so the 2-D filter is ``G_h @ M @ G_wᵀ``: two matrix
  products that run on BLAS (cuBLAS on GPU) instead of a depthwise convolution;
* the backward pass is written by hand (closed-form gradient of the SSIM map, then the
  transposed filter ``G_hᵀ @ D @ G_w``), which saves autograd's ~25 small element-wise
  steps.

Measured on the development machine (2-core AMD EPYC VM, torch 2.14.1 CPU, MKL, batch
128, forward + backward, median ms; ``benchmarks/bench_ssim.py --variants``; the VM is
noisy, repeat runs moved these by up to ±30 %):

=====================================  ===========  ===========
variant                                 1×28×28      3×32×32
=====================================  ===========  ===========
``piq.ssim`` (dense 11×11 conv)         42.9         26.3
(a) two depthwise 1-D conv2d passes     4.8          18.1
(b) banded matmul, autograd backward    1.42         6.34
(b) banded matmul, own backward (kept)  1.31         5.76
=====================================  ===========  ===========

Padding the band matrices to multiples of 8 rows (MKL prefers such widths) and splitting
them into narrower diagonal blocks were also tried: no gain, or slower. A dense band
costs ``n`` (not ``k``) multiply-adds per output, which is cheap for the small images
this project trains on and for the downsampled short side (< 384 px); a very long side
(thousands of px) would be better served by the convolution variant.

Semantics follow ``piq.ssim(..., downsample=True)`` exactly: inputs are divided by
``data_range``; images whose short side is ≥ 384 px are first average-pooled by
``f = max(1, round(min(H, W) / 256))``; the Gaussian window (size 11, σ = 1.5, sum 1)
is applied without padding; ``c1 = k1²``, ``c2 = k2²``; the SSIM map is averaged over
space, then over channels. Unlike piq, values outside ``[0, data_range]`` are allowed
(training feeds sigmoid outputs, and a range assert would cost a device sync).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

__all__ = ["ssim"]

_REDUCTIONS = ("none", "mean")


@functools.lru_cache(maxsize=64)
def _band(n: int, kernel_size: int, sigma: float, device: torch.device, dtype: torch.dtype):
    """``(n − k + 1) × n`` matrix whose row ``i`` holds the normalised 1-D Gaussian at ``i``.

    Cached because it is rebuilt otherwise on every training step. Built in float64 (the
    outer product of the normalised 1-D window is piq's normalised 2-D window) and
    outside inference mode, so a first call under ``torch.inference_mode()`` cannot
    poison the cache for later calls that need autograd.
    """
    with torch.inference_mode(False):
        coords = torch.arange(kernel_size, dtype=torch.float64) - (kernel_size - 1) / 2
        g = torch.exp(-(coords**2) / (2 * sigma**2))
        g = g / g.sum()
        rows = n - kernel_size + 1
        band = torch.zeros(rows, n, dtype=torch.float64)
        # Row i holds g at columns i .. i + k - 1: a (rows, k) view with row stride n + 1.
        band.as_strided((rows, kernel_size), (n + 1, 1)).copy_(g.expand(rows, -1))
        return band.to(device=device, dtype=dtype)


def _check(x: torch.Tensor, y: torch.Tensor, data_range: float, kernel_size: int,
           sigma: float, reduction: str) -> None:
    if not (torch.is_tensor(x) and torch.is_tensor(y)):
        raise ValueError(f"ssim: x and y must be tensors, got {type(x).__name__} and {type(y).__name__}")
    if x.dim() != 4:
        raise ValueError(f"ssim: expected N×C×H×W tensors, got x of shape {tuple(x.shape)}")
    if x.shape != y.shape:
        raise ValueError(f"ssim: x and y shapes differ: {tuple(x.shape)} vs {tuple(y.shape)}")
    if not (x.is_floating_point() and y.is_floating_point()):
        raise ValueError(f"ssim: expected floating-point tensors, got {x.dtype} and {y.dtype}")
    if x.dtype != y.dtype or x.device != y.device:
        raise ValueError(f"ssim: x and y must share dtype and device, got {x.dtype}/{x.device} "
                         f"and {y.dtype}/{y.device}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"ssim: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) \
            or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"ssim: kernel_size must be a positive odd int, got {kernel_size!r}")
    if not sigma > 0:
        raise ValueError(f"ssim: sigma must be > 0, got {sigma!r}")
    if not data_range > 0:
        raise ValueError(f"ssim: data_range must be > 0, got {data_range!r}")


def _ssim_terms(x, y, g_h, g_w, c1, c2):
    """The SSIM map ``s`` (N×C×H'×W') and the terms its gradient needs."""
    n, c, h, w = x.shape
    ho, wo = g_h.shape[0], g_w.shape[0]
    # Four local moments filtered at once: E[x], E[y], E[x² + y²], E[xy].
    maps = torch.empty((n, 4, c, h, w), dtype=x.dtype, device=x.device)
    maps[:, 0] = x
    maps[:, 1] = y
    torch.mul(x, x, out=maps[:, 2]).addcmul_(y, y)
    torch.mul(x, y, out=maps[:, 3])
    # Right product first: it folds into one large 2-D GEMM; the left one is batched.
    filtered = g_h @ (maps.view(-1, w) @ g_w.T).view(-1, h, wo)
    mu_x, mu_y, e_sq, e_xy = filtered.view(n, 4, c, ho, wo).unbind(1)

    # piq: cs = (2σxy + c2) / (σx² + σy² + c2); ssim = (2μxμy + c1) / (μx² + μy² + c1) · cs
    mu_xy = mu_x * mu_y
    mu_sq = torch.addcmul(mu_x * mu_x, mu_y, mu_y)
    a1 = mu_xy * 2 + c1
    a2 = (e_xy - mu_xy).mul_(2).add_(c2)
    b1 = mu_sq + c1
    b2 = (e_sq - mu_sq).add_(c2)
    s = (a1 * a2).div_(b1 * b2)
    return s, mu_x, mu_y, a1, a2, b1, b2


class _SSIMFunction(torch.autograd.Function):
    """Per-sample SSIM with a hand-written backward.

    Plain autograd records ~25 small element-wise ops and replays their backwards; the
    closed-form gradient below needs a handful, and it is computed in the forward pass
    (only when a gradient is needed) so the backward is just: scale, two matrix
    products, and the chain rule through the four moment maps. Second-order gradients
    are not supported (``once_differentiable`` raises if they are requested).
    """

    @staticmethod
    def forward(ctx, x, y, g_h, g_w, c1, c2):
        n, c = x.shape[:2]
        s, mu_x, mu_y, a1, a2, b1, b2 = _ssim_terms(x, y, g_h, g_w, c1, c2)
        ho, wo = s.shape[-2:]
        out = s.mean(dim=(-1, -2)).mean(dim=1)

        if any(ctx.needs_input_grad[:2]):
            # s = a1·a2 / (b1·b2), so ∂s/∂a = s/a and ∂s/∂b = −s/b. Through p = μxμy,
            # q = μx² + μy²: ∂s/∂p = 2(s/a1 − s/a2), ∂s/∂q = s/b2 − s/b1,
            # ∂s/∂E[xy] = 2s/a2, ∂s/∂E[x²+y²] = −s/b2, ∂s/∂μx = μy·∂s/∂p + 2μx·∂s/∂q.
            d = torch.empty((n, 4, c, ho, wo), dtype=x.dtype, device=x.device)
            d_mx, d_my, d_sq, d_xy = d.unbind(1)
            s_a2 = s / a2
            torch.div(s, b2, out=d_sq)
            dp = (s / a1).sub_(s_a2).mul_(2)
            dq2 = (s / b1).sub_(d_sq).mul_(-2)
            torch.mul(dp, mu_y, out=d_mx).addcmul_(dq2, mu_x)
            torch.mul(dp, mu_x, out=d_my).addcmul_(dq2, mu_y)
            d_sq.neg_()
            torch.mul(s_a2, 2, out=d_xy)
            d.div_(c * ho * wo)  # the spatial and channel means
            ctx.save_for_backward(x, y, g_h, g_w, d)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        x, y, g_h, g_w, d = ctx.saved_tensors
        n, c, h, w = x.shape
        ho, wo = g_h.shape[0], g_w.shape[0]
        d = d * grad.view(n, 1, 1, 1, 1)
        # Transpose of the filter: G_hᵀ @ D @ G_w, then the chain rule through the maps.
        d_maps = ((g_h.T @ d.view(-1, ho, wo)).view(-1, wo) @ g_w).view(n, 4, c, h, w)
        d0, d1, d2, d3 = d_maps.unbind(1)
        dx = dy = None
        if ctx.needs_input_grad[0]:
            dx = torch.addcmul(d0, x, d2, value=2).addcmul_(y, d3)
        if ctx.needs_input_grad[1]:
            dy = torch.addcmul(d1, y, d2, value=2).addcmul_(x, d3)
        return dx, dy, None, None, None, None


def ssim(x: torch.Tensor, y: torch.Tensor, *, data_range: float = 1.0, kernel_size: int = 11,
         sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         reduction: str = "none") -> torch.Tensor:
    """SSIM between image batches ``x`` and ``y`` (N×C×H×W, values nominally in [0, data_range]).

    Returns one value per image (shape N) for ``reduction="none"``, their mean for
    ``"mean"``. Equal to ``piq.ssim(x, y, data_range=data_range, kernel_size=kernel_size,
    kernel_sigma=sigma, k1=k1, k2=k2, reduction=reduction, downsample=True)`` up to float
    rounding; differentiable (first order) in ``x`` and ``y``; dtype- and
    device-preserving. 1 means identical images.
    """
    _check(x, y, data_range, kernel_size, sigma, reduction)
    x, y, g_h, g_w = _prepare(x, y, data_range, kernel_size, sigma)
    # Under autocast, matmuls would silently run in half precision; SSIM's variances
    # (E[x²] − μ²) cancel badly there, so keep the caller's dtype.
    with torch.autocast(device_type=x.device.type, enabled=False):
        per_sample = _SSIMFunction.apply(x, y, g_h, g_w, k1**2, k2**2)
    return per_sample if reduction == "none" else per_sample.mean()


def ssim_map(x: torch.Tensor, y: torch.Tensor, *, data_range: float = 1.0, kernel_size: int = 11,
             sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """The local SSIM map (N×H'×W', channel mean, no padding; not differentiable).

    Its spatial mean is :func:`ssim` with the same settings, so it shows *where* an
    image's SSIM is lost (used for error-map figures).
    """
    _check(x, y, data_range, kernel_size, sigma, "none")
    x, y, g_h, g_w = _prepare(x, y, data_range, kernel_size, sigma)
    with torch.no_grad(), torch.autocast(device_type=x.device.type, enabled=False):
        return _ssim_terms(x, y, g_h, g_w, k1**2, k2**2)[0].mean(1)


def _prepare(x, y, data_range, kernel_size, sigma):
    """Scale to [0, 1], downsample as piq does, and build the two banded filter matrices."""
    # Same order of operations as piq: scale first, then optional downsampling.
    # (Dividing by 1.0 is exact, so skipping it changes nothing but saves two copies.)
    if data_range != 1.0:
        x = x / float(data_range)
        y = y / float(data_range)
    f = max(1, round(min(x.shape[-2:]) / 256))
    if f > 1:
        x = F.avg_pool2d(x, kernel_size=f)
        y = F.avg_pool2d(y, kernel_size=f)
    h, w = x.shape[-2:]
    if h < kernel_size or w < kernel_size:
        extra = f" (after {f}× downsampling)" if f > 1 else ""
        raise ValueError(f"ssim: image {h}×{w}{extra} is smaller than kernel_size={kernel_size}")

    g_h = _band(h, kernel_size, float(sigma), x.device, x.dtype)
    g_w = g_h if w == h else _band(w, kernel_size, float(sigma), x.device, x.dtype)
    return x, y, g_h, g_w
