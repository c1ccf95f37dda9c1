"""Shared fixtures: small synthetic datasets, never ../shared."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image

from aeutils import runtime, settings
from aeutils.data import ImageData


def class_images(n: int, c: int, channels: int = 1, size: int = 28, seed: int = 0) -> np.ndarray:
    """n uint8 images of class c: a bright bar whose position/angle depends on c, plus noise."""
    rng = np.random.default_rng(seed * 100 + c)
    yy, xx = np.mgrid[0:size, 0:size] / size
    ang = np.pi * c / 10
    out = np.empty((n, channels, size, size), dtype=np.uint8)
    for i in range(n):
        d = np.abs((xx - 0.5) * np.cos(ang) + (yy - 0.5) * np.sin(ang) + rng.normal(0, 0.03))
        img = np.clip(np.exp(-(d / 0.08) ** 2) + rng.normal(0, 0.05, (size, size)), 0, 1)
        for ch in range(channels):
            out[i, ch] = (img * (0.6 + 0.4 * ((c + ch) % 3) / 2) * 255).astype(np.uint8)
    return out


def make_image_data(n_train: int = 40, n_test: int = 12, channels: int = 1, size: int = 28,
                    n_classes: int = 10) -> ImageData:
    xs = [class_images(n_train + n_test, c, channels, size) for c in range(n_classes)]
    tr = np.concatenate([x[:n_train] for x in xs])
    te = np.concatenate([x[n_train:] for x in xs])
    return ImageData(
        name="synthetic",
        train_x=torch.from_numpy(tr), train_y=torch.arange(n_classes).repeat_interleave(n_train),
        test_x=torch.from_numpy(te), test_y=torch.arange(n_classes).repeat_interleave(n_test),
        classes=[f"c{i}" for i in range(n_classes)])


def pytest_configure(config):
    runtime.tune_malloc()  # the suite is an entry point that trains (aeutils/runtime.py)
    # Two xdist workers share the two cores: one torch thread each, not two each, and
    # the same for the processes they start (papermill kernels, CLI runs), which would
    # otherwise each spin two threads against the other worker.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"


def _seconds(item) -> float:
    mark = item.get_closest_marker("long")
    return mark.kwargs.get("seconds", 60) if mark else 0


def pytest_collection_modifyitems(config, items):
    """The longest test first, the other long ones last (longest first among them).

    ``make test`` runs pytest-xdist's work stealing, which hands each worker one contiguous
    half of this order: one worker starts on the longest test at once while the other runs
    the rest, long ones included, and steals the short tests queued behind the longest."""
    if not items:
        return
    longest = max(items, key=_seconds)
    others = sorted((i for i in items if _seconds(i) and i is not longest), key=_seconds,
                    reverse=True)
    short = [i for i in items if not _seconds(i)]
    items[:] = ([longest] if _seconds(longest) else []) + short + others


@pytest.fixture(scope="session")
def grey_data() -> ImageData:
    return make_image_data()


@pytest.fixture(scope="session")
def rgb_data() -> ImageData:
    return make_image_data(channels=3, size=32)


def write_folder(root, data: ImageData) -> None:
    for split in ("train", "test"):
        x, y = getattr(data, f"{split}_x"), getattr(data, f"{split}_y")
        for i, (img, label) in enumerate(zip(x, y)):
            d = root / split / data.classes[int(label)]
            d.mkdir(parents=True, exist_ok=True)
            arr = img.numpy()
            pil = Image.fromarray(arr[0]) if arr.shape[0] == 1 else Image.fromarray(arr.transpose(1, 2, 0))
            pil.save(d / f"{i:04d}.png")


@pytest.fixture(scope="session")
def synthetic_folder(tmp_path_factory, grey_data):
    """A grey 28×28 image folder (train/<class>/*.png, test/<class>/*.png)."""
    root = tmp_path_factory.mktemp("synthetic-grey")
    write_folder(root, grey_data)
    return root


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Every test gets its own cache and results folders and runs on the CPU, unless
    ``AEUTILS_TEST_DEVICE`` names another device (``scripts/cuda_check.sh`` sets ``cuda``)."""
    monkeypatch.setenv("AEUTILS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AEUTILS_RESULTS", str(tmp_path / "results" / "results.jsonl"))
    monkeypatch.setenv("AEUTILS_DEVICE", settings.get("AEUTILS_TEST_DEVICE"))
    from aeutils.data import datasets as data

    data._MEMORY.clear()
    yield


@pytest.fixture(scope="session")
def synthetic_rgb_folder(tmp_path_factory, rgb_data):
    """An RGB 32×32 image folder (train/<class>/*.png, test/<class>/*.png), CIFAR-10-shaped."""
    root = tmp_path_factory.mktemp("synthetic-rgb")
    write_folder(root, rgb_data)
    return root
