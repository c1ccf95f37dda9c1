"""Benchmark: ``aeutils.detectors.ssim.ssim`` against ``piq.ssim``, and what SSIM costs a training epoch.

Section 1 times forward + backward of SSIM on a batch of 128 (median and min–max of
repeated calls after warm-up, default torch thread count). Section 2 times one training epoch of the basic
autoencoder (784-128-32-128-784) on MNIST class 0 with the losses ``mse``, ``ssim`` and
``bce+ssim``. ``--variants`` adds the filter implementations that were compared when
choosing the one in :mod:`aeutils.detectors.ssim`.

Run from the project root::

    AEUTILS_DATA=../shared/data python benchmarks/bench_ssim.py --json benchmarks/results/bench_ssim.json
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import piq
import torch
import torch.nn.functional as F
from common import write_json  # benchmarks/common.py

from aeutils import runtime, settings
from aeutils.detectors.ssim import _band, ssim

SHAPES = [(1, 28, 28), (3, 32, 32)]
EPOCH_LOSSES = ["mse", "ssim", "bce+ssim"]


def _piq_ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return piq.ssim(x=x, y=y, data_range=1.0, kernel_size=11, kernel_sigma=1.5, k1=0.01,
                    k2=0.03, reduction="none", downsample=True)


# --- the alternatives measured when choosing aeutils.detectors.ssim's implementation -------------

def _finish(mu_x, mu_y, e_sq, e_xy, c1=0.01**2, c2=0.03**2):
    mu_xy, mu_sq = mu_x * mu_y, mu_x * mu_x + mu_y * mu_y
    cs = (2 * (e_xy - mu_xy) + c2) / (e_sq - mu_sq + c2)
    return ((2 * mu_xy + c1) / (mu_sq + c1) * cs).mean(dim=(-1, -2)).mean(dim=1)


def _variant_conv(x: torch.Tensor, y: torch.Tensor, k: int = 11) -> torch.Tensor:
    """(a) stacked maps, two depthwise 1-D conv2d passes (1×k then k×1), plain autograd."""
    n, c, h, w = x.shape
    maps = torch.stack([x, y, x * x + y * y, x * y], dim=1).view(n, 4 * c, h, w)
    g = _band(k, k, 1.5, x.device, x.dtype)[0]  # the 1-D window
    maps = F.conv2d(maps, g.view(1, 1, 1, k).expand(4 * c, 1, 1, k), groups=4 * c)
    maps = F.conv2d(maps, g.view(1, 1, k, 1).expand(4 * c, 1, k, 1), groups=4 * c)
    return _finish(*maps.view(n, 4, c, h - k + 1, w - k + 1).unbind(1))


def _variant_matmul_autograd(x: torch.Tensor, y: torch.Tensor, k: int = 11) -> torch.Tensor:
    """(b) stacked maps, banded matrices G_h @ M @ G_wᵀ, plain autograd."""
    g_h = _band(x.shape[-2], k, 1.5, x.device, x.dtype)
    g_w = _band(x.shape[-1], k, 1.5, x.device, x.dtype)
    maps = torch.stack([x, y, x * x + y * y, x * y], dim=1)
    return _finish(*(g_h @ (maps @ g_w.T)).unbind(1))


# --- timing ---------------------------------------------------------------------------

def time_fwd_bwd(fns: dict[str, Callable], shape: tuple[int, int, int], batch: int,
                 repeats: int, warmup: int = 5, rounds: int = 5) -> dict[str, list[list[float]]]:
    """Seconds of each timed ``fn(x, y).sum().backward()`` (x requiring grad), per ``fn``
    and round.

    The calls are interleaved in ``rounds`` so that slow drifts of a shared machine hit
    every implementation alike.
    """
    gen = torch.Generator().manual_seed(0)
    y = torch.rand((batch, *shape), generator=gen)
    x0 = torch.rand((batch, *shape), generator=gen)
    times: dict[str, list[list[float]]] = {name: [[] for _ in range(rounds)] for name in fns}
    per_round = -(-repeats // rounds)
    for r in range(rounds):
        for name, fn in fns.items():
            for i in range(per_round + (warmup if r == 0 else 0)):
                x = x0.clone().requires_grad_(True)
                t0 = time.perf_counter()
                fn(x, y).sum().backward()
                if r > 0 or i >= warmup:
                    times[name][r].append(time.perf_counter() - t0)
    return times


def section_ssim(batch: int, repeats: int, variants: bool) -> dict:
    fns = {"aeutils": ssim, "piq": _piq_ssim}
    if variants:
        fns = {"(a) conv 1-D x2": _variant_conv, "(b) matmul, autograd": _variant_matmul_autograd,
               "(b) matmul, own bwd [aeutils]": ssim, "piq": _piq_ssim}
    print(f"\n## SSIM forward+backward, batch {batch}, median (min–max) of {repeats} calls "
          f"(ms); piq / aeutils: ratio of medians (min–max over 5 interleaved rounds)\n")
    names = list(fns)
    header = "| image | " + " | ".join(names) + " | piq / aeutils |"
    print(header)
    print("|" + "---|" * (len(names) + 2))
    rows = []
    for shape in SHAPES:
        rows.append(_ssim_row(shape, time_fwd_bwd(fns, shape, batch, repeats)))
        r = rows[-1]
        cells = " | ".join(f"{r['ms'][n]:.2f} ({r['ms_min'][n]:.2f}–{r['ms_max'][n]:.2f})"
                           for n in names)
        print(f"| {r['image']} | {cells} | {r['piq_over_aeutils']:.1f}× "
              f"({r['piq_over_aeutils_min']:.1f}–{r['piq_over_aeutils_max']:.1f}) |")
    return {"batch": batch, "repeats": repeats, "rows": rows}


# --- one training epoch ---------------------------------------------------------------

def _project_parts():
    """The project's model, losses and data loader: (load_class0, make_model, loss_fn, note)."""
    from aeutils.data import load_dataset
    from aeutils.detectors.losses import per_sample_loss
    from aeutils.detectors.networks import build_model

    def load_class0() -> torch.Tensor:
        data = load_dataset("mnist")
        return data.train_x[data.train_y == 0].float().div_(255)

    def make_model() -> torch.nn.Module:
        return build_model("basic", shape=(1, 28, 28), seeds=[0], hidden=(128,), latent_dim=32)

    def loss_fn(model, name, xb):
        recon, _ = model(xb.unsqueeze(0))  # ensemble of K=1 models: K×B×C×H×W
        return per_sample_loss(name, recon, xb.unsqueeze(0)).mean()

    return load_class0, make_model, loss_fn, "aeutils.detectors.networks 'basic' + aeutils.detectors.losses"


