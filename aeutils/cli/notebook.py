"""One call that sets up a notebook: its paths, figure folder, style, datasets, numbers.

Every notebook starts with :func:`notebook_setup` and ends with :meth:`Notebook.conclude`,
so the parameters a notebook declares (``profile``, ``datasets``, ``figures``, ``results``)
mean the same in all of them and under ``python -m aeutils reproduce``.

Datasets are a list: each entry is a logical name of the profile's blocks (``mnist``,
``cifar10``) or ``logical=actual`` to load another dataset in its place (e.g.
``cifar10=folder:data/cifar10-jpeg``). Numbers files follow one rule, wherever the
notebook runs: ``<figures>/numbers/<notebook>_numbers.json``. Relative paths are the
repository's, in JupyterLab (kernel in ``notebooks/``) as under papermill.
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

    def path(self, path: str | os.PathLike | None) -> Path | None:
        """A path the notebook was given, as the repository's (:func:`repo_path`)."""
        return None if path is None else repo_path(path)

    def export_table(self, df, name: str, caption: str = "", digits: int = 4) -> list[Path]:
        """Write table ``name`` as Markdown and LaTeX into ``<figures>/tables``."""
        from ..report import export_table

        return export_table(df, name, self.figures / "tables", caption, digits)

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


def repo_path(path: str | os.PathLike) -> Path:
    """``path`` as the notebooks mean it: a relative path is the repository's, wherever the
    kernel runs (JupyterLab starts it in ``notebooks/``, papermill in the repository)."""
    path = Path(path).expanduser()
    return (path if path.is_absolute() else REPO_ROOT / path).resolve()


def resolve_datasets(datasets: Iterable[str] | str) -> dict[str, str]:
    """Logical name → what to load on this machine (:func:`dataset_map`, then the offline
    CIFAR-10 copy), with ``folder:`` paths made the repository's (:func:`repo_path`)."""
    from ..data.datasets import FOLDER_PREFIX, resolve_dataset

    out = {}
    for logical, actual in dataset_map(datasets).items():
        actual = resolve_dataset(actual)
        if actual.startswith(FOLDER_PREFIX):
            actual = FOLDER_PREFIX + str(repo_path(actual[len(FOLDER_PREFIX):]))
        out[logical] = actual
    return out


def notebook_setup(name: str, profile: str, datasets: Iterable[str] | str = DEFAULT_DATASETS,
                   figures: str | os.PathLike = "figures", results: str | None = None,
                   load: bool = True) -> Notebook:
    """Prepare notebook ``name`` for ``profile``: resolve its paths as the repository's
    (:func:`repo_path`: the figure folder, the results table, image folders), apply the plot
    style, resolve the datasets (and with ``load``, load them once, so a missing dataset
    stops the notebook here with its one-line fix) and open the results store. It changes
    neither the working directory nor the environment: the returned :class:`Notebook`
    carries the resolved paths, and its ``save`` and ``export_table`` write under
    ``figures``."""
    from .. import plots, report, runtime
    from ..data.datasets import load_dataset
    from ..experiments.grid import profile_blocks
    from ..experiments.store import ResultsStore, default_path

    profile_blocks(profile)  # an unknown profile fails here, with the choices
    runtime.tune_malloc()  # the kernel trains: an entry point's call (aeutils/runtime.py)
    figures = repo_path(figures)
    plots.set_style()
    resolved = resolve_datasets(datasets)
    if load:
        for actual in resolved.values():
            load_dataset(actual)
    note = report.profile_note(profile)
    return Notebook(name=name, profile=profile, datasets=resolved, figures=figures,
                    save=_shown_saver(plots.saver(notebook=name, profile=profile,
                                                  folder=figures)),
                    store=ResultsStore(repo_path(results or default_path())), note=note,
                    numbers={"profile": profile, "settings": note})
