"""Comparison methods run through the same splits, grid and results store.

Each baseline is a :class:`~aeutils.detector.BaseDetector` registered by name in
:mod:`aeutils.registry` (:func:`aeutils.registry.register_baseline`), so it has the one
detector shape every method has::

    det = make_detector("knn", k=5).fit(X_train)   # arrays N×H×W, N×C×H×W or N×D
    scores = det.decision_function(X_test)          # numpy (N,), higher = more anomalous

and the grid runs it from a :class:`~aeutils.config.RunConfig`
(:meth:`~aeutils.detector.BaseDetector.from_config`). Iterative baselines call
``on_epoch(epoch)`` after each epoch so the runner can evaluate checkpoint epochs;
one-shot baselines ignore ``config.epochs`` and are evaluated once.

Registered baselines (options are read from ``config.extra``; see each class):

- ``knn``: mean Euclidean distance to the k = 5 nearest training images (pixels).
- ``kmeans``: distance to the nearest of 10 k-means centroids (pixels).
- ``ocsvm``: one-class SVM, RBF kernel, nu = 0.1, gamma "scale" (pixels).
- ``iforest``: Isolation Forest, 100 trees (pixels).
- ``pca``: reconstruction error of a 32-component PCA (pixels).
- ``ganomaly``: GANomaly (Akcay et al., 2018), latent distance ||z − ẑ||², eval mode.
- ``deep-svdd``: Deep SVDD (Ruff et al., 2018), one-class objective, ||φ(x) − c||².
- ``pretrained-knn``: mean distance to the 2 nearest training images in frozen
  ImageNet-pretrained EfficientNet-Lite0 features (Bergman et al., 2020): external data.
- ``untrained-knn``: the same with random weights (what the architecture alone does).
- ``anogan``: AnoGAN (Schlegl et al., 2017), a DCGAN scored by a latent search per image
  (500 Adam steps on z, frozen nets): (1 − λ)·|x − G(z)|₁ + λ·|f(x) − f(G(z))|₁, λ = 0.1.
- ``egbad``: EGBAD (Zenati et al., 2018), a BiGAN scored in one pass:
  0.9·|x − G(E(x))|₁ + 0.1·|f(x, E(x)) − f(G(E(x)), E(x))|₁.

The classical five and the two feature kNNs are one-shot; ``ganomaly``, ``deep-svdd``,
``anogan`` and ``egbad`` are iterative.
"""

from __future__ import annotations

from .anogan import AnoGAN
from .classical import (
    IForestBaseline,
    KMeansBaseline,
    KNNBaseline,
    OCSVMBaseline,
    PCABaseline,
    SklearnBaseline,
)
from .deep_svdd import DeepSVDD
from .egbad import EGBAD
from .ganomaly import GANomaly
from .pretrained import PretrainedKNN, UntrainedKNN

__all__ = ["AnoGAN", "DeepSVDD", "EGBAD", "GANomaly", "IForestBaseline", "KMeansBaseline",
           "KNNBaseline", "OCSVMBaseline", "PCABaseline", "PretrainedKNN", "SklearnBaseline",
           "UntrainedKNN"]
