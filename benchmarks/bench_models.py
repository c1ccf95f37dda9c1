"""Training and scoring throughput of each autoencoder, against the matmul peak, side by side.

For every model (basic, conv, vae) and image shape (1×28×28, 3×32×32) it trains a
batched group of ``--members`` one-class models (batch 128, MSE, the real
:func:`aeutils.detectors.training.train_autoencoders` loop on synthetic uint8 images) and
scores ``--score-images`` images per member with the real
:func:`aeutils.detectors.training.score_images`. It prints, per row:

- training and scoring throughput in GFLOP/s (FLOPs counted by
  ``torch.utils.flop_counter.FlopCounterMode`` on one forward + backward, resp.
  one forward, of the same ensemble);
- their share of a 2048×2048 matmul measured in the same run, in the arithmetic the run
  used (``--precision``, :data:`aeutils.registry.PRECISIONS`: fp32 is IEEE float32 on a
  CPU and TF32 on CUDA, fp32-strict float32, bf16 bfloat16); the matmul is measured in
  float32, bfloat16 and (CUDA) TF32 every time;
- the share of wall time the device was busy: on a CPU the process's CPU time over wall
  time (2.0 = two cores busy throughout), on CUDA the merged kernel time that
  ``torch.profiler`` records over the wall time of a separate, profiled pass;
- the share of the process's CPU time spent in the kernel (system time), which
  exposes allocator page-fault churn (see :mod:`aeutils.runtime`).

``--device`` picks the device (auto: CUDA when present). Every number is a ratio
measured in this run; absolute times vary with the machine.
``--allocators`` runs the whole measurement twice, in two fresh processes, with the C
library's malloc defaults (``AEUTILS_MALLOC=system``) and with aeutils' settings
(:mod:`aeutils.runtime`), and prints the speed-ups side by side. ``--workers N`` runs
it once in one process with all cores' threads, then in N concurrent processes that
split the threads, and prints the combined throughput of the N processes over the one
(what ``python -m aeutils grid --workers N`` exploits). ``--json`` writes every number
printed (docs/performance.md's tables quote that file).

    python benchmarks/bench_models.py               # all rows
    python benchmarks/bench_models.py --device cuda --precision bf16 --json build/bench_bf16.json
    python benchmarks/bench_models.py --device cpu --models basic --shapes 1x28x28 --members 2 \
        --train-images 256 --epochs 1 --score-images 256 --matmul-n 512   # seconds
    python benchmarks/bench_models.py --models conv --epochs 3
    python benchmarks/bench_models.py --allocators --json benchmarks/results/bench_models.json
    python benchmarks/bench_models.py --models conv basic vae --workers 2 \
        --json benchmarks/results/bench_workers.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import matmul_rate, repeated, spread, write_json  # benchmarks/common.py
from torch.utils.flop_counter import FlopCounterMode

from aeutils import runtime
from aeutils.config import RunConfig
from aeutils.detectors.losses import per_sample_loss
from aeutils.detectors.networks import MODELS, build_model
from aeutils.detectors.training import score_images, train_autoencoders
from aeutils.experiments.estimate import random_split
from aeutils.registry import DEFAULT_PRECISION, PRECISIONS

SHAPES = {"1x28x28": (1, 28, 28), "3x32x32": (3, 32, 32)}


def count_flops(model: str, shape, members: int, batch: int, backward: bool) -> float:
    """FLOPs of one forward (+ backward) of the ensemble on ``members × batch`` images.

    Counted on one member (an ordinary model) times ``members``: the counter's formula
    for the backward of a grouped convolution over-counts, and the useful work of K
    members is K times that of one.
    """
    net = build_model(model, shape, [0])
    x = torch.rand(1, batch, *shape)
    with FlopCounterMode(display=False) as fc:
        recon, kl = net(x)
        if backward:
            loss = per_sample_loss("mse", recon, x).sum()
            (loss + (kl.sum() if kl is not None else 0)).backward()
    return float(fc.get_total_flops()) * members


class CpuClock:
    """Wall, user and system seconds of this process over a ``with`` block (a CUDA device
    is synchronised at both ends, so its queued work is counted)."""

    def __init__(self, device: torch.device | None = None) -> None:
        cuda = device is not None and device.type == "cuda"
        self.sync = torch.cuda.synchronize if cuda else (lambda: None)

    def __enter__(self):
        self.sync()
        self.t, self.o = time.perf_counter(), os.times()
        return self

    def __exit__(self, *exc):
        self.sync()
        o = os.times()
        self.wall = time.perf_counter() - self.t
        self.user, self.sys = o.user - self.o.user, o.system - self.o.system

    @property
    def kernel_share(self) -> float:
        return self.sys / max(self.user + self.sys, 1e-9)

    @property
    def cpu_busy(self) -> float:
        """CPU seconds over wall seconds (a share of one core; up to the thread count)."""
        return (self.user + self.sys) / max(self.wall, 1e-9)


def merged_seconds(spans: list[tuple[float, float]]) -> float:
    """Length of the union of (start, end) intervals (overlapping kernels counted once)."""
    total, end = 0.0, -float("inf")
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def cuda_busy(run) -> float:
    """Share of the wall time of ``run()`` in which the GPU ran kernels: the union of the
    kernel intervals ``torch.profiler`` records over the synchronised wall time (NaN when
    the profiler records no kernel)."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        t = time.perf_counter()
        run()
        torch.cuda.synchronize()
        wall = time.perf_counter() - t
    spans = [(e.time_range.start, e.time_range.end) for e in prof.events()
             if e.device_type == DeviceType.CUDA]
    return merged_seconds(spans) / 1e6 / wall if spans else float("nan")


