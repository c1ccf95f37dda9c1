"""Pieces the side-by-side benchmarks share."""

from __future__ import annotations

import time

import numpy as np
import torch


def matmul_gflops(n: int = 2048, repeats: int = 7) -> float:
    """Median GFLOP/s of an n×n float32 matmul: the peak the benchmarks compare against."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n**3 / float(np.median(times)) / 1e9
