"""Pieces the side-by-side benchmarks share."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch


def matmul_gflops(n: int = 2048, repeats: int = 7) -> float:
    """Median GFLOP/s of an n×n float32 matmul on the CPU: the peak the benchmarks compare
    against (:func:`matmul_rate` on the CPU in fp32)."""
    return matmul_rate(n, repeats)


def matmul_rate(n: int = 2048, repeats: int = 7, device: str = "cpu",
                arithmetic: str = "fp32") -> float:
    """Median GFLOP/s of an n×n matmul on ``device`` in ``arithmetic``: ``fp32`` (IEEE float32,
    TF32 off), ``tf32`` (float32 tensors, TF32 tensor cores; CUDA only) or ``bf16``
    (bfloat16 tensors). The device is synchronised around each product."""
    dtype = torch.bfloat16 if arithmetic == "bf16" else torch.float32
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    cuda = torch.device(device).type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = arithmetic == "tf32"
    try:
        a @ b
        times = []
        for _ in range(repeats):
            sync()
            t = time.perf_counter()
            a @ b
            sync()
            times.append(time.perf_counter() - t)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before
    return 2 * n**3 / float(np.median(times)) / 1e9


def write_json(path: str | None, numbers: dict) -> None:
    """Write a benchmark's numbers where the documents' tables read them (no-op without a path)."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(numbers, indent=1) + "\n")


def repeated(measure: Callable[[], dict], repeats: int) -> dict:
    """Run ``measure`` ``repeats`` times in this process and combine the results: every
    number that varies becomes its median over the runs, with the spread beside it as
    ``<name>_min`` and ``<name>_max`` (so readers of the median keep working); settings that
    do not vary stay as they are; ``repeats`` says how many.
    One run on a shared machine is one draw of its load, not a measurement."""
    if repeats < 3:
        raise SystemExit(f"--repeats must be at least 3 for a median and a spread, got {repeats}")
    runs = [measure() for _ in range(repeats)]
    return {**_combine(runs), "repeats": repeats}


def _combine(values: list):
    first = values[0]
    if isinstance(first, dict):
        out = {}
        for k in first:
            vs = [v[k] for v in values]
            out[k] = _combine(vs)
            if _is_number(first[k]) and len(set(vs)) > 1:  # settings (threads, epochs) stay
                out[f"{k}_min"], out[f"{k}_max"] = min(vs), max(vs)
        return out
    if isinstance(first, list) and all(len(v) == len(first) for v in values):
        return [_combine(list(vs)) for vs in zip(*values)]
    if _is_number(first) and len(set(values)) > 1:
        return float(np.median(values))
    return first


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def spread(row: dict, key: str, spec: str = ".1f", scale: float = 1.0, unit: str = "") -> str:
    """``median (min–max)`` of ``key`` in a row that :func:`repeated` combined."""
    lo, hi = row.get(f"{key}_min", row[key]), row.get(f"{key}_max", row[key])
    return (f"{row[key] * scale:{spec}}{unit} ({lo * scale:{spec}}–{hi * scale:{spec}}{unit})")
