"""Ten one-class MNIST autoencoders, three ways, side by side in one process.

(a) this project's grid path (the ten models trained as one batched ensemble),
(b) PyOD's ``AutoEncoder`` configured the same, (c) a plain sequential PyTorch loop.
All three: 784-128-32-128-784 ReLU autoencoder, MSE, Adam 1e-3, batch 128, the
same training images (normal class, 90 % of it; the rest is the project's
validation split) and the full MNIST test set. PyOD's model has no output
sigmoid and drops the last partial batch (its own choices; nothing to configure).

Also reports the achieved training GFLOP/s of (a) against a 2048×2048 float32
matmul measured in the same run. Every process-wide setting (threads,
flush-denormal, the malloc tuning this script applies first) is the same for all three.

    AEUTILS_DATA=../shared/data python benchmarks/bench_vs_pyod.py --json benchmarks/results/bench_vs_pyod.json
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import numpy as np
import torch
from common import matmul_gflops, repeated, spread, write_json  # benchmarks/common.py
from sklearn.metrics import roc_auc_score
from torch import nn

from aeutils import runtime
from aeutils.config import RunConfig
from aeutils.data import load_dataset, make_split
from aeutils.experiments.runs import run_configs
from aeutils.experiments.store import ResultsStore

LAYERS = [(784, 128), (128, 32), (32, 128), (128, 784)]


def train_flops_per_sample() -> float:
    """Forward 2·W, backward 2·W (weight grads) + 2·W minus the first layer (input grads)."""
    w = sum(i * o for i, o in LAYERS)
    return 2 * w + 2 * w + 2 * (w - LAYERS[0][0] * LAYERS[0][1])


def project(classes, epochs) -> tuple[float, float, float]:
    cfgs = [RunConfig(dataset="mnist", model="basic", loss="mse", normal_class=c, epochs=epochs,
                      batch_size=128, lr=1e-3, hidden=(128,), latent_dim=32) for c in classes]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        recs = run_configs(cfgs, ResultsStore(os.path.join(tmp, "r.jsonl")), progress=False)
        wall = time.perf_counter() - t
    train_time = sum(r["train_seconds"] for r in recs)  # each is the group's time / K
    return wall, float(np.mean([r["auc"] for r in recs])), train_time


def pyod_run(splits, epochs) -> tuple[float, float]:
    from pyod.models.auto_encoder import AutoEncoder

    t, aucs = time.perf_counter(), []
    for c, s in splits.items():
        clf = AutoEncoder(hidden_neuron_list=[128, 32], batch_norm=False, dropout_rate=0.0,
                          preprocessing=False, epoch_num=epochs, batch_size=128, lr=1e-3,
                          optimizer_params={"weight_decay": 0.0}, verbose=0, random_state=c)
        clf.fit(s.train_x.flatten(1).float().numpy() / 255)
        scores = clf.decision_function(s.test_x.flatten(1).float().numpy() / 255)
        aucs.append(roc_auc_score(s.test_y.numpy(), scores))
    return time.perf_counter() - t, float(np.mean(aucs))


def plain_run(splits, epochs) -> tuple[float, float]:
    t, aucs = time.perf_counter(), []
    for c, s in splits.items():
        torch.manual_seed(c)
        net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU(),
                            nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x = s.train_x.flatten(1).float() / 255
        for _ in range(epochs):
            for idx in torch.randperm(len(x)).split(128):
                loss = ((net(x[idx]) - x[idx]) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            xt = s.test_x.flatten(1).float() / 255
            scores = ((net(xt) - xt) ** 2).mean(1)
        aucs.append(roc_auc_score(s.test_y.numpy(), scores.numpy()))
    return time.perf_counter() - t, float(np.mean(aucs))


def main() -> None:
    runtime.tune_malloc()  # an entry point that trains: see aeutils/runtime.py
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--classes", type=int, nargs="*", default=list(range(10)))
    ap.add_argument("--skip-pyod", action="store_true")
    ap.add_argument("--repeats", type=int, default=3, help="whole measurements, at least 3")
    ap.add_argument("--json", default=None, help="also write every number to this JSON file")
    args = ap.parse_args()

    data = load_dataset("mnist")  # decoded before any timing
    splits = {c: make_split(data, c, seed=0) for c in args.classes}
    res = repeated(lambda: measure(args, splits), args.repeats)
    peak = res["matmul_gflops"]
    print(f"\n{res['models']} one-class MNIST models, {args.epochs} epochs, batch 128, "
          f"{res['train_images']} training images in all; torch {res['torch']}, {res['threads']} "
          f"threads, {res['machine']}; median (min–max) of {res['repeats']} runs")
    print("| method | wall time (s) | mean test AUC | time / (a) |\n|---|---|---|---|")
    for r in res["rows"]:
        print(f"| {r['method']} | {spread(r, 'wall_seconds')} | {r['mean_auc']:.4f} "
              f"| {spread(r, 'time_ratio', '.2f')} |")
    print(f"\n(a) training: {spread(res, 'a_train_seconds')} s, {spread(res, 'a_train_gflops')} "
          f"GFLOP/s = {spread(res, 'a_peak_share', '.0f', 100, '%')} of the 2048×2048 float32 "
          f"matmul peak measured in the same runs ({peak:.1f} GFLOP/s)")
    write_json(args.json, res)


def measure(args, splits) -> dict:
    n_train = sum(len(s.train_x) for s in splits.values())
    peak = matmul_gflops()

    wall, auc, train_time = project(args.classes, args.epochs)
    rows = {"(a) aeutils grid (batched)": (wall, auc)}
    if not args.skip_pyod:
        import pyod

        rows[f"(b) PyOD {pyod.__version__} AutoEncoder"] = pyod_run(splits, args.epochs)
    rows["(c) plain PyTorch loop"] = plain_run(splits, args.epochs)
    gflops = train_flops_per_sample() * n_train * args.epochs / train_time / 1e9
    return {"models": len(args.classes), "epochs": args.epochs, "train_images": n_train,
           "torch": torch.__version__, "threads": torch.get_num_threads(),
           "machine": platform.processor() or platform.machine(), "matmul_gflops": peak,
           "rows": [{"method": name, "wall_seconds": w, "mean_auc": a, "time_ratio": w / wall}
                    for name, (w, a) in rows.items()],
           "a_train_seconds": train_time, "a_train_gflops": gflops, "a_peak_share": gflops / peak}

if __name__ == "__main__":
    main()
