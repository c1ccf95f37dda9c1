"""Every method with one detector shape (``fit``, ``decision_function``, ``predict``):
the autoencoders and the baselines, and what they are made of (networks, losses, SSIM,
the training loop, metrics). Names are imported on first use.

Modules: :mod:`~aeutils.detectors.base` (the detector base), :mod:`~.autoencoder`
(the autoencoder detector), :mod:`~.networks`, :mod:`~.losses`, :mod:`~.ssim`,
:mod:`~.training`, :mod:`~.metrics`; one module per baseline family: :mod:`~.classical`
(scikit-learn on pixels), :mod:`~.ganomaly`, :mod:`~.deep_svdd`, :mod:`~.pretrained`
(frozen EfficientNet-Lite0 features + kNN).
"""

from ..lazy import exports

_EXPORTS = {
    **dict.fromkeys(("BaseDetector", "as_images", "config_detector", "detector_class",
                     "make_detector"), ".base"),
    "AutoEncoderDetector": ".autoencoder",
    **dict.fromkeys(("SklearnBaseline", "KNNBaseline", "KMeansBaseline", "OCSVMBaseline",
                     "IForestBaseline", "PCABaseline"), ".classical"),
    "DeepSVDD": ".deep_svdd", "GANomaly": ".ganomaly",
    "PretrainedKNN": ".pretrained", "UntrainedKNN": ".pretrained",
}
__getattr__, __dir__ = exports(__name__, _EXPORTS, globals())
__all__ = sorted(_EXPORTS)
