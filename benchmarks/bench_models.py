"""Training and scoring throughput of each autoencoder, against the matmul peak, side by side.

For every model (basic, conv, vae) and image shape (1×28×28, 3×32×32) it trains a
batched group of ``--members`` one-class models (batch 128, MSE, the real
:func:`aeutils.train.train_autoencoders` loop on synthetic uint8 images) and
scores ``--score-images`` images per member with the real
:func:`aeutils.train.score_images`. It prints, per row:

- training and scoring throughput in GFLOP/s (FLOPs counted by
  ``torch.utils.flop_counter.FlopCounterMode`` on one forward + backward, resp.
  one forward, of the same ensemble);
- their share of a 2048×2048 float32 matmul measured in the same run;
- the share of the process's CPU time spent in the kernel (system time), which
  exposes allocator page-fault churn (see :mod:`aeutils.runtime`).

Every number is a ratio measured in this run; absolute times vary with the machine.
``--allocators`` runs the whole measurement twice, in two fresh processes, with the C
library's malloc defaults (``AEUTILS_MALLOC=system``) and with aeutils' settings
(:mod:`aeutils.runtime`), and prints the speed-ups side by side. ``--workers N`` runs
it once in one process with all cores' threads, then in N concurrent processes that
split the threads, and prints the combined throughput of the N processes over the one
(what ``python -m aeutils grid --workers N`` exploits). ``--json`` writes every number
printed (docs/performance.md's tables quote that file).

    python benchmarks/bench_models.py               # all rows
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
from common import matmul_gflops, repeated, spread, write_json  # benchmarks/common.py
from torch.utils.flop_counter import FlopCounterMode

from aeutils import runtime
from aeutils.config import RunConfig
from aeutils.estimate import random_split
from aeutils.losses import per_sample_loss
from aeutils.models import MODELS, build_model
from aeutils.train import score_images, train_autoencoders

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
    """Wall, user and system seconds of this process over a ``with`` block."""

    def __enter__(self):
        self.t, self.o = time.perf_counter(), os.times()
        return self

    def __exit__(self, *exc):
        o = os.times()
        self.wall = time.perf_counter() - self.t
        self.user, self.sys = o.user - self.o.user, o.system - self.o.system

    @property
    def kernel_share(self) -> float:
        return self.sys / max(self.user + self.sys, 1e-9)


def bench(model: str, shape, members: int, n_train: int, epochs: int, n_score: int,
          device) -> dict:
    configs = [RunConfig(model=model, loss="mse", normal_class=k, epochs=epochs, seed=k)
               for k in range(members)]
    splits = [random_split(n_train, shape, k) for k in range(members)]
    train_autoencoders([c.replace(epochs=1) for c in configs], splits, device)  # warm-up
    with CpuClock() as train:
        net = train_autoencoders(configs, splits, device)
    steps = epochs * -(-n_train // 128)
    train_flops = count_flops(model, shape, members, 128, backward=True) * steps
    xs = [random_split(n_score, shape, 100 + k).train_x for k in range(members)]
    score_images(net, "mse", [x[:256] for x in xs], device)  # warm-up
    with CpuClock() as score:
        score_images(net, "mse", xs, device)
    score_flops = count_flops(model, shape, members, n_score, backward=False)
    return {"train_gflops": train_flops / train.wall / 1e9, "train_kernel": train.kernel_share,
            "score_gflops": score_flops / score.wall / 1e9, "score_kernel": score.kernel_share,
            "train_img_s": members * n_train * epochs / train.wall,
            "score_img_s": members * n_score / score.wall}


def measure(a) -> dict:
    device = torch.device("cpu")
    peak = matmul_gflops()
    rows = []
    for model in a.models:
        for name, shape in SHAPES.items():
            r = bench(model, shape, a.members, a.train_images, a.epochs, a.score_images, device)
            r.update(model=model, image=name, train_share=r["train_gflops"] / peak,
                     score_share=r["score_gflops"] / peak)
            rows.append(r)
    return {"machine": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "allocator": runtime.describe(), "matmul_gflops": peak, "members": a.members,
            "train_images": a.train_images, "epochs": a.epochs, "score_images": a.score_images,
            "rows": rows}


def print_table(res: dict) -> None:
    print(f"{res['machine']}, {res['threads']} threads, torch {res['torch']}; allocator: "
          f"{res['allocator']}")
    print(f"median (min–max) of {res.get('repeats', 1)} runs; 2048x2048 float32 matmul: "
          f"{spread(res, 'matmul_gflops')} GFLOP/s; {res['members']} "
          f"members x batch 128, {res['train_images']} images/member, {res['epochs']} epochs; "
          f"scoring {res['score_images']} images/member\n")
    print("| model | image | train GFLOP/s | % of matmul | kernel % | score GFLOP/s "
          "| % of matmul | kernel % | train img/s | score img/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in res["rows"]:
        print(f"| {r['model']} | {r['image']} | {spread(r, 'train_gflops')} "
              f"| {spread(r, 'train_share', '.0f', 100, '%')} | {r['train_kernel']:.0%} "
              f"| {spread(r, 'score_gflops')} | {spread(r, 'score_share', '.0f', 100, '%')} "
              f"| {r['score_kernel']:.0%} | {spread(r, 'train_img_s', '.0f')} "
              f"| {spread(r, 'score_img_s', '.0f')} |")


def _measure_in(a, envs: list[dict]) -> list[dict]:
    """The measurement in one fresh process per environment, all running at once."""
    args = [sys.argv[0], "--models", *a.models, "--members", str(a.members), "--train-images",
            str(a.train_images), "--epochs", str(a.epochs), "--score-images", str(a.score_images),
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
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="*", default=list(MODELS), help="autoencoders to measure")
    p.add_argument("--members", type=int, default=10, help="models trained as one group")
    p.add_argument("--train-images", type=int, default=1280, help="training images per member")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up)")
    p.add_argument("--score-images", type=int, default=2000, help="scored images per member")
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
