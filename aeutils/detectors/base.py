"""One detector shape for every method: arrays in, anomaly scores out (PyOD's ``BaseDetector``),
with scikit-learn's estimator conventions.

::

    from aeutils import AutoEncoderDetector, make_detector
    det = AutoEncoderDetector(model="conv", loss="mse+ssim", epochs=20).fit(X_train)
    scores = det.decision_function(X_test)   # higher = more anomalous
    labels = det.predict(X_test)             # 1 = anomaly, 0 = normal
    knn = make_detector("knn", k=3).fit(X_train)   # any registered method, same shape

Every method registered in :mod:`aeutils.registry` (the autoencoders, GANomaly, Deep
SVDD, the classical baselines, and any added later) is a :class:`BaseDetector`:
``fit(X)``, ``decision_function(X)``, ``predict(X)``, ``score_samples(X)``,
``fit_predict(X)``, ``random_state`` and ``contamination``.

**Estimator conventions** (scikit-learn's, so ``clone``, ``get_params``/``set_params``,
``GridSearchCV`` and pickling work): ``__init__`` stores each keyword parameter under its
own name and does nothing else; the parameters are the :class:`aeutils.RunConfig` fields
the method uses (``epochs``, ``batch_size``, ``latent_dim``, …) and its registered options
(:data:`aeutils.registry.BASELINE_OPTIONS`), with the grid's defaults. ``fit`` validates
them (one-line :class:`~aeutils.registry.ConfigError`) and sets every fitted attribute;
those end in ``_`` and exist only after ``fit`` (``config_``, ``seed_``, ``device_``,
``shape_``, ``threshold_``, ``decision_scores_``, ``labels_``, ``train_seconds_`` and the
method's own). Scoring an unfitted detector raises scikit-learn's ``NotFittedError``.

The grid drives the same classes through :mod:`aeutils.detectors.groups`: the detector
is a face over the library's split → model → train → score code, never a second
implementation; for the same images and seed it gives the scores ``run()`` stores.

Arrays: N×H×W (grey), N×C×H×W, or N×D (flat vectors, treated as 1×1×D images: the
``basic`` and ``vae`` models with ``mse`` or ``bce``, and the classical baselines); uint8,
or float in [0, 1] (quantised to 8 bits, as every dataset in aeutils is stored). NumPy or
torch. Anything else is refused with one :class:`~aeutils.registry.ConfigError` line.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..config import RunConfig
from ..registry import BASELINE_OPTIONS, METHODS, ConfigError, choice_error, resolve
from .training import pick_device

Tensor = torch.Tensor
# RunConfig fields a detector parameter may stand for. Not ``contamination``: the detector's
# is the expected share of anomalies it flags, the config's the share mixed into training.
FIELDS = frozenset(f.name for f in dataclasses.fields(RunConfig)) - {
    "model", "seed", "extra", "contamination"}
SEED_BOUND = 2**31 - 1  # seeds drawn from a RandomState lie in [0, SEED_BOUND)


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


def seed_of(random_state) -> int:
    """The seed a ``random_state`` stands for, read as scikit-learn reads one.

    An int is the seed itself (0 ≤ seed < 2**32), so ``random_state=s`` gives the scores
    of the grid's ``RunConfig(seed=s)``. A ``numpy.random.RandomState`` gives its next
    draw in [0, 2**31 − 1) (it advances, as scikit-learn estimators advance it; a fresh
    ``RandomState(s)`` always gives the same seed). None gives the next draw of NumPy's
    global RandomState (repeatable after ``numpy.random.seed``)."""
    try:
        if isinstance(random_state, bool):  # an int to Python, never meant as a seed
            raise ValueError
        if isinstance(random_state, numbers.Integral):
            check_random_state(int(random_state))  # the range scikit-learn accepts
            return int(random_state)
        return int(check_random_state(random_state).randint(0, SEED_BOUND))
    except ValueError:
        raise ConfigError(f"random_state must be None, an int in [0, 2**32) or a "
                          f"numpy.random.RandomState, got {random_state!r}") from None


def detector_class(name: str) -> type[BaseDetector]:
    """The detector class registered for method ``name``."""
    if name not in METHODS:
        raise choice_error("method", name, METHODS)
    return resolve(METHODS[name])


def make_detector(name: str, **params) -> BaseDetector:
    """A detector for the registered method ``name``; ``params`` are the class's keyword
    parameters (an autoencoder's ``model`` is ``name``)."""
    cls = detector_class(name)
    names = cls._get_param_names()
    if "model" in names:
        if params.get("model", name) != name:
            raise ConfigError(f"make_detector({name!r}) builds the {name!r} model; pass the "
                              f"method as its first argument, not model=")
        params["model"] = name
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ConfigError(f"unknown parameter(s) {unknown} for {name!r}; valid: "
                          f"{', '.join(names)}")
    return cls(**params)


class BaseDetector(BaseEstimator):
    """The shape every method has (PyOD's ``BaseDetector``, scikit-learn's conventions).

    ``contamination`` is the expected share of anomalies: ``predict`` flags scores above
    the (1 − contamination) quantile of the scores of the fit data (``threshold_``).
    ``random_state`` (None, an int, or a ``numpy.random.RandomState``: :func:`seed_of`)
    seeds everything random, so a fit is repeatable. ``device``: a torch device name,
    or None for ``AEUTILS_DEVICE``, else the best available.

    A method subclasses this with an ``__init__`` that stores its keyword parameters (see
    the module doc), :attr:`name`, and implements :meth:`_fit_images` and
    :meth:`_score_images` on uint8 N×C×H×W tensors (and :meth:`_check_params` if some
    values are invalid); the public methods check and convert the arrays once.

    After ``fit``: ``config_`` (the :class:`RunConfig` the parameters make), ``seed_``,
    ``device_``, ``shape_`` (C, H, W of the fit images), ``threshold_``,
    ``decision_scores_`` and ``labels_`` (scores and flags of the fit data),
    ``train_seconds_``.
    """

    name: ClassVar[str] = ""  # the registered method ("": a family, named by ``model``)

    def __init__(self, contamination: float = 0.05, random_state=0,
                 device: str | None = None) -> None:
        self.contamination = contamination
        self.random_state = random_state
        self.device = device

    # --- what a method implements: uint8 N×C×H×W tensors in ---------------------------
    def _check_params(self) -> None:
        """Refuse parameter values the method cannot take, in one line (subclasses)."""

    def _fit_images(self, x: Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Train on ``x``; iterative methods call ``on_epoch(epoch)`` after each epoch."""
        raise NotImplementedError

    def _score_images(self, x: Tensor) -> np.ndarray:
        """Anomaly score per image, float64 (N,), higher = more anomalous."""
        raise NotImplementedError

    # --- validation and setup, at fit ---------------------------------------------------
    def _method(self) -> str:
        return self.name

    def _fit_config(self, seed: int) -> RunConfig:
        """The :class:`RunConfig` these parameters make, every value checked (one-line
        ConfigErrors), the method's own checks included."""
        if not 0 < self.contamination < 0.5:
            raise ConfigError(f"contamination must be in (0, 0.5), got {self.contamination}")
        self._check_params()
        params = self.get_params(deep=False)
        method = self._method()
        options = {k: v for k, v in params.items() if k in BASELINE_OPTIONS.get(method, {})}
        fields = {k: v for k, v in params.items() if k in FIELDS and k not in options}
        return RunConfig(model=method, seed=seed, extra=options, **fields)

    def _begin_fit(self, X) -> Tensor:
        """Validate the parameters and the images, forget an earlier fit and set what every
        fit starts from (``config_``, ``seed_``, ``device_``, ``shape_``); the images as
        uint8 N×C×H×W."""
        config = self._fit_config(seed_of(self.random_state))
        x = as_images(X)
        config.check_shape(tuple(x.shape[1:]))
        device = self.device if isinstance(self.device, torch.device) else pick_device(self.device)
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)
        self.config_, self.seed_, self.device_ = config, config.seed, device
        self.shape_ = tuple(x.shape[1:])
        return x

    # --- the public face: arrays in ------------------------------------------------
    def _images(self, X) -> Tensor:
        check_is_fitted(self, "shape_")
        x = as_images(X)
        shape = tuple(x.shape[1:])
        if shape != self.shape_:
            raise ConfigError(f"images of shape {shape} given to a detector fitted on "
                              f"{self.shape_}")
        return x

    def fit(self, X, y=None, on_epoch: Callable[[int], None] | None = None) -> BaseDetector:
        """Train on ``X`` (assumed mostly normal; ``y`` is ignored, as in scikit-learn).
        ``on_epoch(epoch)`` is called after each epoch of an iterative method, where
        ``decision_function`` may already be used."""
        x = self._begin_fit(X)
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
        """1 for images scored above the threshold set at fit, else 0 (PyOD's labels)."""
        check_is_fitted(self, "threshold_")
        scores = self.decision_function(X)
        return (scores > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None) -> np.ndarray:
        """``fit(X)``, then the labels of ``X``."""
        return self.fit(X).predict(X)
