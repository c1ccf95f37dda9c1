"""Which datasets exist, where they are and what they are: names, folders, identities.

The tensor-free half of :mod:`aeutils.data`: validating a name, resolving it on this
machine and hashing a folder's content need no torch, so a configuration can be checked
and keyed (and the command line can answer) without importing the code that trains.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .. import settings
from ..errors import BadDataError, DataNotFoundError  # noqa: F401  (re-exported)
from ..files import atomic_write
from ..provenance import ROOT
from ..registry import choice_error

FOLDER_PREFIX = "folder:"
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}

# name → (torchvision class name, sub-folder it reads, class names)
TORCHVISION_DATASETS = {
    "mnist": ("MNIST", "MNIST/raw", [str(i) for i in range(10)]),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST/raw", [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]),
    "cifar10": ("CIFAR10", "cifar-10-batches-py", [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck"]),
}
DATASET_CHOICES = [*TORCHVISION_DATASETS, f"{FOLDER_PREFIX}<path>"]


def data_root() -> Path:
    """Root folder for torchvision datasets: ``AEUTILS_DATA`` or ``data/``. A relative path
    is the repository's, as every relative path of the Makefile and the notebooks, wherever
    the process runs (a JupyterLab kernel runs in ``notebooks/``)."""
    root = settings.path("AEUTILS_DATA")
    return root if root.is_absolute() else ROOT / root


def cache_dir() -> Path:
    """Writable folder for decoded uint8 caches: ``AEUTILS_CACHE`` or ``~/.cache/aeutils``."""
    return settings.path("AEUTILS_CACHE")


# Offline copies that stand in for a torchvision dataset when it is not under AEUTILS_DATA.
OFFLINE_FOLDERS = {"cifar10": "cifar10-jpeg"}


def resolve_dataset(name: str) -> str:
    """What to load for ``name`` on this machine.

    ``cifar10`` becomes ``folder:$AEUTILS_DATA/cifar10-jpeg`` when torchvision's
    CIFAR-10 is not under ``AEUTILS_DATA`` but that offline JPEG copy is (it is then
    labelled "CIFAR-10 (JPEG copy)" everywhere). Every other name is returned as is.
    """
    if name not in OFFLINE_FOLDERS:
        return name
    root = data_root()
    if (root / TORCHVISION_DATASETS[name][1]).exists():
        return name
    folder = root / OFFLINE_FOLDERS[name]
    return f"{FOLDER_PREFIX}{folder}" if (folder / "train").is_dir() else name


def check_dataset_name(name: str) -> None:
    """Raise a one-line error unless ``name`` is a known dataset or ``folder:<path>``."""
    if name in TORCHVISION_DATASETS:
        return
    if name.startswith(FOLDER_PREFIX) and len(name) > len(FOLDER_PREFIX):
        return
    raise choice_error("dataset", name, DATASET_CHOICES)


def display_name(name: str) -> str:
    """Human label for figures; the offline JPEG copy must never pass for CIFAR-10."""
    if name.startswith(FOLDER_PREFIX):
        path = name[len(FOLDER_PREFIX):].rstrip("/")
        if "cifar10-jpeg" in path or "cifar-10-jpeg" in path:
            return "CIFAR-10 (JPEG copy)"
        return f"folder {Path(path).name}"
    return {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}[name]


_IDENTITY: dict[str, str] = {}


def dataset_identity(name: str) -> str:
    """What a dataset *is*, for results keys: never the path it was read from.

    The torchvision datasets are named (``mnist``, ``fashion-mnist``, ``cifar10``: their
    content is fixed by torchvision's checksums). An image folder is identified by a
    SHA-256 over its files' relative paths and bytes, so the same images under another
    path or working directory give the same keys, and a changed folder gives new ones.
    Hashing reads every file once (about a second for the CIFAR-10 JPEG copy); the
    result is memoised per process and cached on disk by the folder's file sizes and
    modification times.
    """
    check_dataset_name(name)
    if not name.startswith(FOLDER_PREFIX):
        return name
    root = Path(name[len(FOLDER_PREFIX):]).expanduser().resolve()
    if str(root) in _IDENTITY:
        return _IDENTITY[str(root)]
    if not root.is_dir():
        raise DataNotFoundError(f"image folder {root} does not exist")
    files = sorted(p for p in root.rglob("*") if p.is_file()
                   and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise DataNotFoundError(f"image folder {root} holds no images "
                                f"(extensions: {', '.join(sorted(IMAGE_EXTENSIONS))})")
    stats = [(str(f.relative_to(root)), f.stat()) for f in files]
    signature = hashlib.sha256("\n".join(f"{r}|{s.st_size}|{s.st_mtime_ns}" for r, s in stats)
                               .encode()).hexdigest()[:16]
    memo = cache_dir() / "identity" / f"{hashlib.sha256(str(root).encode()).hexdigest()[:12]}-{signature}"
    if memo.exists():
        ident = memo.read_text().strip()
    else:
        h = hashlib.sha256()
        for rel, _ in stats:
            h.update(rel.encode() + b"\0")
            h.update(hashlib.sha256((root / rel).read_bytes()).digest())
        ident = f"folder-sha256:{h.hexdigest()[:16]}"
        memo.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(memo, ident + "\n")
    _IDENTITY[str(root)] = ident
    return ident
