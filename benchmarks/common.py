"""Pieces the side-by-side benchmarks share."""

from __future__ import annotations

import json
import time
from pathlib import Path

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


def write_json(path: str | None, numbers: dict) -> None:
    """Write a benchmark's numbers where the documents' tables read them (no-op without a path)."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(numbers, indent=1) + "\n")
