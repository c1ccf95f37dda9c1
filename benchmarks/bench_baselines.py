"""Training throughput of the neural baselines (Deep SVDD, GANomaly, AnoGAN, EGBAD) against
the matmul peak, and their scoring time per image.

For each baseline and image shape it fits the real baseline (one epoch, and for Deep
SVDD one pre-training epoch) on random images, twice: once under
``torch.utils.flop_counter.FlopCounterMode`` on a few images to count the FLOPs per
image, once timed on more images. It prints GFLOP/s, the share of a 2048×2048 float32
matmul measured in the same run, and milliseconds per image. A baseline near the peak
gains nothing from being batched across classes as the autoencoders are. It then times
the fitted baseline's scoring of ``--score-images`` random images (after a first call
that refreshes its state, such as BatchNorm statistics): for AnoGAN a latent search of
``--search-steps`` steps per image (its default is 500; the time is linear in the steps),
in the layout the library uses on a CPU (channels-last) and again in the default layout,
side by side in the same run (``search_speedup``: default-layout time over channels-last),
and once more with ``search_precision="bf16"`` (``bf16_speedup``: float32 time over
bfloat16 time).

    python benchmarks/bench_baselines.py --json benchmarks/results/bench_baselines.json
    python benchmarks/bench_baselines.py --models anogan egbad --count-images 16 \
        --time-images 64 --score-images 16 --search-steps 5   # seconds: a smoke run
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
from common import matmul_gflops, repeated, spread, write_json  # benchmarks/common.py
from torch.utils.flop_counter import FlopCounterMode

from aeutils import runtime
from aeutils.config import RunConfig
from aeutils.detectors import training_group

SHAPES = {"1x28x28": (1, 28, 28), "3x32x32": (3, 32, 32)}
SETTINGS = {"deep-svdd": {"pretrain_epochs": 1}, "ganomaly": {}, "anogan": {}, "egbad": {}}


def _fit(model: str, x: torch.Tensor, steps: int):
    extra = {**SETTINGS[model], **({"iterations": steps} if model == "anogan" else {})}
    c = RunConfig(model=model, epochs=1, checkpoints=(1,), extra=extra)
    group = training_group([c], torch.device("cpu"))
    x = x.mul(255).round_().to(torch.uint8)  # images as the grid holds them
    return _seconds(group.fit, [x]), group.detectors[0]


def bench(model: str, shape, n_count: int, n_time: int, n_score: int, steps: int) -> dict:
    g = torch.Generator().manual_seed(0)
    with FlopCounterMode(display=False) as fc:
        _fit(model, torch.rand(n_count, *shape, generator=g), steps)
    flops_per_image = fc.get_total_flops() / n_count
    _fit(model, torch.rand(n_count, *shape, generator=g), steps)  # warm-up
    seconds, det = _fit(model, torch.rand(n_time, *shape, generator=g), steps)
    x = torch.rand(n_score, *shape, generator=g)
    det.decision_function(x[:2])  # state refreshed from the training images, untimed
    scoring = _seconds(det.decision_function, x)
    row = {"gflops": flops_per_image * n_time / seconds / 1e9,
           "ms_per_image": 1000 * seconds / n_time,
           "score_ms_per_image": 1000 * scoring / n_score}
    if model == "anogan":  # the same search in the default memory layout, then in bf16
        fast = type(det).cpu_search_layout
        type(det).cpu_search_layout = torch.contiguous_format
        try:
            row["search_speedup"] = _seconds(det.decision_function, x) / scoring
        finally:
            type(det).cpu_search_layout = fast
        det.search_precision = "bf16"
        row["bf16_speedup"] = scoring / _seconds(det.decision_function, x)
    return row


def _seconds(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="*", default=list(SETTINGS), help="baselines to measure")
    p.add_argument("--count-images", type=int, default=256, help="images of the FLOP-counting fit")
    p.add_argument("--time-images", type=int, default=1024, help="images of the timed fit")
    p.add_argument("--score-images", type=int, default=256, help="images of the timed scoring")
    p.add_argument("--search-steps", type=int, default=50,
                   help="AnoGAN's latent search steps while timing its scoring")
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
    print(f"\n| baseline | image | scoring ms per image (AnoGAN: {a.search_steps} search steps) |")
    print("|---|---|---|")
    for r in res["rows"]:
        print(f"| {r['model']} | {r['image']} | {spread(r, 'score_ms_per_image', '.2f')} |")
    for r in (r for r in res["rows"] if "search_speedup" in r):
        print(f"\nAnoGAN's search, {r['image']}: the default memory layout takes "
              f"{spread(r, 'search_speedup', '.2f')}× the channels-last time; float32 takes "
              f"{spread(r, 'bf16_speedup', '.2f')}× the bfloat16 time")
    write_json(a.json, res)


def measure(a) -> dict:
    peak = matmul_gflops()
    rows = []
    for model in a.models:
        for name, shape in SHAPES.items():
            r = bench(model, shape, a.count_images, a.time_images, a.score_images,
                      a.search_steps)
            rows.append({"model": model, "image": name, **r, "share": r["gflops"] / peak})
    return {"machine": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "matmul_gflops": peak, "search_steps": a.search_steps, "rows": rows}


if __name__ == "__main__":
    main()
