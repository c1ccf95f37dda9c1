"""The JupyterLab walkthrough: ``notebooks/01_data.ipynb`` run as JupyterLab runs it.

JupyterLab starts the kernel in ``notebooks/``, injects no parameters and passes only
its environment, so the notebook runs with its defaults: ``mnist``, ``cifar10`` (which
resolves to ``$AEUTILS_DATA/cifar10-jpeg`` offline) and ``profile`` from
``$AEUTILS_PROFILE``. The notebook takes its relative paths as the repository's and
writes ``figures/`` there, so these tests run a copy of the package and notebooks in a
temporary folder, never touching the checkout. Data is synthetic:
a fake ``AEUTILS_DATA`` with MNIST in torchvision's raw IDX format and a 32×32 RGB
``cifar10-jpeg`` image folder. The browser run of the same walkthrough is
``tests/browser_walkthrough.py`` (``pytest -m browser``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

from aeutils.cli.reproduce import repo_root

NOTEBOOK = "01_data.ipynb"
FIGURES = {f"01_{kind}_{key}" for kind in ("examples", "balance", "split")
           for key in ("mnist", "cifar10")}


def _write_idx(path: Path, array: np.ndarray) -> None:
    """torchvision's raw MNIST format: magic (2051 images / 2049 labels), big-endian dims."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 2051 if array.ndim == 3 else 2049
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    path.write_bytes(header + array.tobytes())


def _write_mnist(root: Path, data) -> None:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, split in (("train", "train"), ("t10k", "test")):
        x, y = getattr(data, f"{split}_x").numpy(), getattr(data, f"{split}_y").numpy()
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", x[:, 0])
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", y)


@pytest.fixture
def lab_repo(tmp_path, monkeypatch):
    """A copy of the checkout's package and notebooks; the kernel imports aeutils from it."""
    repo = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for sub in ("aeutils", "notebooks"):
        shutil.copytree(repo_root() / sub, repo / sub, ignore=ignore)
    monkeypatch.setenv("PYTHONPATH", str(repo))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for var in ("AEUTILS_FIGURES", "AEUTILS_PROFILE", "AEUTILS_DATA", "MPLBACKEND"):
        monkeypatch.delenv(var, raising=False)
    return repo


def _run_as_jupyterlab(repo: Path):
    """Execute the notebook as JupyterLab's "Run All Cells" does: no parameters injected,
    kernel cwd ``notebooks/``, only the environment; raises at the first error."""
    nb = nbformat.read(repo / "notebooks" / NOTEBOOK, as_version=4)
    ExecutePreprocessor(timeout=300, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(repo / "notebooks")}})
    return nb


def _error_outputs(nb) -> list[tuple[int, dict]]:
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.long(seconds=13)
def test_defaults_run_offline_from_aeutils_data(tmp_path, monkeypatch, lab_repo, grey_data,
                                                rgb_data):
    from conftest import write_folder

    data = tmp_path / "offline-data"
    _write_mnist(data, grey_data)  # 40 train + 12 test per class, 28×28
    write_folder(data / "cifar10-jpeg", rgb_data)  # 32×32 RGB, found by resolve_dataset
    monkeypatch.setenv("AEUTILS_DATA", str(data))
    monkeypatch.setenv("AEUTILS_PROFILE", "smoke")

    nb = _run_as_jupyterlab(lab_repo)

    assert not _error_outputs(nb)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert "AEUTILS_PROFILE" in params.source, "the profile must come from the environment"
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")

    figures = lab_repo / "figures"
    manifest = json.loads((figures / "MANIFEST.json").read_text())["figures"]
    assert {e["name"] for e in manifest} == FIGURES
    for entry in manifest:
        assert entry["profile"] == "smoke" and entry["notebook"] == "01_data"
        assert all((figures / f).stat().st_size > 0 for f in entry["files"])
    labels = {e["name"]: e["data"] for e in manifest}
    assert labels["01_examples_mnist"] == "MNIST"
    assert labels["01_examples_cifar10"] == "CIFAR-10 (JPEG copy)"

    numbers = json.loads((figures / "numbers" / "01_data_numbers.json").read_text())
    assert numbers["profile"] == "smoke"
    assert numbers["mnist"]["n_train"] == 400 and numbers["mnist"]["shape"] == [1, 28, 28]
    assert numbers["cifar10"]["label"] == "CIFAR-10 (JPEG copy)"
    assert numbers["cifar10"]["shape"] == [3, 32, 32] and numbers["cifar10"]["n_test"] == 120
    # The figures show inline too (the notebook cells display them).
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if "image/png" in o.get("data", {})]
    assert len(shown) >= len(FIGURES)


def test_without_data_the_notebook_stops_with_the_one_line_fix(tmp_path, monkeypatch, lab_repo):
    empty = tmp_path / "empty-data"
    empty.mkdir()
    monkeypatch.setenv("AEUTILS_DATA", str(empty))
    monkeypatch.setenv("AEUTILS_PROFILE", "smoke")
    # No download either: torchvision's fallback must fail fast and never fetch MNIST.
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)

    nb = nbformat.read(lab_repo / "notebooks" / NOTEBOOK, as_version=4)
    ep = ExecutePreprocessor(timeout=300, kernel_name="python3")
    with pytest.raises(CellExecutionError) as err:
        ep.preprocess(nb, {"metadata": {"path": str(lab_repo / "notebooks")}})

    assert err.value.ename == "DataNotFoundError"
    message = err.value.evalue
    assert "\n" not in message
    assert "Set AEUTILS_DATA to a folder that holds MNIST/" in message
    assert str(empty) in message
    # It stops before any figure is drawn: no half-written figure folder.
    errors = _error_outputs(nb)
    assert len(errors) == 1
    failing = nb.cells[errors[0][0]]
    assert "notebook_setup(" in failing.source
    assert not (lab_repo / "figures" / "MANIFEST.json").exists()
    assert not list(empty.rglob("*-ubyte")), "MNIST was downloaded"
