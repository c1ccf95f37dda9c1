"""A detector on a user's own image folder: train on its normal images, score the others.

The layout is the only convention: ``train/`` holds normal images (a few anomalies among
them only blur the threshold), ``new/`` the images to check. Labels are known only when
``new/normal/`` and ``new/anomaly/`` exist: then the images to check are theirs and an
AUC is measured; file names never say what an image is. Images of any size and mode
(PNG, JPEG, grey, RGB) are read by one rule (:func:`aeutils.data.load_images`): the mode
of the training images (grey when every one is grey, else RGB) and ``size`` × ``size``
pixels (bilinear; ``size=None`` keeps the training images' common size).

:func:`score_folder` returns a :class:`FolderScores`: one row per image to check (file,
score, flagged, and its label when known), the threshold ``predict`` uses and the
numbers notebook 06 reports. :func:`folder_or_demo` makes a demo folder in that layout
from the first built-in dataset available, for a first run without images of one's own.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BadDataError, DataNotFoundError

LAYOUT = ("train/ (normal images) and new/ (the images to check, or new/normal/ and "
          "new/anomaly/ when their labels are known)")
LABELS = ("normal", "anomaly")


@dataclass
class FolderScores:
    """What a detector trained on ``train/`` says about each image of ``new/``."""

    table: pd.DataFrame  # file (relative to new/), score, flagged[, label]; files in name order
    images: np.ndarray  # the images to check as scored, uint8 N×C×H×W, in table order
    threshold: float  # ``predict`` flags scores above it
    contamination: float  # the share of held-out training images the threshold flags
    n_train: int
    settings: dict = field(default_factory=dict)  # model, loss, epochs, size, mode

    @property
    def labelled(self) -> bool:
        return "label" in self.table

    def ranked(self) -> pd.DataFrame:
        """The table, most anomalous first."""
        return self.table.sort_values("score", ascending=False, kind="stable")

    def numbers(self, source: str) -> dict:
        """The numbers notebook 06 writes: settings, threshold, how many are flagged, and,
        with labels, the ROC AUC and the share of each label flagged."""
        from sklearn.metrics import roc_auc_score

        flagged = self.table["flagged"].to_numpy(bool)
        out = {"source": source, **self.settings, "n_train": self.n_train,
               "n_new": len(self.table), "threshold": self.threshold,
               "contamination": self.contamination, "n_flagged": int(flagged.sum())}
        if self.labelled:
            anomaly = (self.table["label"] == "anomaly").to_numpy()
            out.update(n_anomalies=int(anomaly.sum()),
                       auc=float(roc_auc_score(anomaly, self.table["score"])),
                       flagged_anomalies=float(flagged[anomaly].mean()),
                       flagged_normals=float(flagged[~anomaly].mean()))
        return out

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write file name, score and flagged (and the label when known), most anomalous
        first; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ranked().to_csv(path, index=False)
        return path


def _new_files(new: Path) -> tuple[list[Path], list[str] | None]:
    """The folders of images to check and their labels (None when unknown)."""
    labelled = [new / name for name in LABELS]
    if all(d.is_dir() for d in labelled):
        from ..data.datasets import IMAGE_EXTENSIONS

        loose = [f for f in new.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS]
        if loose:
            raise BadDataError(f"{new} holds images ({loose[0].name}, …) beside normal/ and "
                               f"anomaly/: put every image to check in one of the two")
        return labelled, list(LABELS)
    return [new], None


def read_folder(folder: str | os.PathLike, size: int | None = 32
                ) -> tuple[np.ndarray, np.ndarray, list[str], list[str] | None]:
    """(training images, images to check, their file names relative to ``new/``, their
    labels or None), both sets in one mode and size (see the module doc)."""
    from ..data.datasets import image_files, image_mode, load_images

    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataNotFoundError(f"image folder {root} does not exist; expected {LAYOUT}")
    for sub in ("train", "new"):
        if not (root / sub).is_dir():
            raise DataNotFoundError(f"image folder {root} has no {sub}/: expected {LAYOUT}")
    mode = image_mode(image_files(root / "train"))
    x_train = load_images(root / "train", size=size, mode=mode)
    folders, labels = _new_files(root / "new")
    parts, names, per_image = [], [], []
    for i, d in enumerate(folders):
        parts.append(load_images(d, size=x_train.shape[2:], mode=mode))
        prefix = f"{d.name}/" if labels else ""
        names += [prefix + f.name for f in image_files(d)]
        per_image += [labels[i]] * len(parts[-1]) if labels else []
    return x_train, np.concatenate(parts), names, per_image or None


def score_folder(folder: str | os.PathLike, model: str = "basic", loss: str = "mse",
                 epochs: int = 3, size: int | None = 32, random_state: int = 0,
                 **params) -> FolderScores:
    """Train an :class:`~aeutils.AutoEncoderDetector` (``model``, ``loss``, ``epochs``,
    other keyword ``params``) on ``folder/train`` and score every image of ``folder/new``.
    A missing, empty or unreadable folder ends in a one-line error."""
    from ..detectors import AutoEncoderDetector

    x_train, x_new, names, labels = read_folder(folder, size)
    detector = AutoEncoderDetector(model=model, loss=loss, epochs=epochs,
                                   random_state=random_state, **params).fit(x_train)
    scores = detector.decision_function(x_new)
    table = pd.DataFrame({"file": names, "score": scores,
                          "flagged": scores > detector.threshold_})
    if labels:
        table["label"] = labels
    settings = {"model": model, "loss": loss, "epochs": int(epochs),
                "size": list(x_train.shape[2:]), "mode": "grey" if x_train.shape[1] == 1 else "RGB"}
    return FolderScores(table=table, images=x_new, threshold=float(detector.threshold_),
                        contamination=float(detector.contamination), n_train=len(x_train),
                        settings=settings)


def demo_folder(datasets: dict[str, str], dest: str | os.PathLike | None = None,
                normal_class: int = 0, max_train: int = 1000, max_new: int = 1000,
                seed: int = 0) -> tuple[Path, str]:
    """A folder in the layout, written from the first of ``datasets`` (logical → what to
    load) that is available: ``train/`` its class ``normal_class`` training images (at most
    ``max_train``), ``new/normal/`` and ``new/anomaly/`` a fixed draw of ``max_new`` test
    images. Returns the folder (``dest`` or a new temporary folder) and what it holds."""
    from ..data.datasets import display_name, load_dataset, save_images

    data, tried = None, []
    for actual in datasets.values():
        try:
            data = load_dataset(actual)
            break
        except (DataNotFoundError, BadDataError) as exc:
            tried.append(f"{actual} ({str(exc).split(';')[0].split('. ')[0]})")
    if data is None:
        raise DataNotFoundError(f"no folder given and no dataset for the demo: "
                                f"{', '.join(tried) or 'none listed'}; give folder= "
                                f"with {LAYOUT}")
    data.check_class(normal_class)
    root = Path(dest) if dest is not None else Path(tempfile.mkdtemp(prefix="aeutils-demo-"))
    save_images(data.train_x[data.train_y == normal_class][:max_train], root / "train")
    pick = np.random.default_rng(seed).permutation(len(data.test_y))[:max_new]
    is_anomaly = (data.test_y[pick] != normal_class).numpy()
    for label, mask in (("normal", ~is_anomaly), ("anomaly", is_anomaly)):
        save_images(data.test_x[pick[mask]], root / "new" / label,
                    names=[f"{i:05d}" for i in pick[mask]])
    source = (f"{display_name(data.name)}, class {data.classes[normal_class]} as normal "
              f"(a demo folder)")
    return root, source


def folder_or_demo(folder: str | os.PathLike | None, datasets: dict[str, str],
                   **demo) -> tuple[Path, str]:
    """``folder`` and its name, or, when it is None, :func:`demo_folder` (``demo``: its
    options)."""
    if folder is None:
        return demo_folder(datasets, **demo)
    path = Path(folder).expanduser().resolve()
    return path, f"folder {path.name}"
