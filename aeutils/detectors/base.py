"""One detector shape for every method: arrays in, anomaly scores out (PyOD's ``BaseDetector``).

::

    from aeutils import AutoEncoderDetector, make_detector
    det = AutoEncoderDetector(model="conv", loss="mse+ssim", epochs=20).fit(X_train)
    scores = det.decision_function(X_test)   # higher = more anomalous
    labels = det.predict(X_test)             # 1 = anomaly, 0 = normal
    knn = make_detector("knn", k=3).fit(X_train)   # any registered method, same shape

Every method registered in :mod:`aeutils.registry` (the autoencoders, GANomaly, Deep
SVDD, the classical baselines, and any added later) is a :class:`BaseDetector`:
``fit(X)``, ``decision_function(X)``, ``predict(X)``, ``score_samples(X)``,
``fit_predict(X)``, ``random_state`` and ``contamination``. Keyword parameters are the
:class:`aeutils.RunConfig` fields (``epochs``, ``batch_size``, ``latent_dim``, …) and the
method's options (:data:`aeutils.registry.BASELINE_OPTIONS`); ``random_state`` is the seed.

The grid drives the same classes (:meth:`BaseDetector.from_config`) through the group
path (:meth:`BaseDetector.fit_group`, :meth:`BaseDetector.score_group`): several
autoencoder configurations train as one batched ensemble, a baseline as a group of one.
The detector is a face over the library's split → model → train → score code, never a
second implementation: for the same images and seed it gives the scores ``run()`` stores.

Arrays: N×H×W (grey), N×C×H×W, or N×D (flat vectors, treated as 1×1×D images: the
``basic`` and ``vae`` models with ``mse`` or ``bce``, and the classical baselines); uint8,
or float in [0, 1] (quantised to 8 bits, as every dataset in aeutils is stored). NumPy or
torch. Anything else is refused with one :class:`~aeutils.registry.ConfigError` line.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
import torch

from ..config import RunConfig
from ..registry import METHODS, ConfigError, choice_error, resolve
from .training import (
    pick_device,
)

Tensor = torch.Tensor
# Group callbacks: on_checkpoint(epoch, members) after an epoch that is a checkpoint of
# ``members`` (indices into the group; scoring is allowed there); on_epoch(epoch, state)
# after every epoch, ``state`` a callable returning what resuming needs (None: no resume).
CheckpointFn = Callable[[int, list[int]], None]
EpochFn = Callable[[int, "Callable[[], dict] | None"], None]
_FIELDS = frozenset(f.name for f in dataclasses.fields(RunConfig))


def as_images(X) -> Tensor:
    """Images as uint8 N×C×H×W (see the module doc for what is accepted)."""
    x = torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X)
    if x.dim() == 2:
        x = x[:, None, None, :]
    elif x.dim() == 3:
        x = x[:, None]
    if x.dim() != 4 or len(x) == 0:
        raise ConfigError(f"expected images N×H×W, N×C×H×W or vectors N×D, got shape "
                          f"{tuple(x.shape)}")
    if x.dtype == torch.uint8:
        return x.contiguous()
    if x.dtype == torch.bool or x.is_complex():
        raise ConfigError(f"images must be uint8 or float in [0, 1], got {x.dtype}")
    x = x.float()
    if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ConfigError("float images must be finite and in [0, 1] (or pass uint8 in 0-255)")
    return x.mul(255).round_().to(torch.uint8)


def detector_class(name: str) -> type[BaseDetector]:
    """The detector class registered for method ``name``."""
    if name not in METHODS:
        raise choice_error("method", name, METHODS)
    return resolve(METHODS[name])


def make_detector(name: str, **params) -> BaseDetector:
    """A detector for the registered method ``name`` (keyword parameters as the class's)."""
    return detector_class(name)(model=name, **params)


def config_detector(config: RunConfig, device: torch.device | str | None = None) -> BaseDetector:
    """The detector of a grid configuration (:meth:`BaseDetector.from_config`)."""
    return detector_class(config.model).from_config(config, device)


class BaseDetector:
    """The shape every method has (PyOD's ``BaseDetector``, without depending on PyOD).

    ``contamination`` is the expected share of anomalies: ``predict`` flags scores above
    the (1 − contamination) quantile of the scores of the fit data (``threshold_``).
    ``random_state`` seeds everything random, so a fit is repeatable. Subclasses set
    :attr:`name` and implement :meth:`_fit_images` and :meth:`_score_images` on uint8
    N×C×H×W tensors; the public methods check and convert the arrays once.

    After ``fit``: ``config`` (the resolved :class:`RunConfig`), ``threshold_``,
    ``decision_scores_`` and ``labels_`` (scores and flags of the fit data),
    ``train_seconds_``.
    """

    name: ClassVar[str] = ""        # the registered method ("": a family, named by ``model``)
    resumable: ClassVar[bool] = False  # whether fit_group can continue from a snapshot

    def __init__(self, model: str | None = None, contamination: float = 0.05,
                 random_state: int = 0, device: str | None = None, **params) -> None:
        model = model or self.name
        if self.name and model != self.name:
            raise ConfigError(f"{type(self).__name__} is the {self.name!r} method, not {model!r}")
        if not 0 < contamination < 0.5:
            raise ConfigError(f"contamination must be in (0, 0.5), got {contamination}")
        if "seed" in params:
            raise ConfigError("a detector's seed is its random_state: pass random_state=")
        fields = {k: v for k, v in params.items() if k in _FIELDS and k != "extra"}
        options = {**dict(params.get("extra", ())),
                   **{k: v for k, v in params.items() if k not in _FIELDS}}
        config = RunConfig(model=model, seed=random_state, extra=options, **fields)
        self.contamination, self.random_state = contamination, random_state
        self._init(config, device)

    @classmethod
    def from_config(cls, config: RunConfig, device: torch.device | str | None = None,
                    contamination: float = 0.05) -> BaseDetector:
        """The detector of ``config`` (the grid's way in: options already validated)."""
        det = cls.__new__(cls)
        det.contamination, det.random_state = contamination, config.seed
        det._init(config, device)
        return det

    def _init(self, config: RunConfig, device) -> None:
        self.config = config
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.train_seconds_ = 0.0
        self._setup()

    def _setup(self) -> None:
        """Read the method's options from ``self.config`` (subclasses)."""

    # --- the method: uint8 N×C×H×W tensors in -------------------------------------
    def _fit_images(self, x: Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Train on ``x``; iterative methods call ``on_epoch(epoch)`` after each epoch."""
        raise NotImplementedError

    def _score_images(self, x: Tensor) -> np.ndarray:
        """Anomaly score per image, float64 (N,), higher = more anomalous."""
        raise NotImplementedError

    def _check_shape(self, shape: tuple[int, int, int]) -> None:
        """Refuse image shapes the method cannot take, in one line (subclasses)."""

    def record_fields(self, **common) -> dict:
        """Training fields of a results record (what ``_run_group`` stores beside metrics):
        ``train_seconds``, then ``common`` (group size, CPU seconds, device), then the
        per-epoch loss curves of an iterative method."""
        curves = {name: list(getattr(self, attr)) for name, attr in
                  (("loss_curve", "history"), ("pretrain_curve", "pretrain_history"))
                  if getattr(self, attr, None)}
        return {"train_seconds": self.train_seconds_, **common, **curves}

    def model_state(self) -> dict | None:
        """Weights worth keeping for figures (autoencoders), else None."""
        return None

    # --- the public face: arrays in ------------------------------------------------
    def _images(self, X, fitting: bool = False) -> Tensor:
        x = as_images(X)
        shape = tuple(x.shape[1:])
        if fitting:
            self._check_shape(shape)
            self.shape_ = shape
        elif not hasattr(self, "shape_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit(X) first")
        elif shape != self.shape_:
            raise ConfigError(f"images of shape {shape} given to a detector fitted on "
                              f"{self.shape_}")
        return x

    def fit(self, X, y=None, on_epoch: Callable[[int], None] | None = None) -> BaseDetector:
        """Train on ``X`` (assumed mostly normal; ``y`` is ignored, as in scikit-learn).
        ``on_epoch(epoch)`` is called after each epoch of an iterative method, where
        ``decision_function`` may already be used."""
        x = self._images(X, fitting=True)
        t0 = time.perf_counter()
        self._fit_images(x, on_epoch)
        self.train_seconds_ = time.perf_counter() - t0
        self._set_threshold(x)
        return self

    def _set_threshold(self, x: Tensor) -> None:
        self.decision_scores_ = self._score_images(x)
        self.threshold_ = float(np.quantile(self.decision_scores_, 1 - self.contamination))
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(np.int64)

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score per image: higher = more anomalous."""
        return self._score_images(self._images(X))

    def score_samples(self, X) -> np.ndarray:
        """scikit-learn's convention: higher = more normal (the negated score)."""
        return -self.decision_function(X)

    def predict(self, X) -> np.ndarray:
        """1 for images scored above the threshold set at fit, else 0."""
        scores = self.decision_function(X)
        return (scores > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).predict(X)

    # --- the grid's group path --------------------------------------------------------
    @classmethod
    def fit_group(cls, detectors: Sequence[BaseDetector], images: Sequence[Tensor],
                  on_checkpoint: CheckpointFn | None = None, on_epoch: EpochFn | None = None,
                  progress=None, resume: dict | None = None) -> None:
        """Train each detector on its own uint8 images, calling ``on_checkpoint`` at each
        member's evaluated epochs (``config.eval_epochs``; a one-shot method: once, at
        ``config.epochs``). ``progress`` is a tqdm bar advanced per member-epoch. This
        default trains the members one after the other; a family that trains faster
        together (the autoencoders) overrides it."""
        for k, (det, x) in enumerate(zip(detectors, images)):
            det._fit_member(k, x, on_checkpoint, on_epoch, progress)

    def _fit_member(self, k: int, x: Tensor, on_checkpoint, on_epoch, progress) -> None:
        c, clock, reported = self.config, [time.perf_counter()], [0]
        self.shape_ = tuple(x.shape[1:])

        def checkpoint(epoch: int) -> None:
            self.train_seconds_ += time.perf_counter() - clock[0]
            if on_checkpoint is not None:
                on_checkpoint(epoch, [k])
            clock[0] = time.perf_counter()

        def epoch_done(epoch: int) -> None:
            reported[0] += 1
            if progress is not None:
                progress.update(1)
            if on_epoch is not None:
                on_epoch(epoch, None)
            if epoch in c.eval_epochs and epoch != c.epochs:
                checkpoint(epoch)

        self._fit_images(x, epoch_done)
        checkpoint(c.epochs)
        if progress is not None:
            progress.update(max(0, c.epochs - reported[0]))  # one-shot: no epochs reported

    @classmethod
    def score_group(cls, detectors: Sequence[BaseDetector],
                    images: Sequence[Tensor]) -> list[np.ndarray]:
        """Each detector's scores of its own uint8 images."""
        return [det._score_images(x) for det, x in zip(detectors, images)]

    @classmethod
    def reconstruct_group(cls, detectors: Sequence[BaseDetector],
                          images: Sequence[Tensor]) -> list[np.ndarray] | None:
        """Reconstructions (uint8) of a few images per member, for figures; None when the
        method reconstructs nothing."""
        return None
