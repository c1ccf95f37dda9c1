"""Training throughput of the neural baselines (Deep SVDD, GANomaly) against the matmul peak.

For each baseline and image shape it fits the real baseline (one epoch, and for Deep
SVDD one pre-training epoch) on random images, twice: once under
``torch.utils.flop_counter.FlopCounterMode`` on a few images to count the FLOPs per
image, once timed on more images. It prints GFLOP/s, the share of a 2048×2048 float32
matmul measured in the same run, and milliseconds per image. A baseline near the peak
gains nothing from being batched across classes as the autoencoders are.

    python benchmarks/bench_baselines.py --json benchmarks/results/bench_baselines.json
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
from common import matmul_gflops, repeated, spread, write_json  # benchmarks/common.py
from torch.utils.flop_counter import FlopCounterMode

from aeutils.config import RunConfig
from aeutils.detectors import training_group

SHAPES = {"1x28x28": (1, 28, 28), "3x32x32": (3, 32, 32)}
SETTINGS = {"deep-svdd": {"extra": {"pretrain_epochs": 1}}, "ganomaly": {}}


def _fit(model: str, x: torch.Tensor) -> float:
    c = RunConfig(model=model, epochs=1, checkpoints=(1,), **SETTINGS[model])
    group = training_group([c], torch.device("cpu"))
    x = x.mul(255).round_().to(torch.uint8)  # images as the grid holds them
    t0 = time.perf_counter()
    group.fit([x])
    return time.perf_counter() - t0


def bench(model: str, shape, n_count: int, n_time: int) -> dict:
    g = torch.Generator().manual_seed(0)
    with FlopCounterMode(display=False) as fc:
        _fit(model, torch.rand(n_count, *shape, generator=g))
    flops_per_image = fc.get_total_flops() / n_count
    _fit(model, torch.rand(n_count, *shape, generator=g))  # warm-up
    seconds = _fit(model, torch.rand(n_time, *shape, generator=g))
    return {"gflops": flops_per_image * n_time / seconds / 1e9,
            "ms_per_image": 1000 * seconds / n_time}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="*", default=list(SETTINGS), help="baselines to measure")
    p.add_argument("--count-images", type=int, default=256, help="images of the FLOP-counting fit")
    p.add_argument("--time-images", type=int, default=1024, help="images of the timed fit")
    p.add_argument("--repeats", type=int, default=3, help="whole measurements, at least 3")
    p.add_argument("--json", default=None, help="also write every number to this JSON file")
    a = p.parse_args()
    res = repeated(lambda: measure(a), a.repeats)
    print(f"{res['machine']}, {res['threads']} threads; 2048x2048 float32 matmul: "
          f"{spread(res, 'matmul_gflops')} GFLOP/s; one epoch (Deep SVDD: + one pre-training "
          f"epoch), batch 128; median (min–max) of {res['repeats']} runs\n")
    print("| baseline | image | training GFLOP/s | share of matmul | ms per image |")
    print("|---|---|---|---|---|")
    for r in res["rows"]:
        print(f"| {r['model']} | {r['image']} | {spread(r, 'gflops')} "
              f"| {spread(r, 'share', '.0f', 100, '%')} | {spread(r, 'ms_per_image', '.2f')} |")
    write_json(a.json, res)


def measure(a) -> dict:
    peak = matmul_gflops()
    rows = []
    for model in a.models:
        for name, shape in SHAPES.items():
            r = bench(model, shape, a.count_images, a.time_images)
            rows.append({"model": model, "image": name, **r, "share": r["gflops"] / peak})
    return {"machine": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "matmul_gflops": peak, "rows": rows}


if __name__ == "__main__":
    main()
