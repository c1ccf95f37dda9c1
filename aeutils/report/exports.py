"""Profiles, numbers files and table exports (Markdown + LaTeX)."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..experiments.store import ResultsStore, on_accelerator
from ..files import atomic_write
from .records import final_records


# --- profiles, numbers and exports ----------------------------------------------------
def block_names(profile: str) -> list[str]:
    """Names of the blocks of ``profile``."""
    from ..experiments.profiles import PROFILES

    return [b.name for b in PROFILES[profile]]


def strategy_blocks(profile: str) -> dict[str, str]:
    """Derived selection blocks of ``profile``: block name → selection strategy."""
    from ..experiments.profiles import PROFILES

    return {b.name: b.strategy for b in PROFILES[profile] if b.select_from}


def selection_records(store: ResultsStore, profile: str,
                      datasets: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """Strategy → final records of its derived selection block (empty frames until run)."""
    return {strategy: block_records(store, profile, datasets, name)
            for name, strategy in strategy_blocks(profile).items()}


def block_records(store: ResultsStore, profile: str, datasets: Mapping[str, str],
                  name: str) -> pd.DataFrame | None:
    """Final-epoch records of the blocks ``name`` and ``name-…`` of ``profile`` (None if the
    profile has no such block); derived blocks are resolved against ``store``."""
    from ..experiments.grid import block_group, profile_configs

    names = block_group(profile, name)
    if not names:
        return None
    return final_records(store, profile_configs(profile, datasets, blocks=names, store=store))


def profile_progress(profile: str, datasets: Mapping[str, str],
                     store: ResultsStore) -> dict:
    """How much of ``profile`` ``store`` holds, and what it cost: distinct runs, runs stored
    with every checkpoint and :func:`compute_spent`, in all and per block (a run shared by
    two blocks counts in both)."""
    from ..experiments.grid import profile_configs
    from ..experiments.runs import pending

    def count(configs) -> dict:
        unique = list({c.key(): c for c in configs}.values())
        return {"runs": len(unique), "stored": len(unique) - len(pending(unique, store)),
                "compute": compute_spent(store, {c.key() for c in unique})}

    blocks = {name: count(profile_configs(profile, datasets, [name], store=store))
              for name in block_names(profile)}
    return {**count(profile_configs(profile, datasets, store=store)), "blocks": blocks}


def compute_spent(store: ResultsStore, keys: set[str]) -> dict:
    """What the stored runs among ``keys`` cost: CPU-hours of the runs trained on a CPU,
    training and scoring, and the training wall-hours of those trained on an accelerator.

    A record's ``cpu_seconds`` is its run's process CPU time so far (a group's shared by its
    members), so a run's cost is its largest. Records from before that field existed count
    their training wall time × threads instead, an estimate: it leaves out scoring and
    counts time spent waiting for the cores; how many runs were counted so is returned.
    On an accelerator the process's CPU time says little (the GPU does the work), so those
    runs count their training wall time (a group's shared by its members; groups of several
    workers on one GPU overlap, so the sum exceeds the wall time of the whole grid)."""
    cpu, estimated, accel = {}, {}, {}
    for r in store.records():
        k = r["key"]
        if k not in keys:
            continue
        if on_accelerator(r):
            accel[k] = max(accel.get(k, 0.0), float(r.get("train_seconds") or 0.0))
        elif r.get("cpu_seconds") is not None:
            cpu[k] = max(cpu.get(k, 0.0), float(r["cpu_seconds"]))
        else:
            wall = float(r.get("train_seconds") or 0.0) * int(r.get("threads") or 1)
            estimated[k] = max(estimated.get(k, 0.0), wall)
    estimated = {k: v for k, v in estimated.items() if k not in cpu}
    return {"cpu_hours": (sum(cpu.values()) + sum(estimated.values())) / 3600,
            "runs_measured": len(cpu), "runs_estimated": len(estimated),
            "estimated_cpu_hours": sum(estimated.values()) / 3600,
            "accelerator_runs": len(accel), "accelerator_train_hours": sum(accel.values()) / 3600}


def profile_note(profile: str, block: str = "main") -> str:
    """E.g. ``quick profile: 10 epochs, 2000 training images per class``."""
    from ..experiments.grid import ALL_CLASSES, profile_blocks
    from ..registry import AUTOENCODERS, LOSSES

    b = profile_blocks(profile, [block])[0] if block in block_names(profile) else \
        profile_blocks(profile)[0]
    images = f"{b.max_train} training images per class" if b.max_train else "all training images"
    parts = [f"{profile} profile: {b.epochs} epochs", images]
    if b.max_test:
        parts.append(f"{b.max_test} test images")
    if tuple(b.classes) != ALL_CLASSES:
        parts.append("classes " + ", ".join(map(str, b.classes)))
    if block == "main" and tuple(b.losses) != tuple(LOSSES):
        parts.append("losses " + ", ".join(b.losses))
    if block == "main" and tuple(b.models) != tuple(AUTOENCODERS):
        parts.append("autoencoders " + ", ".join(b.models))
    if len(b.seeds) > 1:
        parts.append(f"{len(b.seeds)} seeds")
    return ", ".join(parts)


def _plain(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        return None if math.isnan(float(o)) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Mapping):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    return o


def write_numbers(numbers: Mapping, notebook: str, folder: str | os.PathLike) -> Path:
    """Write ``<folder>/<notebook>_numbers.json`` (key numbers a test can check)."""
    path = Path(folder) / f"{notebook}_numbers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(_plain(numbers), indent=1, ensure_ascii=False) + "\n")
    return path


def _tables_dir(folder: str | os.PathLike | None) -> Path:
    from ..plots import figures_dir

    d = Path(folder) if folder is not None else figures_dir() / "tables"
    d.mkdir(parents=True, exist_ok=True)
    return d


def markdown_table(df: pd.DataFrame, digits: int = 4, compact: bool = False) -> str:
    """``df`` as a Markdown pipe table: the one table renderer of the figures' tables and of
    the documents' generated blocks (:mod:`aeutils.report.documents`).

    ``compact`` is for cells already formatted as text (``0.9123 ± 0.0046``, ``–``): they
    are printed as they are, and without padding, which would widen every row to its
    column's longest cell (a sentence, in some document tables)."""
    df = df.astype(object).where(df.notna(), None)  # NaN in text columns → empty cell
    text = df.to_markdown(index=False, floatfmt=f".{digits}f", missingval="",
                          disable_numparse=compact)
    if not compact:
        return text
    lines = text.splitlines()
    lines[1] = "|" + "---|" * len(df.columns)
    return "\n".join(re.sub(r" {2,}\|", " |", line) for line in lines)


def to_markdown(df: pd.DataFrame, name: str, folder: str | os.PathLike | None = None,
                caption: str = "", digits: int = 4) -> Path:
    """Write ``<figures>/tables/<name>.md`` (caption as a first paragraph); return its path."""
    path = _tables_dir(folder) / f"{name}.md"
    text = markdown_table(df, digits)
    path.write_text((f"{caption}\n\n" if caption else "") + text + "\n")
    return path


def to_latex(df: pd.DataFrame, name: str, folder: str | os.PathLike | None = None,
             caption: str = "", digits: int = 4) -> Path:
    """Write ``<figures>/tables/<name>.tex`` (a ``table`` float with caption); return its path."""
    path = _tables_dir(folder) / f"{name}.tex"
    text = df.to_latex(index=False, float_format=f"%.{digits}f", na_rep="", escape=True,
                       caption=caption or None, label=f"tab:{name}")
    path.write_text(text)
    return path


def export_table(df: pd.DataFrame, name: str, folder: str | os.PathLike | None = None,
                 caption: str = "", digits: int = 4) -> list[Path]:
    """Both :func:`to_markdown` and :func:`to_latex`."""
    return [to_markdown(df, name, folder, caption, digits),
            to_latex(df, name, folder, caption, digits)]