def _standalone_parts():
    """Self-contained fallback used when the project modules are unavailable."""
    import torchvision

    def load_class0() -> torch.Tensor:
        ds = torchvision.datasets.MNIST(root=settings.get("AEUTILS_DATA"), train=True,
                                        download=False)
        return ds.data[ds.targets == 0].unsqueeze(1).float().div_(255)

    def make_model() -> torch.nn.Module:
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(784, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 32), torch.nn.ReLU(), torch.nn.Linear(32, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 784), torch.nn.Sigmoid(), torch.nn.Unflatten(1, (1, 28, 28)))

    def per_sample(name, r, x):
        terms = {"mse": lambda: ((r - x) ** 2).flatten(1).mean(1),
                 "bce": lambda: F.binary_cross_entropy(r, x, reduction="none").flatten(1).mean(1),
                 "ssim": lambda: 1 - ssim(r, x)}
        return sum(terms[part]() for part in name.split("+"))

    def loss_fn(model, name, xb):
        return per_sample(name, model(xb), xb).mean()

    return load_class0, make_model, loss_fn, "standalone nn.Sequential + inline losses"


def _ssim_row(shape, times: dict[str, list[list[float]]]) -> dict:
    """Median and min–max per implementation; piq's time over ours, overall and per round."""
    flat = {n: [t for rnd in rounds for t in rnd] for n, rounds in times.items()}
    ms = {n: 1e3 * statistics.median(t) for n, t in flat.items()}
    ours = "aeutils" if "aeutils" in times else "(b) matmul, own bwd [aeutils]"
    per_round = [statistics.median(p) / statistics.median(o)
                 for p, o in zip(times["piq"], times[ours])]
    return {"image": "×".join(map(str, shape)), "ms": ms,
            "ms_min": {n: 1e3 * min(t) for n, t in flat.items()},
            "ms_max": {n: 1e3 * max(t) for n, t in flat.items()},
            "piq_over_aeutils": ms["piq"] / ms[ours],
            "piq_over_aeutils_min": min(per_round), "piq_over_aeutils_max": max(per_round)}


