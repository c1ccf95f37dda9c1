"""Every environment variable aeutils reads, in one table: name, default and meaning.

The one module that reads the environment; every other module asks it. A value is read
when asked, never at import, so ``monkeypatch.setenv`` in a test, or a parent process
choosing for its children, holds. An empty value counts as unset. A leaf: it imports
nothing of aeutils. ``python -m aeutils.settings`` prints the table as Markdown (the one
in docs/usage.md; ``tests/test_settings.py`` keeps the two equal).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default (None: unset means "not given") and meaning."""

    name: str
    default: str | None
    meaning: str


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("AEUTILS_DATA", "data", "the datasets: torchvision's folders (`MNIST/raw`, …) and "
            "the offline copies (`cifar10-jpeg/`)"),
    Setting("AEUTILS_CACHE", "~/.cache/aeutils", "decoded datasets and pretrained features, "
            "keyed by content"),
    Setting("AEUTILS_RESULTS", "results/results.jsonl", "the results table where no "
            "`--results` (or `results=`) names one"),
    Setting("AEUTILS_FIGURES", "figures", "the folder figures, `tables/` and `numbers/` are "
            "saved into"),
    Setting("AEUTILS_PROFILE", "quick", "the profile a notebook runs when opened in JupyterLab "
            "(`reproduce` passes its own)"),
    Setting("AEUTILS_DEVICE", None, "`cpu`, `cuda` or `mps` where no `--device` (or `device=`) "
            "names one; unset: CUDA, then MPS, then the CPU"),
    Setting("AEUTILS_MALLOC", None, "`system`: keep the C library's malloc defaults where an "
            "entry point would tune them (`aeutils.runtime.tune_malloc`)"),
    Setting("AEUTILS_COMMIT", None, "the commit a copy of the checkout without `.git` came "
            "from, stamped on records and figures"),
    Setting("AEUTILS_SNAPSHOT_SECONDS", "300", "seconds between snapshots of a group in "
            "training (0: every epoch)"),
    Setting("AEUTILS_PROGRESS_FILE", None, "a file that progress lines are appended to as well "
            "(`reproduce` tails it)"),
    Setting("AEUTILS_SCORES_READ", None, "a file that the name of every score file read is "
            "appended to (`reproduce --render --prune`)"),
    Setting("AEUTILS_FIGURES_SAVED", None, "a file that the name of every figure saved is "
            "appended to (a render of every notebook then drops the figures it did not save)"),
    Setting("AEUTILS_WORKER", None, "set by the grid in each of its `--workers` processes: the "
            "number its progress lines show"),
    Setting("AEUTILS_LAYOUT", "raise", "what saving a figure that fails the layout check "
            "does: `raise`, or `warn` (write it, warn, record it in the manifest)"),
    Setting("AEUTILS_TEST_DEVICE", "cpu", "the device the test suite trains on "
            "(`scripts/cuda_check.sh` sets `cuda`)"),
)}


def _setting(name: str) -> Setting:
    if name not in SETTINGS:
        raise KeyError(f"{name} is not an aeutils setting; known: {', '.join(SETTINGS)}")
    return SETTINGS[name]


def given(name: str) -> str | None:
    """The value of ``name`` now, None when unset or empty (its default not applied)."""
    return os.environ.get(_setting(name).name) or None


def get(name: str) -> str | None:
    """The value of ``name`` now, or its default when unset or empty."""
    return given(name) or SETTINGS[name].default


def path(name: str) -> Path | None:
    """The value of ``name`` as a path (``~`` expanded), or None when it has no value."""
    value = get(name)
    return None if value is None else Path(value).expanduser()


def number(name: str) -> float:
    """The value of ``name`` as a number; a value that is none says so in one line."""
    value = get(name)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is not a number") from None


def put(name: str, value: str) -> None:
    """Set ``name`` for this process and the processes it starts (a grid's worker names
    itself so)."""
    os.environ[_setting(name).name] = str(value)


@contextmanager
def overridden(**values: str) -> Iterator[None]:
    """Set the given settings for the duration of a ``with`` block, then restore them."""
    old = {_setting(k).name: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def markdown() -> str:
    """The table as Markdown: variable, default, meaning."""
    rows = [f"| `{s.name}` | {f'`{s.default}`' if s.default else 'unset'} | {s.meaning} |"
            for s in SETTINGS.values()]
    return "\n".join(["| variable | default | meaning |", "|---|---|---|", *rows]) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
