"""A scikit-learn / PyOD-style face for the autoencoders: arrays in, anomaly scores out.

::

    from aeutils import AutoEncoderDetector
    det = AutoEncoderDetector(model="conv", loss="mse+ssim", epochs=20).fit(X_train)
    scores = det.decision_function(X_test)   # higher = more anomalous
    labels = det.predict(X_test)             # 1 = anomaly, 0 = normal

It is a thin face over the same pipeline as :func:`aeutils.run`: the training images
are held out exactly as :func:`aeutils.data.make_split` holds out normal images
(:func:`aeutils.data.holdout`), the models, losses, training loop and scoring are the
library's, so for the same images and seed it gives the same scores as ``run()``
(tested). Nothing here trains or scores by itself.

Arrays: N×H×W (grey), N×C×H×W, or N×D (flat vectors, treated as 1×1×D images: the
``basic`` and ``vae`` models with ``mse`` or ``bce``); uint8, or float in [0, 1]
(quantised to 8 bits, as every dataset in aeutils is stored). NumPy or torch.
"""

from __future__ import annotations

import numpy as np
import torch

from .config import RunConfig
from .data import Split, holdout
from .registry import ConfigError
from .train import pick_device, score_images, train_autoencoders


def as_images(X) -> torch.Tensor:
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
    x = x.float()
    if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ConfigError("float images must be finite and in [0, 1] (or pass uint8 in 0-255)")
    return x.mul(255).round_().to(torch.uint8)


class AutoEncoderDetector:
    """One-class autoencoder detector with ``fit`` / ``decision_function`` / ``predict``.

    Parameters mirror :class:`aeutils.RunConfig` (``model``, ``loss``, ``epochs``,
    ``batch_size``, ``lr``, ``latent_dim``, ``hidden``, ``score``, ``val_fraction``);
    ``random_state`` is its ``seed``. ``contamination`` is the expected share of
    anomalies: ``predict`` flags scores above the (1 − contamination) quantile of the
    scores of the held-out *training* images, so the threshold uses training data only.

    After ``fit``: ``model_`` (the trained K = 1 ensemble), ``config_``,
    ``threshold_``, ``loss_curve_`` (mean training loss per epoch).
    """

    def __init__(self, model: str = "basic", loss: str = "mse", epochs: int = 20,
                 batch_size: int = 128, lr: float = 1e-3, latent_dim: int = 32,
                 hidden: tuple[int, ...] = (), score: str = "error", val_fraction: float = 0.1,
                 contamination: float = 0.05, random_state: int = 0,
                 device: str | None = None) -> None:
        self.model, self.loss, self.epochs, self.batch_size = model, loss, epochs, batch_size
        self.lr, self.latent_dim, self.hidden, self.score = lr, latent_dim, hidden, score
        self.val_fraction, self.contamination = val_fraction, contamination
        self.random_state, self.device = random_state, device

    def _config(self) -> RunConfig:
        if not 0 < self.contamination < 0.5:
            raise ConfigError(f"contamination must be in (0, 0.5), got {self.contamination}")
        return RunConfig(model=self.model, loss=self.loss, epochs=self.epochs,
                         batch_size=self.batch_size, lr=self.lr, latent_dim=self.latent_dim,
                         hidden=tuple(self.hidden), score=self.score,
                         val_fraction=self.val_fraction, seed=self.random_state)

    def fit(self, X, y=None) -> AutoEncoderDetector:
        """Train on ``X`` (assumed mostly normal); ``y`` is ignored (scikit-learn API)."""
        config = self._config()
        if not config.is_autoencoder:
            raise ConfigError(f"AutoEncoderDetector takes an autoencoder model (basic, conv, "
                              f"vae), got {config.model!r}; baselines: aeutils.baselines")
        x = as_images(X)
        self._check_shape(config, x.shape[1:])
        g = torch.Generator().manual_seed(int(config.seed))
        val_idx, train_idx = holdout(torch.arange(len(x)), g, config.val_fraction)
        if len(val_idx) < 1 or len(train_idx) < 1:
            raise ConfigError(f"{len(x)} images are too few to hold out a validation fraction "
                              f"of {config.val_fraction}")
        empty = torch.zeros(0, dtype=torch.long)
        split = Split(train_x=x[train_idx], train_is_anomaly=torch.zeros(len(train_idx), dtype=bool),
                      val_x=x[val_idx], val_y=torch.zeros(len(val_idx), dtype=torch.long),
                      test_x=x[:0], test_y=empty)
        history: list[list[float]] = []

        def keep_curve(epoch, members, model, infos):
            history[:] = [infos[0]["loss_curve"]]

        self.device_ = pick_device(self.device)
        self.config_ = config.replace(checkpoints=(config.epochs,))
        self.model_ = train_autoencoders([self.config_], [split], self.device_, keep_curve).eval()
        self.loss_curve_ = history[0] if history else []
        val_scores = self.decision_function(x[val_idx])
        self.threshold_ = float(np.quantile(val_scores, 1 - self.contamination))
        self.shape_ = tuple(x.shape[1:])
        return self

    @staticmethod
    def _check_shape(config: RunConfig, shape) -> None:
        c, h, w = shape
        if config.model == "conv" and (h % 4 or w % 4):
            raise ConfigError(f"the conv autoencoder needs image sides divisible by 4, got {h}×{w}")
        if "ssim" in config.loss and min(h, w) < 11:
            raise ConfigError(f"SSIM needs images of at least 11×11, got {h}×{w}: use mse or bce")

    def _fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError("this AutoEncoderDetector is not fitted yet: call fit(X) first")

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score per image (the reconstruction error): higher = more anomalous."""
        self._fitted()
        x = as_images(X)
        if hasattr(self, "shape_") and tuple(x.shape[1:]) != self.shape_:
            raise ConfigError(f"images of shape {tuple(x.shape[1:])} given to a detector "
                              f"fitted on {self.shape_}")
        return score_images(self.model_, self.config_.loss, [x], self.device_,
                            score=self.config_.score)[0].astype(np.float64)

    def score_samples(self, X) -> np.ndarray:
        """scikit-learn's convention: higher = more normal (the negated score)."""
        return -self.decision_function(X)

    def predict(self, X) -> np.ndarray:
        """1 for images scored above the training-data threshold, else 0."""
        self._fitted()
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).predict(X)
