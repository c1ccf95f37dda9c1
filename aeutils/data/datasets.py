"""Datasets and one-class splits.

Datasets are decoded once into uint8 N×C×H×W tensors and cached in a writable
cache folder (``AEUTILS_CACHE``, default ``~/.cache/aeutils``), never inside the
data root, which may be read-only. Names:

- ``mnist``, ``fashion-mnist``, ``cifar10``: torchvision datasets under
  ``AEUTILS_DATA`` (default ``data/``), downloaded when online and missing;
- ``folder:<path>``: any image folder laid out ``train/<class>/*`` and
  ``test/<class>/*`` (e.g. the offline CIFAR-10 JPEG copy).

:func:`make_split` turns a dataset into a one-class problem. Labels are
1 = anomaly, 0 = normal, everywhere.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..files import replacing
from ..registry import PROTOCOLS, ConfigError, choice_error
from .catalog import (  # noqa: F401  (re-exported: the public names of datasets)
    _IDENTITY,
    DATASET_CHOICES,
    FOLDER_PREFIX,
    IMAGE_EXTENSIONS,
    OFFLINE_FOLDERS,
    TORCHVISION_DATASETS,
    BadDataError,
    DataNotFoundError,
    cache_dir,
    check_dataset_name,
    data_root,
    dataset_identity,
    display_name,
    resolve_dataset,
)
from .corruptions import synthetic_anomalies


@dataclass
class ImageData:
    """A decoded dataset: uint8 images N×C×H×W and integer labels."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: list[str]

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])

    def check_class(self, c: int) -> None:
        if not 0 <= c < len(self.classes):
            valid = ", ".join(f"{i} ({n})" for i, n in enumerate(self.classes))
            raise ConfigError(f"class {c} is not in dataset {self.name!r}; valid classes: {valid}")


_MEMORY: dict[str, ImageData] = {}


def load_dataset(name: str) -> ImageData:
    """Load ``name`` (see module doc), decoding once and caching as uint8 tensors."""
    check_dataset_name(name)
    if name.startswith(FOLDER_PREFIX):
        source = Path(name[len(FOLDER_PREFIX):]).expanduser().resolve()
    else:
        source = data_root().expanduser().resolve()
    # A folder's cache is named by what the folder holds too (its identity), so editing
    # its images under the same path decodes them again instead of serving old pixels.
    held = dataset_identity(name) if name.startswith(FOLDER_PREFIX) else ""
    tag = hashlib.sha256(f"{name}|{source}|{held}".encode()).hexdigest()[:12]
    if tag in _MEMORY:
        return _MEMORY[tag]
    safe = "".join(ch if ch.isalnum() else "-" for ch in name.split("/")[-1] or name)[:40]
    cache = cache_dir() / f"{safe}-{tag}.pt"
    if cache.exists():
        blob = torch.load(cache, weights_only=True)
    else:
        if name.startswith(FOLDER_PREFIX):
            blob = _decode_folder(source)
        else:
            blob = _decode_torchvision(name, source)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with replacing(cache) as tmp:  # a killed decode never leaves a half cache
            torch.save(blob, tmp)
    data = ImageData(name=name, **blob)
    _MEMORY[tag] = data
    return data


def _decode_torchvision(name: str, root: Path) -> dict:
    import torchvision

    cls_name, sub, classes = TORCHVISION_DATASETS[name]
    cls = getattr(torchvision.datasets, cls_name)
    try:
        parts = [cls(str(root), train=t, download=False) for t in (True, False)]
    except RuntimeError:
        try:
            parts = [cls(str(root), train=t, download=True) for t in (True, False)]
        except Exception as exc:  # offline, read-only root, …: say where we looked
            raise DataNotFoundError(
                f"dataset {name!r} not found in {root / sub} and the download failed "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}). "
                f"Set AEUTILS_DATA to a folder that holds {sub}/ "
                f"(offline: point AEUTILS_DATA at your local copies), or read an image folder "
                f"with the dataset name folder:<path>."
            ) from None
    out = {}
    for split, ds in zip(("train", "test"), parts):
        x = torch.as_tensor(np.asarray(ds.data))
        x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
        out[f"{split}_x"] = x.contiguous().to(torch.uint8)
        out[f"{split}_y"] = torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)
    out["classes"] = list(classes)
    return out


