"""``aeutils.detectors.ssim.ssim`` against the reference ``piq.ssim``: values, gradients, edge cases."""

from __future__ import annotations

import piq
import pytest
import torch

from aeutils.detectors.ssim import _band, ssim

# float64 removes rounding noise, so the two implementations must agree to far better than
# the 1e-5 requirement. In float32 both carry rounding error in the variances
# (E[x²] − μ² cancels); on smooth images piq's own float32 error against float64 reaches
# ~8e-6 (ours ~1.4e-6), so the float32 comparison gets 2e-5.
TOL64 = 1e-10
TOL32 = 2e-5


def _piq(x, y, reduction="none", data_range=1.0):
    return piq.ssim(x=x, y=y, data_range=data_range, kernel_size=11, kernel_sigma=1.5,
                    k1=0.01, k2=0.03, reduction=reduction, downsample=True)


def _images(kind: str, shape, dtype=torch.float64, seed=0):
    """A pair (x, y) of images in [0, 1] of the given kind."""
    gen = torch.Generator().manual_seed(seed)
    n, c, h, w = shape
    if kind == "random":
        return torch.rand(shape, generator=gen, dtype=dtype), torch.rand(shape, generator=gen,
                                                                          dtype=dtype)
    if kind == "gradient":  # smooth ramps: near-zero local variance, the hard case numerically
        gy = torch.linspace(0, 1, h, dtype=dtype).view(1, 1, h, 1)
        gx = torch.linspace(0, 1, w, dtype=dtype).view(1, 1, 1, w)
        y = (0.3 * gy + 0.6 * gx).expand(shape).contiguous()
        x = (0.5 * gy + 0.2 * gx + 0.1).expand(shape).contiguous()
        return x, y
    if kind == "checker":  # high-contrast 4-px checkerboard against a shifted copy
        yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        board = (((yy // 4) + (xx // 4)) % 2).to(dtype).expand(shape).contiguous()
        return board.roll(1, dims=-1), board
    if kind == "noisy":  # a noisy copy of an image
        y = torch.rand(shape, generator=gen, dtype=dtype)
        noise = 0.05 * torch.randn(shape, generator=gen, dtype=dtype)
        return (y + noise).clamp(0, 1), y
    raise AssertionError(kind)


KINDS = ["random", "gradient", "checker", "noisy"]
SHAPES = [(4, 1, 28, 28), (4, 3, 28, 28), (4, 1, 32, 32), (4, 3, 32, 32), (2, 1, 64, 64),
          (2, 3, 64, 64)]
# Short side ≥ 384 px: piq average-pools by f = round(min(H, W) / 256) = 2 first.
LARGE = [(1, 1, 600, 520), (1, 3, 512, 512)]


# The large images cost up to ~1 s each in piq (dense 11×11 convolution), so they get
# a few image kinds rather than all four.
CASES = [(k, s) for k in KINDS for s in SHAPES]
CASES64 = CASES + [("noisy", LARGE[0]), ("gradient", LARGE[0])]
CASES32 = CASES + [("random", LARGE[0]), ("checker", LARGE[1])]


def _ids(case):
    if isinstance(case, torch.dtype):
        return str(case).removeprefix("torch.")
    return case if isinstance(case, str) else "x".join(map(str, case))


@pytest.mark.parametrize(("kind", "shape"), CASES64, ids=_ids)
def test_matches_piq_float64(kind, shape):
    x, y = _images(kind, shape)
    ours, ref = ssim(x, y), _piq(x, y)
    assert ours.shape == (shape[0],) and ours.dtype == torch.float64
    assert (ours - ref).abs().max().item() <= TOL64
    mean = ssim(x, y, reduction="mean")
    assert mean.shape == ()
    assert abs(mean.item() - _piq(x, y, reduction="mean").item()) <= TOL64


@pytest.mark.parametrize(("kind", "shape"), CASES32, ids=_ids)
def test_matches_piq_float32(kind, shape):
    x, y = _images(kind, shape, dtype=torch.float32)
    ours, ref = ssim(x, y), _piq(x, y)
    assert ours.dtype == torch.float32
    assert (ours - ref).abs().max().item() <= TOL32
    assert abs(ssim(x, y, reduction="mean").item() - _piq(x, y, "mean").item()) <= TOL32


GRAD_CASES = [(k, d, s) for k in ("random", "noisy", "gradient")
              for d in (torch.float64, torch.float32)
              for s in ((3, 1, 28, 28), (3, 3, 32, 32), (1, 3, 64, 64))]
GRAD_CASES += [("noisy", torch.float64, LARGE[0]), ("random", torch.float32, LARGE[0])]


@pytest.mark.parametrize(("kind", "dtype", "shape"), GRAD_CASES, ids=_ids)
def test_gradients_match_piq(kind, dtype, shape):
    x, y = _images(kind, shape, dtype=dtype, seed=1)
    # Different weights per sample check that the backward routes each sample's grad.
    weights = torch.linspace(0.5, 2.0, shape[0], dtype=dtype)
    grads = []
    for fn in (ssim, _piq):
        xg, yg = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
        grads.append(torch.autograd.grad((fn(xg, yg) * weights).sum(), (xg, yg)))
    (ours_x, ours_y), (ref_x, ref_y) = grads
    assert ours_x.dtype == dtype
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    assert (ours_x - ref_x).abs().max().item() <= tol
    assert (ours_y - ref_y).abs().max().item() <= tol


def test_gradient_only_for_x():
    x, y = _images("noisy", (2, 1, 28, 28))
    x.requires_grad_(True)
    ssim(x, y, reduction="mean").backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and y.grad is None


def test_gradcheck():
    # Finite differences, independent of piq; fast mode checks random projections.
    x, y = _images("noisy", (2, 2, 13, 15), seed=3)
    x.requires_grad_(True)
    y.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: ssim(a, b, data_range=2.0), (x, y),
                                    fast_mode=True)


def test_second_order_gradients_raise():
    x, y = _images("noisy", (2, 1, 16, 16))
    x.requires_grad_(True)
    (g,) = torch.autograd.grad(ssim(x, y).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_identity_is_one(kind, dtype):
    x, _ = _images(kind, (3, 3, 32, 32), dtype=dtype)
    assert (ssim(x, x) - 1).abs().max().item() <= 1e-6


def test_near_identical_small_and_nonnegative_loss():
    _, y = _images("random", (4, 1, 28, 28))
    x = (y + 1e-3 * torch.randn(y.shape, dtype=y.dtype, generator=torch.Generator().manual_seed(5)))
    loss = 1 - ssim(x.clamp(0, 1), y)
    assert (loss >= 0).all() and (loss < 1e-3).all()


def test_data_range_255():
    x, y = (t * 255 for t in _images("noisy", (2, 3, 32, 32)))
    ref = _piq(x, y, data_range=255.0)
    assert (ssim(x, y, data_range=255.0) - ref).abs().max().item() <= TOL64


def test_other_window_and_constants():
    x, y = _images("noisy", (2, 1, 32, 32))
    ours = ssim(x, y, kernel_size=7, sigma=1.0, k1=0.02, k2=0.05)
    ref = piq.ssim(x=x, y=y, data_range=1.0, kernel_size=7, kernel_sigma=1.0, k1=0.02, k2=0.05,
                   reduction="none", downsample=True)
    assert (ours - ref).abs().max().item() <= TOL64


def test_out_of_range_inputs_allowed():
    x, y = _images("random", (2, 1, 28, 28))
    out = ssim(x * 1.2 - 0.1, y)  # piq would assert here; training may feed such values
    assert torch.isfinite(out).all()


def test_window_is_cached_and_normalised():
    cpu = torch.device("cpu")
    a = _band(28, 11, 1.5, cpu, torch.float32)
    assert a is _band(28, 11, 1.5, cpu, torch.float32)
    assert a.shape == (18, 28)
    torch.testing.assert_close(a.sum(1), torch.ones(18))
    assert ((a != 0).sum(1) == 11).all()


def test_first_call_under_inference_mode_does_not_poison_cache():
    with torch.inference_mode():
        ssim(torch.rand(2, 1, 23, 23), torch.rand(2, 1, 23, 23))
    x = torch.rand(2, 1, 23, 23, requires_grad=True)
    ssim(x, torch.rand(2, 1, 23, 23), reduction="mean").backward()
    assert x.grad is not None


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (torch.rand(2, 1, 10, 28), torch.rand(2, 1, 10, 28), {}, "smaller than kernel_size"),
        (torch.rand(2, 1, 28, 28), torch.rand(2, 1, 32, 32), {}, "shapes differ"),
        (torch.rand(1, 28, 28), torch.rand(1, 28, 28), {}, "N×C×H×W"),
        (torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28), {"reduction": "sum"},
         r"\('none', 'mean'\)"),
        (torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28), {"kernel_size": 10}, "odd"),
        (torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28), {"sigma": 0.0}, "sigma"),
        (torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28), {"data_range": 0}, "data_range"),
        (torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28).double(), {}, "dtype"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), torch.zeros(2, 1, 28, 28,
                                                                   dtype=torch.uint8), {},
         "floating-point"),
    ],
)
def test_bad_inputs(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ssim(x, y, **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu(monkeypatch):
    """In IEEE float32 on both devices. The banded filter is a matmul, so TF32 (which any
    earlier "fp32" training call in the process switches on) would round its products to
    10 bits: on an H200 that moved SSIM by 5.3e-5 and failed this bound."""
    from aeutils.detectors.training import configure_device

    for flags in (torch.backends.cuda.matmul, torch.backends.cudnn):
        monkeypatch.setattr(flags, "allow_tf32", flags.allow_tf32)  # restored afterwards
    configure_device(torch.device("cuda"), "fp32-strict")
    x, y = _images("noisy", (4, 3, 32, 32), dtype=torch.float32)
    xc = x.cuda().requires_grad_(True)
    out = ssim(xc, y.cuda())
    out.sum().backward()
    xr = x.clone().requires_grad_(True)
    ref = ssim(xr, y)
    ref.sum().backward()
    assert out.device.type == "cuda"
    assert (out.cpu() - ref).abs().max().item() <= 1e-5
    assert (xc.grad.cpu() - xr.grad).abs().max().item() <= 1e-5


@pytest.mark.parametrize("channels", [1, 3])
def test_ssim_map_mean_is_ssim(channels):
    from aeutils.detectors.ssim import ssim_map

    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, channels, 28, 28, generator=g)
    y = (x + 0.2 * torch.rand(x.shape, generator=g)).clamp(0, 1)
    m = ssim_map(x, y)
    assert m.shape == (2, 18, 18)
    torch.testing.assert_close(m.mean(dim=(1, 2)), ssim(x, y), atol=1e-5, rtol=0)
