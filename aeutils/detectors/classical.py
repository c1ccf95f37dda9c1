"""Classical one-class baselines: scikit-learn models on flattened pixels.

Every detector here flattens the N×C×H×W images (float in [0, 1]) into
N × (C·H·W) float32 rows, optionally projects them onto the first ``pca`` principal
components of the training images, and fits one scikit-learn estimator. They are
one-shot: they have no epochs and never call ``on_epoch``. Everything random (PCA's
randomized solver, k-means initialisation, isolation trees, sub-sampling) is seeded by
the detector's seed (``random_state``; the grid's ``config.seed``), so a configuration
always gives the same scores.

Parameters (their registered options, defaults as in
:data:`aeutils.registry.BASELINE_OPTIONS`):

- ``pca``: components of the optional PCA pre-projection (default: none; for
  ``ocsvm`` too). Not a parameter of the ``pca`` baseline, which is a PCA itself.
- ``max_fit``: fit on at most this many training images, a random subset drawn
  with the seed (default: all images, except ``ocsvm``: 10,000).
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
from .base import BaseDetector


def flatten(x: torch.Tensor) -> np.ndarray:
    """N×C×H×W images (any device) → N × (C·H·W) float32 numpy rows."""
    return x.detach().reshape(len(x), -1).float().cpu().numpy()


class SklearnBaseline(BaseDetector):
    """Shared plumbing: flatten → (sub-sample) → (PCA) → one scikit-learn estimator.

    Subclasses store their parameters (``pca`` where it applies, ``max_fit``, their own)
    and implement :meth:`_fit` and :meth:`_score` on 2-D float arrays; higher scores are
    more anomalous. After ``fit``: ``projection_`` (the fitted PCA pre-projection, or
    None) and the subclass's fitted estimator.
    """

    # --- features ----------------------------------------------------------------
    def _features(self, x: torch.Tensor) -> np.ndarray:
        f = flatten(x)
        if self.projection_ is not None:
            f = self.projection_.transform(f).astype(np.float32)
        return f

    def _fit_images(self, x: torch.Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Fit on the training images; one-shot, so ``on_epoch`` is never called."""
        f = flatten(to_float(x, self.device_))
        if self.max_fit is not None and len(f) > int(self.max_fit):
            rng = np.random.default_rng(self.seed_)
            f = f[np.sort(rng.choice(len(f), int(self.max_fit), replace=False))]
        self.projection_: PCA | None = None
        pca = getattr(self, "pca", None)
        if pca is not None:
            self.projection_ = PCA(min(int(pca), *f.shape), random_state=self.seed_).fit(f)
            f = self.projection_.transform(f).astype(np.float32)
        self._fit(f)

    def _score_images(self, x: torch.Tensor) -> np.ndarray:
        """Anomaly score per image, shape (N,), float64; higher = more anomalous."""
        f = self._features(to_float(x, self.device_))
        return np.asarray(self._score(f), dtype=np.float64).reshape(-1)

    # --- per method --------------------------------------------------------------
    def _fit(self, f: np.ndarray) -> None:
        raise NotImplementedError

    def _score(self, f: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class KNNBaseline(SklearnBaseline):
    """k-nearest-neighbour distance (e.g. Ramaswamy et al., SIGMOD 2000, with the mean).

    Score = the **mean** Euclidean distance from an image to its ``k`` nearest
    training images, found exactly with scikit-learn's ``NearestNeighbors``
    (``nn_``; ``n_neighbors_`` = k, or fewer when fewer images were fitted). A training
    image scored against its own training set counts itself as a neighbour (distance 0).
    """

    name = "knn"

    def __init__(self, k: int = 5, pca: int | None = None, max_fit: int | None = None,
                 contamination: float = 0.05, random_state=0, device: str | None = None) -> None:
        self.k = k
        self.pca = pca
        self.max_fit = max_fit
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _fit(self, f: np.ndarray) -> None:
        self.n_neighbors_ = min(int(self.k), len(f))
        self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors_).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        dist, _ = self.nn_.kneighbors(f, n_neighbors=self.n_neighbors_)
        return dist.mean(axis=1)