def _list_split(root: Path, split: str) -> tuple[list[str], list[list[Path]]]:
    d = root / split
    if not d.is_dir():
        raise DataNotFoundError(
            f"image folder {root} has no '{split}' split: expected "
            f"{root}/train/<class>/* and {root}/test/<class>/*")
    classes = sorted(p.name for p in d.iterdir() if p.is_dir())
    files = [sorted(f for f in (d / c).iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
             for c in classes]
    if not classes or not any(files):
        raise DataNotFoundError(f"image folder {d} holds no images in <class>/ sub-folders "
                                f"(extensions: {', '.join(sorted(IMAGE_EXTENSIONS))})")
    return classes, files


def _decode_folder(root: Path) -> dict:
    from PIL import Image
    from tqdm.auto import tqdm

    if not root.is_dir():
        raise DataNotFoundError(f"image folder {root} does not exist")
    classes, train_files = _list_split(root, "train")
    test_classes, test_files = _list_split(root, "test")
    if test_classes != classes:
        raise DataNotFoundError(f"image folder {root}: train classes {classes} differ from "
                                f"test classes {test_classes}")
    if len(classes) < 2:
        raise BadDataError(f"image folder {root} has {len(classes)} class folder(s) under train/; "
                           f"a one-class problem needs at least 2 (normal and anomalous images)")
    first_file = next(f for fs in train_files for f in fs)
    try:
        with Image.open(first_file) as first:
            mode = "L" if first.mode in ("1", "L", "I", "I;16", "F") else "RGB"
    except (OSError, ValueError) as exc:
        raise BadDataError(f"cannot read image {first_file}: {exc}") from None

    def decode(path: Path) -> np.ndarray:
        try:
            with Image.open(path) as img:
                arr = np.asarray(img.convert(mode), dtype=np.uint8)
        except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError is an OSError
            raise BadDataError(f"cannot read image {path}: {exc}") from None
        return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)

    out = {"classes": classes}
    for split, files in (("train", train_files), ("test", test_files)):
        flat = [(f, y) for y, fs in enumerate(files) for f in fs]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            imgs = list(tqdm(pool.map(decode, [f for f, _ in flat], chunksize=256),
                             total=len(flat), desc=f"decoding {root.name}/{split}", leave=False,
                             disable=None if len(flat) > 2000 else True))  # None: TTY only
        _check_one_size(imgs, [f for f, _ in flat], root)
        out[f"{split}_x"] = torch.from_numpy(np.ascontiguousarray(np.stack(imgs)))
        out[f"{split}_y"] = torch.tensor([y for _, y in flat], dtype=torch.int64)
    if out["train_x"].shape[1:] != out["test_x"].shape[1:]:
        raise BadDataError(f"image folder {root}: train images are "
                           f"{tuple(out['train_x'].shape[1:])} but test images "
                           f"{tuple(out['test_x'].shape[1:])}; both splits need one size")
    return out


def _check_one_size(imgs: list[np.ndarray], files: list[Path], root: Path) -> None:
    """Refuse a folder whose images differ in size: resizing would silently change the
    data (aspect ratio, interpolation), so the user decides how to resize them."""
    from collections import Counter

    sizes = Counter(a.shape[1:] for a in imgs)
    if len(sizes) > 1:
        common = sizes.most_common(1)[0][0]
        odd = next(f for a, f in zip(imgs, files) if a.shape[1:] != common)
        listed = ", ".join(f"{h}×{w} ({n})" for (h, w), n in sizes.most_common(4))
        raise BadDataError(f"images in {root} differ in size: {listed}; e.g. {odd}. Resize them "
                           f"all to one size first (most are {common[0]}×{common[1]})")


