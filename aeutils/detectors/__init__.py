"""Every method with one detector shape (``fit``, ``decision_function``, ``predict``; a
scikit-learn estimator): the autoencoders and the baselines, what they are made of
(networks, losses, SSIM, the training loop, metrics) and the grid's batched path over
them. Names are imported on first use.

Modules: :mod:`~aeutils.detectors.base` (the detector base: the estimator's face),
:mod:`~.autoencoder` (the autoencoder detector), :mod:`~.networks`, :mod:`~.losses`,
:mod:`~.ssim`, :mod:`~.training`, :mod:`~.metrics`; one module per baseline family:
:mod:`~.classical` (scikit-learn on pixels), :mod:`~.ganomaly`, :mod:`~.deep_svdd`,
:mod:`~.pretrained` (frozen EfficientNet-Lite0 features + kNN); :mod:`~.groups` (the
grid's groups of runs, trained together).
"""

from ..lazy import exports

_EXPORTS = {
    **dict.fromkeys(("BaseDetector", "as_images", "detector_class", "make_detector",
                     "seed_of"), ".base"),
    **dict.fromkeys(("AutoencoderGroup", "DetectorGroup", "config_detector",
                     "training_group"), ".groups"),
    "AutoEncoderDetector": ".autoencoder",
    **dict.fromkeys(("SklearnBaseline", "KNNBaseline", "KMeansBaseline", "OCSVMBaseline",
                     "IForestBaseline", "PCABaseline"), ".classical"),
    "DeepSVDD": ".deep_svdd", "GANomaly": ".ganomaly",
    "PretrainedKNN": ".pretrained", "UntrainedKNN": ".pretrained",
}
__getattr__, __dir__ = exports(__name__, _EXPORTS, globals())
__all__ = sorted(_EXPORTS)