def bench(model: str, shape, members: int, n_train: int, epochs: int, n_score: int,
          device: torch.device, precision: str = DEFAULT_PRECISION) -> dict:
    configs = [RunConfig(model=model, loss="mse", normal_class=k, epochs=epochs, seed=k,
                         precision=precision) for k in range(members)]
    splits = [random_split(n_train, shape, k) for k in range(members)]
    train_autoencoders([c.replace(epochs=1) for c in configs], splits, device)  # warm-up
    with CpuClock(device) as train:
        net = train_autoencoders(configs, splits, device)
    steps = epochs * -(-n_train // 128)
    train_flops = count_flops(model, shape, members, 128, backward=True) * steps
    xs = [random_split(n_score, shape, 100 + k).train_x for k in range(members)]
    score_images(net, "mse", [x[:256] for x in xs], device, precision=precision)  # warm-up
    with CpuClock(device) as score:
        score_images(net, "mse", xs, device, precision=precision)
    score_flops = count_flops(model, shape, members, n_score, backward=False)
    if device.type == "cuda":  # separate passes: the profiler slows the host
        busy = (cuda_busy(lambda: train_autoencoders([c.replace(epochs=1) for c in configs],
                                                     splits, device)),
                cuda_busy(lambda: score_images(net, "mse", xs, device, precision=precision)))
    else:
        busy = (train.cpu_busy, score.cpu_busy)
    return {"train_gflops": train_flops / train.wall / 1e9, "train_kernel": train.kernel_share,
            "score_gflops": score_flops / score.wall / 1e9, "score_kernel": score.kernel_share,
            "train_busy": busy[0], "score_busy": busy[1],
            "train_img_s": members * n_train * epochs / train.wall,
            "score_img_s": members * n_score / score.wall}


def peak_arithmetic(device: torch.device, precision: str) -> str:
    """The matmul a run of ``precision`` does on ``device``: what its share is taken of."""
    if precision == "bf16":
        return "bf16"
    return "tf32" if device.type == "cuda" and precision == "fp32" else "fp32"


def pick(name: str) -> torch.device:
    """``--device``: auto is CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device here; valid choices here: auto, cpu")
    return torch.device(name)


def measure(a) -> dict:
    device = pick(a.device)
    kinds = ("fp32", "tf32", "bf16") if device.type == "cuda" else ("fp32", "bf16")
    peaks = {k: matmul_rate(a.matmul_n, device=str(device), arithmetic=k) for k in kinds}
    peak = peaks[peak_arithmetic(device, a.precision)]
    rows = []
    for model in a.models:
        for name in a.shapes:
            r = bench(model, SHAPES[name], a.members, a.train_images, a.epochs, a.score_images,
                      device, a.precision)
            r.update(model=model, image=name, train_share=r["train_gflops"] / peak,
                     score_share=r["score_gflops"] / peak)
            rows.append(r)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return {"machine": gpu or platform.processor() or platform.machine(), "device": device.type,
            "precision": a.precision, "peak_arithmetic": peak_arithmetic(device, a.precision),
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "allocator": runtime.describe(), "matmul_n": a.matmul_n,
            "matmul_gflops": peaks["fp32"], **{f"matmul_{k}_gflops": v for k, v in peaks.items()},
            "members": a.members, "train_images": a.train_images, "epochs": a.epochs,
            "score_images": a.score_images, "rows": rows}


def print_table(res: dict) -> None:
    print(f"{res['machine']} ({res.get('device', 'cpu')}), {res['threads']} threads, torch "
          f"{res['torch']}; allocator: {res['allocator']}; precision {res.get('precision', 'fp32')}")
    peaks = "; ".join(f"{k} {spread(res, f'matmul_{k}_gflops')}" for k in ("fp32", "tf32", "bf16")
                      if f"matmul_{k}_gflops" in res)
    print(f"median (min–max) of {res.get('repeats', 1)} runs; {res.get('matmul_n', 2048)}² matmul "
          f"GFLOP/s: {peaks} (shares below: of {res.get('peak_arithmetic', 'fp32')}); "
          f"{res['members']} members x batch 128, {res['train_images']} images/member, "
          f"{res['epochs']} epochs; scoring {res['score_images']} images/member; busy: "
          + ("GPU kernel time / wall" if res.get("device") == "cuda" else "CPU time / wall") + "\n")
    print("| model | image | train GFLOP/s | % of matmul | busy | kernel % | score GFLOP/s "
          "| % of matmul | busy | kernel % | train img/s | score img/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in res["rows"]:
        print(f"| {r['model']} | {r['image']} | {spread(r, 'train_gflops')} "
              f"| {spread(r, 'train_share', '.0f', 100, '%')} | {spread(r, 'train_busy', '.2f')} "
              f"| {r['train_kernel']:.0%} "
              f"| {spread(r, 'score_gflops')} | {spread(r, 'score_share', '.0f', 100, '%')} "
              f"| {spread(r, 'score_busy', '.2f')} | {r['score_kernel']:.0%} "
              f"| {spread(r, 'train_img_s', '.0f')} | {spread(r, 'score_img_s', '.0f')} |")


def _measure_in(a, envs: list[dict]) -> list[dict]:
    """The measurement in one fresh process per environment, all running at once."""
    args = [sys.argv[0], "--models", *a.models, "--members", str(a.members), "--train-images",
            str(a.train_images), "--epochs", str(a.epochs), "--score-images", str(a.score_images),
            "--shapes", *a.shapes, "--device", a.device, "--precision", a.precision,
            "--matmul-n", str(a.matmul_n),
            "--repeats", "1"]  # the caller repeats the whole comparison
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"r{i}.json" for i in range(len(envs))]
        procs = [subprocess.Popen([sys.executable, *args, "--json", str(path)],
                                  env={**os.environ, **env}, stdout=subprocess.DEVNULL)
                 for path, env in zip(paths, envs)]
        if any(p.wait() for p in procs):
            raise SystemExit("a measuring process failed")
        return [json.loads(path.read_text()) for path in paths]


def compare_allocators(a) -> dict:
    """The measurement in two fresh processes, one after the other: C library defaults,
    then aeutils' settings."""
    out = {mode: _measure_in(a, [{"AEUTILS_MALLOC": "system" if mode == "system" else ""}])[0]
           for mode in ("system", "tuned")}
    speedups = []
    for s_row, t_row in zip(out["system"]["rows"], out["tuned"]["rows"]):
        speedups.append({"model": s_row["model"], "image": s_row["image"],
                         "train_speedup": t_row["train_img_s"] / s_row["train_img_s"],
                         "score_speedup": t_row["score_img_s"] / s_row["score_img_s"],
                         "train_kernel_system": s_row["train_kernel"],
                         "train_kernel_tuned": t_row["train_kernel"],
                         "score_kernel_system": s_row["score_kernel"],
                         "score_kernel_tuned": t_row["score_kernel"]})
    out["speedups"] = speedups
    return out


def compare_workers(a) -> dict:
    """One process with every core's threads, then ``a.workers`` concurrent processes that
    share the cores; the speed-up is the processes' combined throughput over the one's."""
    cores = runtime.cores()
    threads = max(1, cores // a.workers)
    out = {"cores": cores, "workers": a.workers, "threads_per_worker": threads,
           "one_process": _measure_in(a, [{"OMP_NUM_THREADS": str(cores)}])[0],
           "processes": _measure_in(a, [{"OMP_NUM_THREADS": str(threads)}] * a.workers)}
    rows = []
    for i, one in enumerate(out["one_process"]["rows"]):
        many = [p["rows"][i] for p in out["processes"]]
        rows.append({"model": one["model"], "image": one["image"],
                     **{f"{k}_speedup": sum(m[f"{k}_img_s"] for m in many) / one[f"{k}_img_s"]
                        for k in ("train", "score")}})
    out["speedups"] = rows
    return out


def main() -> None:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="*", default=list(MODELS), help="autoencoders to measure")
    p.add_argument("--members", type=int, default=10, help="models trained as one group")
    p.add_argument("--train-images", type=int, default=1280, help="training images per member")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up)")
    p.add_argument("--score-images", type=int, default=2000, help="scored images per member")
    p.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=list(SHAPES),
                   help="image shapes to measure")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where to measure (auto: CUDA when present)")
    p.add_argument("--precision", default=DEFAULT_PRECISION, choices=list(PRECISIONS),
                   help="RunConfig.precision of the measured runs")
    p.add_argument("--matmul-n", type=int, default=2048, help="size of the reference matmul")
    p.add_argument("--allocators", action="store_true",
                   help="measure with the C library's malloc and with aeutils' settings")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="compare one process using every core with N concurrent processes")
    p.add_argument("--repeats", type=int, default=3,
                   help="whole measurements, at least 3 (1: one, as a comparison's child runs)")
    p.add_argument("--json", default=None, help="also write every number to this JSON file")
    a = p.parse_args()
    if a.workers and a.allocators:
        p.error("--workers and --allocators are separate measurements: give one")
    if a.repeats == 1 and not (a.workers or a.allocators):  # a child of a comparison
        write_json(a.json, measure(a))
        return
    if a.workers:
        res = repeated(lambda: compare_workers(a), a.repeats)
        print(f"{res['cores']} cores: 1 process x {res['cores']} threads vs {res['workers']} "
              f"processes x {res['threads_per_worker']} thread(s), running at once\n")
        print("| model | image | training speed-up | scoring speed-up |")
        print("|---|---|---|---|")
        for r in res["speedups"]:
            print(f"| {r['model']} | {r['image']} | {spread(r, 'train_speedup', '.2f', unit='×')} "
                  f"| {spread(r, 'score_speedup', '.2f', unit='×')} |")
    elif a.allocators:
        res = repeated(lambda: compare_allocators(a), a.repeats)
        for mode in ("system", "tuned"):
            print_table(res[mode])
            print()
        print("| model | image | training speed-up | scoring speed-up | kernel % training "
              "(system → tuned) | kernel % scoring (system → tuned) |")
        print("|---|---|---|---|---|---|")
        for r in res["speedups"]:
            print(f"| {r['model']} | {r['image']} | {spread(r, 'train_speedup', '.2f', unit='×')} "
                  f"| {spread(r, 'score_speedup', '.2f', unit='×')} | {r['train_kernel_system']:.0%} → "
                  f"{r['train_kernel_tuned']:.0%} | {r['score_kernel_system']:.0%} → "
                  f"{r['score_kernel_tuned']:.0%} |")
    else:
        res = repeated(lambda: measure(a), a.repeats)
        print_table(res)
    write_json(a.json, res)


if __name__ == "__main__":
    main()