def section_epoch(epochs: int, batch: int) -> dict:
    try:
        load_class0, make_model, loss_fn, note = _project_parts()
    except ImportError as err:
        print(f"\n(project modules unavailable: {err}; using the standalone fallback)")
        load_class0, make_model, loss_fn, note = _standalone_parts()
    x = load_class0()
    n_batches = -(-len(x) // batch)
    print(f"\n## One training epoch: basic AE 784-128-32-128-784, MNIST class 0 "
          f"({len(x)} images, {n_batches} batches of {batch}), Adam(1e-3); {note}; "
          f"median of {epochs} epochs (s)\n")

    # One model per loss, epochs interleaved across losses so that load drifts on a shared
    # machine hit every loss alike; the first epoch of each is warm-up.
    runs = {}
    for name in EPOCH_LOSSES:
        model = make_model()
        runs[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-3),
                      torch.Generator().manual_seed(0), [])
    for epoch in range(epochs + 1):
        for name, (model, opt, gen, times) in runs.items():
            order = torch.randperm(len(x), generator=gen)
            t0 = time.perf_counter()
            for i in range(0, len(x), batch):
                loss = loss_fn(model, name, x[order[i:i + batch]])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            if epoch > 0:
                times.append(time.perf_counter() - t0)

    times = {name: run[3] for name, run in runs.items()}
    print("| loss | epoch (s), median (min–max) | ratio to mse (min–max over epochs) |")
    print("|---|---|---|")
    rows = [_epoch_row(name, times) for name in EPOCH_LOSSES]
    for r in rows:
        print(f"| {r['loss']} | {r['epoch_seconds']:.3f} ({r['epoch_seconds_min']:.3f}–"
              f"{r['epoch_seconds_max']:.3f}) | {r['ratio_to_mse']:.2f}× "
              f"({r['ratio_to_mse_min']:.2f}–{r['ratio_to_mse_max']:.2f}) |")
    return {"images": len(x), "batch": batch, "epochs": epochs, "model": note, "rows": rows}


def _epoch_row(name: str, times: dict[str, list[float]]) -> dict:
    """Median and min–max epoch time of ``name``; its ratio to mse epoch by epoch (the
    epochs of the losses ran interleaved, so epoch k of each saw the same load)."""
    t, mse = times[name], times["mse"]
    ratios = [a / b for a, b in zip(t, mse)]
    return {"loss": name, "epoch_seconds": statistics.median(t), "epoch_seconds_min": min(t),
            "epoch_seconds_max": max(t), "ratio_to_mse": statistics.median(t) / statistics.median(mse),
            "ratio_to_mse_min": min(ratios), "ratio_to_mse_max": max(ratios)}


def main() -> None:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=30, help="timed SSIM calls per cell")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per loss")
    parser.add_argument("--variants", action="store_true",
                        help="also time the filter implementations that were compared")
    parser.add_argument("--skip-epoch", action="store_true", help="only the SSIM section")
    parser.add_argument("--json", default=None, help="also write every number to this JSON file")
    args = parser.parse_args()

    res = {"torch": torch.__version__, "piq": piq.__version__, "threads": torch.get_num_threads(),
           "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    print(f"torch {res['torch']}, piq {res['piq']}, {res['threads']} threads, {res['machine']}, "
          f"{res['cpus']} CPUs")
    res["ssim"] = section_ssim(args.batch, args.repeats, args.variants)
    if not args.skip_epoch:
        res["epoch"] = section_epoch(args.epochs, args.batch)
    write_json(args.json, res)


if __name__ == "__main__":
    main()