# --- one-class splits ----------------------------------------------------------------
@dataclass
class Split:
    """A one-class problem: training images, a labelled validation set and the test set.

    ``val`` holds held-out normal training images plus as many anomalous
    training images (other classes), so methods can be selected without test
    labels. ``synth`` holds one synthetic anomaly made from each validation normal
    (:mod:`aeutils.synthetic`), for selection without any anomaly label.
    ``train_is_anomaly`` marks the contamination mixed into training.
    """

    train_x: torch.Tensor
    train_is_anomaly: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    info: dict = field(default_factory=dict)
    synth_x: torch.Tensor | None = None  # one synthetic anomaly per validation normal
    synth_kinds: list[str] | None = None


def normal_mask(labels: torch.Tensor, normal_class: int, protocol: str) -> torch.Tensor:
    """True where an image is normal under ``protocol``."""
    if protocol not in PROTOCOLS:
        raise choice_error("protocol", protocol, PROTOCOLS)
    same = labels == normal_class
    return same if protocol == "one-vs-rest" else ~same


def check_split(data: ImageData, normal_class: int, protocol: str = "one-vs-rest",
                contamination: float = 0.0, val_fraction: float = 0.1,
                max_train: int | None = None) -> None:
    """Raise a one-line error if :func:`make_split` cannot build this split (cheap: counts only)."""
    data.check_class(normal_class)
    is_normal = normal_mask(data.train_y, normal_class, protocol)
    n_normal, n_anomalous = int(is_normal.sum()), int((~is_normal).sum())
    if max_train is not None:
        n_normal = min(n_normal, int(np.ceil(max_train / (1 - val_fraction))))
    n_val = int(round(val_fraction * n_normal))
    n_train = n_normal - n_val if max_train is None else min(n_normal - n_val, max_train)
    if n_val < 1 or n_train < 1:
        raise ConfigError(f"class {normal_class} ({protocol}) has {n_normal} normal training "
                          f"images: too few for a validation fraction of {val_fraction}")
    if n_anomalous < n_val:
        raise ConfigError(f"class {normal_class} ({protocol}) needs {n_val} anomalous training "
                          f"images for validation but the dataset has {n_anomalous}")
    n_contam = int(round(contamination / 100 * n_train))
    if n_contam > n_anomalous - n_val:
        most = 100 * (n_anomalous - n_val) / n_train
        raise ConfigError(f"contamination {contamination:g}% needs {n_contam} anomalous training "
                          f"images but only {n_anomalous - n_val} are left after validation; at "
                          f"most {most:.0f}% is possible for class {normal_class}")


