"""Classical one-class baselines: scikit-learn models on flattened pixels.

Every detector here flattens the N×C×H×W images (float in [0, 1]) into
N × (C·H·W) float32 rows, optionally projects them onto the first
``config.get("pca")`` principal components of the training images, and fits one
scikit-learn estimator. They are one-shot: ``config.epochs`` is ignored and
``on_epoch`` is never called. Everything random (PCA's randomized solver,
k-means initialisation, isolation trees, sub-sampling) is seeded by
``config.seed``, so a config always gives the same scores.

Options read from ``config.extra`` (``config.get``; defaults in
:data:`aeutils.registry.BASELINE_OPTIONS`):

- ``pca``: components of the optional PCA pre-projection (default: none; for
  ``ocsvm`` too). Not accepted by the ``pca`` baseline, which is a PCA itself.
- ``max_fit``: fit on at most this many training images, a random subset drawn
  with ``config.seed`` (default: all images, except ``ocsvm``: 10,000).
- per method: ``k`` (knn), ``clusters`` (kmeans), ``nu`` (ocsvm),
  ``trees`` (iforest), ``components`` (pca).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import OneClassSVM

from ..data.datasets import to_float
from ..registry import ConfigError
from .base import BaseDetector


def flatten(x: torch.Tensor) -> np.ndarray:
    """N×C×H×W images (any device) → N × (C·H·W) float32 numpy rows."""
    return x.detach().reshape(len(x), -1).float().cpu().numpy()


class SklearnBaseline(BaseDetector):
    """Shared plumbing: flatten → (sub-sample) → (PCA) → one scikit-learn estimator.

    Subclasses implement :meth:`_fit` and
    :meth:`_score` on 2-D float arrays; higher scores are more anomalous.
    """

    allows_pca: bool = True

    def _setup(self) -> None:
        config = self.config
        self.seed = int(config.seed)
        pca = config.get("pca")
        if pca is not None and not self.allows_pca:
            raise ConfigError(f"baseline {config.model!r} does not take the 'pca' option")
        self.n_pca = None if pca is None else int(pca)
        max_fit = config.get("max_fit")
        self.max_fit = None if max_fit is None else int(max_fit)
        self.projection: PCA | None = None

    # --- features ----------------------------------------------------------------
    def _features(self, x: torch.Tensor) -> np.ndarray:
        f = flatten(x)
        if self.projection is not None:
            f = self.projection.transform(f).astype(np.float32)
        return f

    def _fit_images(self, x: torch.Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Fit on the training images; one-shot, so ``on_epoch`` is never called."""
        f = flatten(to_float(x, self.device))
        if self.max_fit is not None and len(f) > self.max_fit:
            rng = np.random.default_rng(self.seed)
            f = f[np.sort(rng.choice(len(f), self.max_fit, replace=False))]
        if self.n_pca is not None:
            n = min(self.n_pca, *f.shape)
            self.projection = PCA(n, random_state=self.seed).fit(f)
            f = self.projection.transform(f).astype(np.float32)
        self._fit(f)

    def _score_images(self, x: torch.Tensor) -> np.ndarray:
        """Anomaly score per image, shape (N,), float64; higher = more anomalous."""
        f = self._features(to_float(x, self.device))
        return np.asarray(self._score(f), dtype=np.float64).reshape(-1)

    # --- per method --------------------------------------------------------------
    def _fit(self, f: np.ndarray) -> None:
        raise NotImplementedError

    def _score(self, f: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class KNNBaseline(SklearnBaseline):
    """k-nearest-neighbour distance (e.g. Ramaswamy et al., SIGMOD 2000, with the mean).

    Score = the **mean** Euclidean distance from an image to its k nearest
    training images (``k`` = ``config.get("k")``), found exactly with
    scikit-learn's ``NearestNeighbors``. A training image scored against its own
    training set counts itself as a neighbour (distance 0).
    """

    name = "knn"

    def _fit(self, f: np.ndarray) -> None:
        self.k = min(int(self.config.get("k")), len(f))
        self.nn = NearestNeighbors(n_neighbors=self.k).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        dist, _ = self.nn.kneighbors(f, n_neighbors=self.k)
        return dist.mean(axis=1)


class KMeansBaseline(SklearnBaseline):
    """Distance to the nearest k-means centroid (a classic clustering-based detector).

    ``clusters`` = ``config.get("clusters")`` centroids fitted by scikit-learn's
    ``KMeans`` (k-means++, ``n_init=4`` restarts, seeded); score = Euclidean distance
    to the closest centroid.
    """

    name = "kmeans"

    def _fit(self, f: np.ndarray) -> None:
        k = min(int(self.config.get("clusters")), len(f))
        self.km = KMeans(n_clusters=k, n_init=4, random_state=self.seed).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        return self.km.transform(f).min(axis=1)


class OCSVMBaseline(SklearnBaseline):
    """One-class SVM (Schölkopf et al., Neural Computation 2001), RBF kernel.

    scikit-learn ``OneClassSVM(kernel="rbf", nu=config.get("nu"), gamma="scale")``
    (gamma = 1 / (n_features · variance of the training pixels)); score =
    −``decision_function``. Defaults: raw pixels, no PCA (``pca`` to add one);
    fitted on at most ``max_fit`` = 10,000 images (a seeded random subset), which
    keeps every one-class training set whole: on 2 CPU cores, MNIST with its
    ~5,300 training images of 784 pixels fits in ~1.5 s and scores the 10,000 test
    images in ~1.5 s. No hyper-parameter search (nu and gamma are fixed).
    """

    name = "ocsvm"

    def _fit(self, f: np.ndarray) -> None:
        nu = float(self.config.get("nu"))
        self.svm = OneClassSVM(kernel="rbf", nu=nu, gamma="scale").fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        return -self.svm.decision_function(f)


class IForestBaseline(SklearnBaseline):
    """Isolation Forest (Liu, Ting & Zhou, ICDM 2008).

    scikit-learn ``IsolationForest`` with ``n_estimators`` = ``config.get("trees")``,
    256 samples per tree (the paper's ψ), seeded; score = −``score_samples``
    (the paper's anomaly score s(x, ψ), up to sign).
    """

    name = "iforest"

    def _fit(self, f: np.ndarray) -> None:
        self.forest = IsolationForest(n_estimators=int(self.config.get("trees")),
                                      random_state=self.seed).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        return -self.forest.score_samples(f)


class PCABaseline(SklearnBaseline):
    """PCA reconstruction error: a linear autoencoder (e.g. Shyu et al., 2003; Jolliffe).

    Fits ``components`` = ``config.get("components")`` principal components
    on the training images (seeded randomized SVD where scikit-learn picks it) and
    scores the squared Euclidean distance between an image and its projection
    onto them. The ``pca`` pre-projection option is refused: it would drop the
    very residual this score measures.
    """

    name = "pca"
    allows_pca = False

    def _fit(self, f: np.ndarray) -> None:
        n = min(int(self.config.get("components")), *f.shape)
        self.model = PCA(n, random_state=self.seed).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        recon = self.model.inverse_transform(self.model.transform(f))
        return ((f.astype(np.float64) - recon) ** 2).sum(axis=1)
