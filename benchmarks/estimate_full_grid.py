"""Estimate the cost of the thesis's full grid on this machine from measured pieces.

For every (dataset, autoencoder, loss) it trains the ten one-class models of
the grid as one batched group for ``--epochs`` epochs on ``--max-train`` images
per class and scores the validation and test sets once, timing both. The full
grid (``--profile full``'s main block: 200 epochs, 11 contamination levels,
checkpoints 1, 2, 5, 10, 20, 50, 100, 200) is then extrapolated:

    per group and level:  200 · t_epoch · (n_class / max_train) · (1 + c/100)  +  8 · t_eval

(training cost is linear in the number of training images, contamination c %
adds c % more of them; scoring does not depend on either). It prints the table
and the total in hours. It measures only this machine: no GPU figure is made up.

    AEUTILS_DATA=../shared/data python benchmarks/estimate_full_grid.py \\
        --cifar10 folder:../shared/data/cifar10-jpeg
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from aeutils.config import RunConfig
from aeutils.data import load_dataset, split_for
from aeutils.grid import ALL_AUTOENCODERS, ALL_LOSSES, PROFILES
from aeutils.train import pick_device, score_images, train_autoencoders


def time_group(dataset: str, model: str, loss: str, epochs: int, max_train: int,
               device) -> tuple[float, float, float]:
    """(seconds per training epoch, seconds per evaluation, mean normal images per class)."""
    configs = [RunConfig(dataset=dataset, model=model, loss=loss, normal_class=c, epochs=epochs,
                         max_train=max_train) for c in range(10)]
    splits = [split_for(c)[1] for c in configs]
    t0 = time.perf_counter()
    trained = train_autoencoders(configs, splits, device)
    t_epoch = (time.perf_counter() - t0) / epochs
    t0 = time.perf_counter()
    score_images(trained, loss, [s.val_x for s in splits], device)
    score_images(trained, loss, [s.test_x for s in splits], device)
    t_eval = time.perf_counter() - t0
    data = load_dataset(dataset)
    per_class = float(torch.bincount(data.train_y).float().mean()) * 0.9  # minus validation
    return t_epoch, t_eval, per_class


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mnist", default="mnist")
    p.add_argument("--cifar10", default="cifar10")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-train", type=int, default=1000)
    a = p.parse_args()
    device = pick_device()
    full = PROFILES["full"][0]
    levels = full.contaminations
    n_evals = len({c for c in full.checkpoints if c <= full.epochs} | {full.epochs})
    growth = sum(1 + c / 100 for c in levels)  # Σ over levels of the training-set factor
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} "
          f"threads, torch {torch.__version__}, device {device}")
    print(f"full grid: {full.epochs} epochs, {len(levels)} contamination levels, {n_evals} "
          f"evaluations per run, 10 classes per group; measured on {a.max_train} images/class")
    print(f"{'dataset':<10}{'model':<7}{'loss':<10}{'s/epoch(10)':>12}{'s/eval(10)':>11}"
          f"{'grid hours':>11}")
    total = 0.0
    for key, name in (("mnist", a.mnist), ("cifar10", a.cifar10)):
        for model in ALL_AUTOENCODERS:
            for loss in ALL_LOSSES:
                t_epoch, t_eval, per_class = time_group(name, model, loss, a.epochs,
                                                        a.max_train, device)
                scale = per_class / a.max_train
                seconds = full.epochs * t_epoch * scale * growth + len(levels) * n_evals * t_eval
                total += seconds
                print(f"{key:<10}{model:<7}{loss:<10}{t_epoch * scale:>12.2f}{t_eval:>11.2f}"
                      f"{seconds / 3600:>11.2f}", flush=True)
    print(f"total: {total / 3600:.1f} hours ({total / 86400:.1f} days) for "
          f"{2 * len(ALL_AUTOENCODERS) * len(ALL_LOSSES) * len(levels) * 10} runs")


if __name__ == "__main__":
    main()
