"""The autoencoder detector: ``basic``, ``conv`` or ``vae`` with any registered loss,
trained and scored as batched ensembles (a face over :mod:`aeutils.detectors.training`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..data.datasets import holdout
from ..registry import AUTOENCODERS, ConfigError
from .base import BaseDetector
from .training import member_state, reconstruct_images, score_images, train_autoencoders

Tensor = torch.Tensor


class AutoEncoderDetector(BaseDetector):
    """One-class autoencoder detector (``basic``, ``conv`` or ``vae``), batched in groups.

    Parameters mirror :class:`aeutils.RunConfig` (``model``, ``loss``, ``epochs``,
    ``batch_size``, ``lr``, ``latent_dim``, ``hidden``, ``score``, ``val_fraction``);
    ``random_state`` is its ``seed``. ``fit`` holds out ``val_fraction`` of the images
    exactly as :func:`aeutils.data.make_split` holds out normal images
    (:func:`aeutils.data.holdout`) and sets the threshold on their scores, so the
    threshold uses training data only, but not the images the model was fitted to.

    After ``fit``: ``model_`` (the trained ensemble; member ``member_``), ``threshold_``,
    ``decision_scores_`` and ``labels_`` (of the held-out images), ``loss_curve_`` (mean
    training loss per epoch).
    """

    resumable = True

    def __init__(self, model: str = "basic", loss: str = "mse", epochs: int = 20,
                 batch_size: int = 128, lr: float = 1e-3, latent_dim: int = 32,
                 hidden: tuple[int, ...] = (), score: str = "error", val_fraction: float = 0.1,
                 contamination: float = 0.05, random_state: int = 0,
                 device: str | None = None) -> None:
        super().__init__(model=model, contamination=contamination, random_state=random_state,
                         device=device, loss=loss, epochs=epochs, batch_size=batch_size, lr=lr,
                         latent_dim=latent_dim, hidden=tuple(hidden), score=score,
                         val_fraction=val_fraction)

    def _setup(self) -> None:
        if self.config.model not in AUTOENCODERS:
            raise ConfigError(f"AutoEncoderDetector takes an autoencoder model "
                              f"({', '.join(AUTOENCODERS)}), got {self.config.model!r}; "
                              f"other methods: aeutils.make_detector")
        self.loss_curve_: list[float] = []

    def _check_shape(self, shape: tuple[int, int, int]) -> None:
        c, h, w = shape
        if self.config.model == "conv" and (h % 4 or w % 4):
            raise ConfigError(f"the conv autoencoder needs image sides divisible by 4, got {h}×{w}")
        if "ssim" in self.config.loss and min(h, w) < 11:
            raise ConfigError(f"SSIM needs images of at least 11×11, got {h}×{w}: use mse or bce")

    def fit(self, X, y=None, on_epoch: Callable[[int], None] | None = None) -> AutoEncoderDetector:
        """Hold out ``val_fraction`` of ``X``, train on the rest, threshold on the held-out."""
        x = self._images(X, fitting=True)
        c = self.config
        g = torch.Generator().manual_seed(int(c.seed))
        val_idx, train_idx = holdout(torch.arange(len(x)), g, c.val_fraction)
        if len(val_idx) < 1 or len(train_idx) < 1:
            raise ConfigError(f"{len(x)} images are too few to hold out a validation fraction "
                              f"of {c.val_fraction}")
        self._fit_images(x[train_idx], on_epoch)
        self._set_threshold(x[val_idx])
        return self

    def _fit_images(self, x: Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        c = self.config
        every = tuple(range(1, c.epochs + 1)) if on_epoch else (c.epochs,)
        self.config = c.replace(checkpoints=every)
        try:
            self.fit_group([self], [x], on_checkpoint=lambda e, _: on_epoch and on_epoch(e))
        finally:
            self.config = c
        self.model_.eval()

    def _score_images(self, x: Tensor) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise RuntimeError("this AutoEncoderDetector is not fitted yet: call fit(X) first")
        xs = [x if k == self.member_ else x[:0] for k in range(self.model_k_)]
        return self._score(xs)[self.member_]

    def _score(self, xs: Sequence[Tensor]) -> list[np.ndarray]:
        out = score_images(self.model_, self.config.loss, xs, self.device, score=self.config.score,
                           precision=self.config.precision)
        return [s.astype(np.float64) for s in out]

    @classmethod
    def fit_group(cls, detectors, images, on_checkpoint=None, on_epoch=None, progress=None,
                  resume=None) -> None:
        """Train the group as one ensemble (:func:`aeutils.train.train_autoencoders`):
        member k follows the trajectory it would follow alone, only faster."""
        configs = [d.config for d in detectors]

        def checkpoint(epoch, members, model, infos):
            for k, det in enumerate(detectors):
                det.model_, det.member_, det.model_k_ = model, k, len(detectors)
                det.loss_curve_ = infos[k]["loss_curve"]
                det.train_seconds_ = infos[k]["train_seconds"]
                det.shape_ = tuple(images[k].shape[1:])
            if on_checkpoint is not None:
                on_checkpoint(epoch, members)

        model = train_autoencoders(configs, images, detectors[0].device, checkpoint,
                                   progress=progress, resume=resume, on_epoch=on_epoch)
        for k, det in enumerate(detectors):
            det.model_, det.member_, det.model_k_ = model, k, len(detectors)

    @classmethod
    def score_group(cls, detectors, images) -> list[np.ndarray]:
        """All members at once, on the shared ensemble (a shared test set is broadcast)."""
        if [d.member_ for d in detectors] != list(range(detectors[0].model_k_)):
            return super().score_group(detectors, images)
        return detectors[0]._score(images)

    @classmethod
    def reconstruct_group(cls, detectors, images) -> list[np.ndarray]:
        return reconstruct_images(detectors[0].model_, images, detectors[0].device,
                                  detectors[0].config.precision)

    def record_fields(self, **common) -> dict:
        curve = self.loss_curve_
        order = ("group_size", "cpu_seconds", "device")  # the field order records always had
        return {"train_loss": curve[-1], "loss_curve": curve, "train_seconds": self.train_seconds_,
                **{k: common[k] for k in order if k in common}, **common}

    def model_state(self) -> dict:
        return member_state(self.model_, self.member_)