class KMeansBaseline(SklearnBaseline):
    """Distance to the nearest k-means centroid (a classic clustering-based detector).

    ``clusters`` centroids fitted by scikit-learn's ``KMeans`` (``kmeans_``; k-means++,
    ``n_init=4`` restarts, seeded); score = Euclidean distance to the closest centroid.
    """

    name = "kmeans"

    def __init__(self, clusters: int = 10, pca: int | None = None, max_fit: int | None = None,
                 contamination: float = 0.05, random_state=0, device: str | None = None) -> None:
        self.clusters = clusters
        self.pca = pca
        self.max_fit = max_fit
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _fit(self, f: np.ndarray) -> None:
        k = min(int(self.clusters), len(f))
        self.kmeans_ = KMeans(n_clusters=k, n_init=4, random_state=self.seed_).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        return self.kmeans_.transform(f).min(axis=1)


class OCSVMBaseline(SklearnBaseline):
    """One-class SVM (Schölkopf et al., Neural Computation 2001), RBF kernel.

    scikit-learn ``OneClassSVM(kernel="rbf", nu=nu, gamma="scale")`` (``svm_``;
    gamma = 1 / (n_features · variance of the training pixels)); score =
    −``decision_function``. Defaults: raw pixels, no PCA (``pca`` to add one);
    fitted on at most ``max_fit`` = 10,000 images (a seeded random subset), which
    keeps every one-class training set whole: on 2 CPU cores, MNIST with its
    ~5,300 training images of 784 pixels fits in ~1.5 s and scores the 10,000 test
    images in ~1.5 s. No hyper-parameter search (nu and gamma are fixed).
    """

    name = "ocsvm"

    def __init__(self, nu: float = 0.1, pca: int | None = None, max_fit: int | None = 10_000,
                 contamination: float = 0.05, random_state=0, device: str | None = None) -> None:
        self.nu = nu
        self.pca = pca
        self.max_fit = max_fit
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _fit(self, f: np.ndarray) -> None:
        self.svm_ = OneClassSVM(kernel="rbf", nu=float(self.nu), gamma="scale").fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        return -self.svm_.decision_function(f)


class IForestBaseline(SklearnBaseline):
    """Isolation Forest (Liu, Ting & Zhou, ICDM 2008).

    scikit-learn ``IsolationForest`` (``forest_``) with ``n_estimators`` = ``trees``,
    256 samples per tree (the paper's ψ), seeded; score = −``score_samples``
    (the paper's anomaly score s(x, ψ), up to sign).
    """

    name = "iforest"

    def __init__(self, trees: int = 100, pca: int | None = None, max_fit: int | None = None,
                 contamination: float = 0.05, random_state=0, device: str | None = None) -> None:
        self.trees = trees
        self.pca = pca
        self.max_fit = max_fit
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _fit(self, f: np.ndarray) -> None:
        self.forest_ = IsolationForest(n_estimators=int(self.trees),
                                       random_state=self.seed_).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        return -self.forest_.score_samples(f)


class PCABaseline(SklearnBaseline):
    """PCA reconstruction error: a linear autoencoder (e.g. Shyu et al., 2003; Jolliffe).

    Fits ``components`` principal components on the training images (``pca_``; seeded
    randomized SVD where scikit-learn picks it) and scores the squared Euclidean distance
    between an image and its projection onto them. It takes no ``pca`` pre-projection:
    that would drop the very residual this score measures.
    """

    name = "pca"

    def __init__(self, components: int = 32, max_fit: int | None = None,
                 contamination: float = 0.05, random_state=0, device: str | None = None) -> None:
        self.components = components
        self.max_fit = max_fit
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _fit(self, f: np.ndarray) -> None:
        n = min(int(self.components), *f.shape)
        self.pca_ = PCA(n, random_state=self.seed_).fit(f)

    def _score(self, f: np.ndarray) -> np.ndarray:
        recon = self.pca_.inverse_transform(self.pca_.transform(f))
        return ((f.astype(np.float64) - recon) ** 2).sum(axis=1)