def holdout(idx: torch.Tensor, g: torch.Generator, val_fraction: float,
            max_train: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle ``idx`` with ``g`` and split it into (validation, training) indices:
    ``val_fraction`` held out, at most ``max_train`` kept for training. The one place
    where normal images are held out, for splits and for the array detector alike."""
    idx = idx[torch.randperm(len(idx), generator=g)]
    if max_train is not None:
        idx = idx[: int(np.ceil(max_train / (1 - val_fraction)))]
    n_val = int(round(val_fraction * len(idx)))
    train = idx[n_val:]
    return idx[:n_val], train if max_train is None else train[:max_train]


def make_split(data: ImageData, normal_class: int, protocol: str = "one-vs-rest",
               contamination: float = 0.0, val_fraction: float = 0.1, seed: int = 0,
               max_train: int | None = None, max_test: int | None = None) -> Split:
    """Deterministic (by ``seed``) one-class split of ``data``.

    1. Normal training images (by ``protocol``) are shuffled; ``val_fraction`` of
       them are held out as validation normals; ``max_train`` caps the rest.
    2. Anomalous training images are shuffled; the first ones become as many
       validation anomalies as there are validation normals, the next ones the
       contamination: ``contamination`` % of the normal training count.
    3. The whole test set (or its fixed ``max_test`` subset, see :func:`test_subset`)
       is the test split, labelled 1 = anomaly.
    """
    if not 0 <= contamination <= 100:
        raise ConfigError(f"contamination must be a percentage in 0-100, got {contamination}")
    check_split(data, normal_class, protocol, contamination, val_fraction, max_train)
    g = torch.Generator().manual_seed(int(seed))
    is_normal = normal_mask(data.train_y, normal_class, protocol)
    normal_idx = torch.nonzero(is_normal).flatten()
    anomal_idx = torch.nonzero(~is_normal).flatten()
    val_normal, train_normal = holdout(normal_idx, g, val_fraction, max_train)
    anomal_idx = anomal_idx[torch.randperm(len(anomal_idx), generator=g)]
    n_val = len(val_normal)
    n_contam = int(round(contamination / 100 * len(train_normal)))
    available = len(anomal_idx) - n_val
    if n_contam > available:
        most = 100 * available / max(len(train_normal), 1)
        raise ConfigError(f"contamination {contamination}% needs {n_contam} anomalous training "
                          f"images but only {available} exist; at most {most:.0f}% is possible")
    val_anom, contam = anomal_idx[:n_val], anomal_idx[n_val:n_val + n_contam]
    test_x, test_labels = test_subset(data, max_test)
    train_idx = torch.cat([train_normal, contam])
    val_idx = torch.cat([val_normal, val_anom])
    synth_x, synth_kinds = synthetic_anomalies(data.train_x[val_normal], seed)
    return Split(
        train_x=data.train_x[train_idx],
        train_is_anomaly=torch.cat([torch.zeros(len(train_normal), dtype=torch.bool),
                                    torch.ones(n_contam, dtype=torch.bool)]),
        val_x=data.train_x[val_idx],
        val_y=torch.cat([torch.zeros(n_val), torch.ones(len(val_anom))]).long(),
        test_x=test_x,
        test_y=(~normal_mask(test_labels, normal_class, protocol)).long(),
        info={"n_train_normal": len(train_normal), "n_contamination": n_contam,
              "n_val": len(val_idx), "n_test": len(test_labels)},
        synth_x=synth_x, synth_kinds=synth_kinds,
    )


def test_subset(data: ImageData, max_test: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Test images and labels: all of them, or ``max_test`` drawn once with a fixed seed.

    The subset ignores the run's seed and class, so every configuration of a grid
    is scored on the same images, and it is the same tensor object each time, so
    batched models share it instead of copying it.
    """
    if max_test is None or max_test >= len(data.test_y):
        return data.test_x, data.test_y
    cache = data.__dict__.setdefault("_test_subsets", {})  # lives and dies with the dataset
    if max_test not in cache:
        idx = torch.randperm(len(data.test_y), generator=torch.Generator().manual_seed(0))
        idx = idx[:max_test].sort().values
        cache[max_test] = (data.test_x[idx], data.test_y[idx])
    return cache[max_test]


def split_for(config) -> tuple[ImageData, Split]:
    """The dataset and split a :class:`~aeutils.config.RunConfig` asks for."""
    data = load_dataset(config.dataset)
    return data, make_split(data, config.normal_class, config.protocol, config.contamination,
                            config.val_fraction, config.seed, config.max_train,
                            config.max_test)


def example_indices(test_labels: torch.Tensor, normal_class: int, n_normal: int = 8) -> torch.Tensor:
    """Fixed test images to show reconstructions of: the first ``n_normal`` of the class,
    then the first of every other class (indices into the test set)."""
    first = [torch.nonzero(test_labels == normal_class).flatten()[:n_normal]]
    for c in torch.unique(test_labels).tolist():
        if c != normal_class:
            first.append(torch.nonzero(test_labels == c).flatten()[:1])
    return torch.cat(first)


def to_float(x: torch.Tensor, device=None) -> torch.Tensor:
    """uint8 images → float in [0, 1] (on ``device``)."""
    return x.to(device).float().div_(255)


def load_images(folder: str | os.PathLike) -> np.ndarray:
    """Every image file directly in ``folder`` (name order) as uint8 N×C×H×W: a user's own
    images for :class:`aeutils.AutoEncoderDetector`. Grey images stay one channel; all
    must share one size (the error names the first that does not)."""
    from PIL import Image

    files = sorted(f for f in Path(folder).iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise DataNotFoundError(f"no images ({', '.join(sorted(IMAGE_EXTENSIONS))}) in {folder}")
    with Image.open(files[0]) as first:
        mode = "L" if first.mode in ("1", "L", "I", "I;16", "F") else "RGB"
    images = []
    for f in files:
        with Image.open(f) as img:
            a = np.asarray(img.convert(mode))
        images.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
    _check_one_size(images, files, Path(folder))
    return np.stack(images)
