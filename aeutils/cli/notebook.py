"""One call that sets up a notebook: working directory, figure folder, style, datasets, numbers.

Every notebook starts with :func:`notebook_setup` and ends with :meth:`Notebook.conclude`,
so the parameters a notebook declares (``profile``, ``datasets``, ``figures``, ``results``)
mean the same in all of them and under ``python -m aeutils reproduce``.

Datasets are a list: each entry is a logical name of the profile's blocks (``mnist``,
``cifar10``) or ``logical=actual`` to load another dataset in its place (e.g.
``cifar10=folder:data/cifar10-jpeg``). Numbers files follow one rule, wherever the
notebook runs: ``<figures>/numbers/<notebook>_numbers.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..provenance import ROOT

DEFAULT_DATASETS = ("mnist", "cifar10")
REPO_ROOT = ROOT  # the checkout holding ``aeutils``


def dataset_map(entries: Iterable[str] | str) -> dict[str, str]:
    """``["mnist", "cifar10=folder:x"]`` → ``{"mnist": "mnist", "cifar10": "folder:x"}``
    (logical name → what to load, in the given order; a space-separated string works too)."""
    from ..registry import ConfigError

    if isinstance(entries, str):
        entries = entries.split()
    out: dict[str, str] = {}
    for entry in entries:
        logical, sep, actual = str(entry).partition("=")
        logical, actual = logical.strip(), actual.strip()
        if not logical or (sep and not actual):
            raise ConfigError(f"a dataset is NAME or NAME=DATASET (e.g. cifar10=folder:path), "
                              f"got {entry!r}")
        out[logical] = actual if sep else logical
    if not out:
        raise ConfigError("give at least one dataset (e.g. mnist)")
    return out


def numbers_folder(figures: str | os.PathLike) -> Path:
    """Where a notebook writes its numbers file: ``<figures>/numbers``, beside its figures."""
    return Path(figures) / "numbers"


@dataclass
class Notebook:
    """What a notebook's cells share: its profile, datasets (logical → resolved), figure
    saver, results store and the numbers it will write."""

    name: str
    profile: str
    datasets: dict[str, str]
    figures: Path
    save: Callable
    store: object | None = None
    note: str = ""
    numbers: dict = field(default_factory=dict)

    def label(self, key: str) -> str:
        """The display label of dataset ``key`` (e.g. "CIFAR-10 (JPEG copy)")."""
        from ..data.datasets import display_name

        return display_name(self.datasets[key])

    def configs(self, group: str | None = None, blocks: Sequence[str] | None = None,
                **overrides) -> list:
        """The profile's configs of block group ``group`` (or ``blocks``) on this notebook's
        datasets only (derived blocks: once the store holds their source)."""
        from ..experiments.grid import block_group, profile_configs

        if group is not None:
            blocks = block_group(self.profile, group)
            if not blocks:
                return []
        return profile_configs(self.profile, self.datasets, blocks, store=self.store,
                               only_datasets=tuple(self.datasets), **overrides)

    def write(self) -> Path:
        """Write the numbers file (``<figures>/numbers/<notebook>_numbers.json``)."""
        from ..report import write_numbers

        return write_numbers(self.numbers, self.name, numbers_folder(self.figures))

    def conclude(self, sentences: list[str]):
        """Record the "What we see" sentences in the numbers file and return them as
        Markdown for the notebook's last cell to display."""
        from IPython.display import Markdown

        self.numbers["findings"] = list(sentences)
        self.write()
        return Markdown("\n".join(f"- {s}" for s in sentences) or "- nothing measured yet")


FIGURE_METADATA = "aeutils_figure"  # output metadata: the saved figure an image shows


def _shown_saver(save: Callable) -> Callable:
    """``save`` that then shows the figure once, tagged with its name (so a published
    copy of the notebook links the saved PNG instead of embedding the image again)."""

    def save_and_show(fig, name: str, **kwargs) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        save(fig, name, **kwargs)
        display(fig, metadata={FIGURE_METADATA: name})
        plt.close(fig)

    return save_and_show


def notebook_setup(name: str, profile: str, datasets: Iterable[str] | str = DEFAULT_DATASETS,
                   figures: str | os.PathLike = "figures", results: str | None = None,
                   load: bool = True) -> Notebook:
    """Prepare notebook ``name`` for ``profile``: run from the repository root (relative
    paths mean the same as for the CLI), save figures into ``figures``, apply the plot
    style, resolve (and with ``load``, load once, so a missing dataset stops the notebook
    here with its one-line fix) the datasets, and open the results store."""
    from .. import plots, report, runtime
    from ..data.datasets import load_dataset, resolve_dataset
    from ..experiments.grid import profile_blocks
    from ..experiments.store import ResultsStore

    profile_blocks(profile)  # an unknown profile fails here, with the choices
    runtime.tune_malloc()  # the kernel trains: an entry point's call (aeutils/runtime.py)
    os.chdir(REPO_ROOT)  # first: relative paths are the repository's, as for the CLI
    figures = Path(figures).expanduser().resolve()
    os.environ["AEUTILS_FIGURES"] = str(figures)
    plots.set_style()
    resolved = {k: resolve_dataset(v) for k, v in dataset_map(datasets).items()}
    if load:
        for actual in resolved.values():
            load_dataset(actual)
    note = report.profile_note(profile)
    return Notebook(name=name, profile=profile, datasets=resolved, figures=figures,
                    save=_shown_saver(plots.saver(notebook=name, profile=profile)),
                    store=ResultsStore(results), note=note,
                    numbers={"profile": profile, "settings": note})
