"""The autoencoder detector: ``basic``, ``conv`` or ``vae`` with any registered loss, a face
over :mod:`aeutils.detectors.training` (the loop and scorer the grid's groups use too)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..data.datasets import holdout
from ..registry import AUTOENCODERS, DEFAULT_PRECISION, ConfigError
from .base import BaseDetector
from .training import score_images, train_autoencoders

Tensor = torch.Tensor


class AutoEncoderDetector(BaseDetector):
    """One-class autoencoder detector (``basic``, ``conv`` or ``vae``).

    Parameters are the :class:`aeutils.RunConfig` fields of an autoencoder run, with its
    defaults (``model``, ``loss``, ``epochs``, ``batch_size``, ``lr``, ``latent_dim``,
    ``hidden``, ``score``, ``val_fraction``, ``precision``); ``random_state`` gives its
    ``seed``. ``fit`` holds out ``val_fraction`` of the images exactly as
    :func:`aeutils.data.make_split` holds out normal images (:func:`aeutils.data.holdout`)
    and sets the threshold on their scores, so the threshold uses training data only, but
    not the images the model was fitted to. (``score`` names how a reconstruction becomes
    a score, :data:`aeutils.registry.SCORES`; give ``GridSearchCV`` a ``scoring``.)

    After ``fit``: ``model_`` (the trained network, a one-member ensemble),
    ``loss_curve_`` (mean training loss per epoch), ``train_seconds_``, ``threshold_``,
    ``decision_scores_`` and ``labels_`` (of the held-out images), and the base's
    ``config_``, ``seed_``, ``device_``, ``shape_``.
    """

    def __init__(self, model: str = "basic", loss: str = "mse", epochs: int = 20,
                 batch_size: int = 128, lr: float = 1e-3, latent_dim: int = 32,
                 hidden: tuple[int, ...] = (), score: str = "error", val_fraction: float = 0.1,
                 precision: str = DEFAULT_PRECISION, contamination: float = 0.05,
                 random_state=0, device: str | None = None) -> None:
        self.model = model
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.score = score
        self.val_fraction = val_fraction
        self.precision = precision
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _method(self) -> str:
        return self.model

    def _check_params(self) -> None:
        if self.model not in AUTOENCODERS:
            raise ConfigError(f"AutoEncoderDetector takes an autoencoder model "
                              f"({', '.join(AUTOENCODERS)}), got {self.model!r}; "
                              f"other methods: aeutils.make_detector")

    def fit(self, X, y=None, on_epoch: Callable[[int], None] | None = None) -> AutoEncoderDetector:
        """Hold out ``val_fraction`` of ``X``, train on the rest, threshold on the held-out."""
        x = self._begin_fit(X)
        c = self.config_
        g = torch.Generator().manual_seed(int(c.seed))
        val_idx, train_idx = holdout(torch.arange(len(x)), g, c.val_fraction)
        if len(val_idx) < 1 or len(train_idx) < 1:
            raise ConfigError(f"{len(x)} images are too few to hold out a validation fraction "
                              f"of {c.val_fraction}")
        self._fit_images(x[train_idx], on_epoch)
        self._set_threshold(x[val_idx])
        return self

    def _fit_images(self, x: Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Train through the grid's loop as a group of one, evaluated after every epoch
        when ``on_epoch`` wants to see them (the trajectory does not depend on it)."""
        c = self.config_
        every = tuple(range(1, c.epochs + 1)) if on_epoch else (c.epochs,)

        def checkpoint(epoch: int, members: list[int], model, infos: list[dict]) -> None:
            self.model_, self.loss_curve_ = model, infos[0]["loss_curve"]
            self.train_seconds_ = infos[0]["train_seconds"]
            if on_epoch is not None:
                on_epoch(epoch)

        train_autoencoders([c.replace(checkpoints=every)], [x], self.device_, checkpoint)
        self.model_.eval()

    def _score_images(self, x: Tensor) -> np.ndarray:
        c = self.config_
        scores = score_images(self.model_, c.loss, [x], self.device_, score=c.score,
                              precision=c.precision)
        return scores[0].astype(np.float64)
