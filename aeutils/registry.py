"""Names, defaults and implementation versions: the leaf every other module may read.

This module imports nothing from ``aeutils`` (and no torch). Every method, loss term and
loss is registered here once, by name, with the *path* of the code that builds it
(``"module:attribute"``, imported only when something is built: :func:`resolve`), its
options and its implementation version, by one call of :func:`register_autoencoder`,
:func:`register_loss_term`, :func:`register_loss` or :func:`register_baseline`. So
:mod:`aeutils.config` validates and hashes a :class:`~aeutils.config.RunConfig` without
importing the code that trains or scores (no import circle), and every list of choices
(errors, CLI, grid blocks, the contract test) reads the same dicts. Adding a method or a
loss touches its implementation and its one registration call.

**Implementation versions.** A results key hashes a run's configuration *and* the
versions of the code that produced its numbers (:func:`implementation`). Bump a
version (the ``version`` of a registration, or :data:`VERSIONS`) whenever a change to
that component changes results (a model's layers or initialisation, a loss, the split,
training, evaluation, a baseline): every stored record that depends on it then stops
matching, and the grid re-runs it instead of serving numbers the old code computed.
"""

from __future__ import annotations

import functools
import importlib

PROTOCOLS: dict[str, str] = {
    "one-vs-rest": "the class is normal, the other classes are anomalies (the thesis)",
    "leave-one-out": "the class is the anomaly, the other classes are normal (GANomaly's papers)",
}

# --- the registrations, filled by the register_* calls below (mutable: a registration
# made later, e.g. by a plug-in or a test, is seen by every reader of these dicts) ---------
AUTOENCODERS: dict[str, str] = {}          # name → its ensemble model class
LOSS_TERMS: dict[str, str] = {}            # name → per-image loss function (recon, x) → N
LOSSES: dict[str, tuple[str, ...]] = {}    # name → its terms, summed
BASELINES: dict[str, str] = {}             # name → its detector class
METHODS: dict[str, str] = {}               # every method (autoencoders first) → detector class
# Baselines fitted in one shot: no epochs, so they are evaluated once (at ``epochs``).
ONE_SHOT: set[str] = set()
# The selection strategies whose picks the profiles re-run on held-out seeds and the reports
# show (:data:`aeutils.experiments.selection.STRATEGIES` defines every strategy).
REPORTED_STRATEGIES: tuple[str, ...] = ("label-free", "label-free-flip", "labelled-validation")
# Default hidden sizes per autoencoder: widths (basic, vae) or two channel counts (conv).
DEFAULT_HIDDEN: dict[str, tuple[int, ...]] = {}
# The traits of a model and of a loss term, declared with its registration so that config
# validation, the detector, the grid's preflight and the model's builder all read one rule
# (torch-free, so a RunConfig refuses a bad value without loading the model's code):
# image sides an autoencoder needs divisible by (absent: any size),
SIDE_MULTIPLE: dict[str, int] = {}
# the number of hidden sizes an autoencoder takes when that number is fixed (absent: any),
HIDDEN_COUNT: dict[str, int] = {}
# the smallest image side a loss term can measure (absent: any size).
MIN_SIDE: dict[str, int] = {}
# Options of each baseline with their defaults (``RunConfig.extra`` overrides them). They are
# part of the results key, resolved, so changing a default here re-runs what depends on it.
BASELINE_OPTIONS: dict[str, dict[str, object]] = {}
# Options registered after results had been stored with their method: hashed into the key
# only when set (not None), so the keys of the runs made before they existed stay valid.
KEYED_WHEN_SET: dict[str, tuple[str, ...]] = {}
# What a row of a method must say beside its name: methods that see more than the one-class
# training images (the comparison tables print it on every such row).
METHOD_NOTES: dict[str, str] = {}
AUTOENCODER_DETECTOR = "aeutils.detectors.autoencoder:AutoEncoderDetector"

SCORES: dict[str, str] = {
    "error": "reconstruction error: the per-image loss minus its value for a perfect "
             "reconstruction (BCE becomes the per-pixel Bernoulli KL; MSE and SSIM unchanged)",
    "loss": "the per-image training loss as is (BCE keeps the entropy of the image itself: "
            "the raw form of aeutils before version 2 of the score)",
}

# Arithmetic of autoencoder training and scoring (``RunConfig.precision``). "fp32", the
# default, is what every record stored before this setting existed was trained with, so it
# is left out of the key; on CUDA that arithmetic has always let matmuls and convolutions
# run in TF32 (float32 storage, 10-bit mantissa products), which "fp32" keeps meaning there.
PRECISIONS: dict[str, str] = {
    "fp32": "float32; on CUDA, matmuls and convolutions in TF32 (as every stored CUDA run)",
    "fp32-strict": "float32 everywhere, TF32 off on CUDA (on a CPU the same arithmetic as fp32)",
    "bf16": "bfloat16 autocast of the forward pass on CPU or CUDA; losses and Adam in float32",
}
DEFAULT_PRECISION = "fp32"

VERSIONS: dict[str, int] = {
    "data": 2,          # dataset identity by content, split (v2: keys name data by content)
    "train": 1,         # the autoencoder training loop and optimiser
    "evaluation": 2,    # metrics stored per record (v2: balanced accuracy, label-free metrics)
    "score": 2,         # v2: BCE scored as reconstruction error (see SCORES)
}


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the valid choices."""


def choice_error(what: str, value: object, choices) -> ConfigError:
    """One-line error naming the valid choices for ``what``."""
    return ConfigError(f"unknown {what} {value!r}; valid choices: {', '.join(map(str, choices))}")


def loss_terms(loss: str) -> tuple[str, ...]:
    """The terms of a loss name (``"bce+ssim"`` → ``("bce", "ssim")``)."""
    if loss not in LOSSES:
        raise choice_error("loss", loss, LOSSES)
    return LOSSES[loss]


def implementation(model: str, loss: str) -> dict[str, int]:
    """Versions of every component whose code produced a record of ``model`` (and ``loss``)."""
    parts = ["data", "evaluation"]
    if model in AUTOENCODERS:
        parts += ["train", f"model:{model}", "score", *(f"loss:{t}" for t in loss_terms(loss))]
    else:
        parts.append(f"baseline:{model}")
    return {p: VERSIONS[p] for p in parts}


def resolve(builder):
    """The object a registration names: ``"module:attribute"`` is imported now (so this
    leaf stays light); anything else (a class or function registered directly) as is."""
    return _imported(builder) if isinstance(builder, str) else builder


@functools.cache
def _imported(path: str):
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _check_new(name: str, *registries: dict) -> None:
    if not name or any(name in r for r in registries):
        raise ConfigError(f"{name!r} is already registered (or empty); pick another name")


def register_autoencoder(name: str, model, hidden: tuple[int, ...], version: int = 1,
                         side_multiple: int = 1, hidden_count: int | None = None) -> None:
    """An autoencoder: its ensemble model class (an
    :class:`aeutils.detectors.networks.EnsembleAutoencoder`), default hidden sizes, version
    and traits: the number image sides must be divisible by (its stride-2 layers) and the
    number of hidden sizes it takes when fixed. Trained and scored by
    :class:`aeutils.detectors.AutoEncoderDetector`."""
    _check_new(name, METHODS)
    AUTOENCODERS[name] = model
    METHODS[name] = AUTOENCODER_DETECTOR
    DEFAULT_HIDDEN[name] = tuple(hidden)
    VERSIONS[f"model:{name}"] = version
    if side_multiple > 1:
        SIDE_MULTIPLE[name] = side_multiple
    if hidden_count is not None:
        HIDDEN_COUNT[name] = hidden_count


def register_loss_term(name: str, fn, version: int = 1, min_side: int = 1) -> None:
    """A reconstruction loss term (``(recon, x)`` → one value per image, higher = worse),
    also registered as a loss of its own; combine terms with :func:`register_loss`.
    ``min_side``: the smallest image side it can measure (a window's size)."""
    if "+" in name:
        raise ConfigError(f"a loss term's name cannot contain '+', got {name!r}")
    _check_new(name, LOSS_TERMS)
    LOSS_TERMS[name] = fn
    VERSIONS[f"loss:{name}"] = version
    if min_side > 1:
        MIN_SIDE[name] = min_side
    register_loss(name)


def register_loss(name: str) -> None:
    """A loss that sums registered terms, named by them: ``"mse+ssim"``."""
    _check_new(name, LOSSES)
    terms = tuple(name.split("+"))
    for t in terms:
        if t not in LOSS_TERMS:
            raise choice_error("loss term", t, LOSS_TERMS)
    LOSSES[name] = terms


def register_baseline(name: str, detector, options: dict[str, object], version: int = 1,
                      one_shot: bool = False, keyed_when_set: tuple[str, ...] = (),
                      note: str | None = None) -> None:
    """A comparison method: its detector class (an :class:`aeutils.detectors.BaseDetector`),
    its options with their defaults, its version, whether it fits in one shot (no epochs),
    which options joined after results were stored (:data:`KEYED_WHEN_SET`) and what its
    rows must say beside its name (:data:`METHOD_NOTES`)."""
    _check_new(name, METHODS)
    BASELINES[name] = detector
    METHODS[name] = detector
    BASELINE_OPTIONS[name] = dict(options)
    VERSIONS[f"baseline:{name}"] = version
    if one_shot:
        ONE_SHOT.add(name)
    if keyed_when_set:
        KEYED_WHEN_SET[name] = tuple(keyed_when_set)
    if note:
        METHOD_NOTES[name] = note


# --- what aeutils ships ---------------------------------------------------------------
register_autoencoder("basic", "aeutils.detectors.networks:BasicAE", hidden=(128,))
# two stride-2 convolutions halve each side twice; two channel counts, one per convolution
register_autoencoder("conv", "aeutils.detectors.networks:ConvAE", hidden=(32, 64),
                     side_multiple=4, hidden_count=2)
register_autoencoder("vae", "aeutils.detectors.networks:VAE", hidden=(128,))
register_loss_term("mse", "aeutils.detectors.losses:mse")
register_loss_term("bce", "aeutils.detectors.losses:bce")
register_loss_term("ssim", "aeutils.detectors.losses:ssim_loss", min_side=11)  # its 11×11 window
register_loss("mse+ssim")
register_loss("bce+ssim")
_CLASSICAL = "aeutils.detectors.classical"
register_baseline("knn", f"{_CLASSICAL}:KNNBaseline", {"k": 5, "pca": None, "max_fit": None},
                  one_shot=True)
register_baseline("kmeans", f"{_CLASSICAL}:KMeansBaseline",
                  {"clusters": 10, "pca": None, "max_fit": None}, one_shot=True)
register_baseline("ocsvm", f"{_CLASSICAL}:OCSVMBaseline",
                  {"nu": 0.1, "pca": None, "max_fit": 10_000}, one_shot=True)
register_baseline("iforest", f"{_CLASSICAL}:IForestBaseline",
                  {"trees": 100, "pca": None, "max_fit": None}, one_shot=True)
register_baseline("pca", f"{_CLASSICAL}:PCABaseline", {"components": 32, "max_fit": None},
                  one_shot=True)
register_baseline("ganomaly", "aeutils.detectors.ganomaly:GANomaly",
                  {"ndf": 64, "lr_gan": 2e-4, "w_adv": 1.0, "w_con": 50.0, "w_enc": 1.0,
                   "precise_bn": True})
register_baseline("deep-svdd", "aeutils.detectors.deep_svdd:DeepSVDD",
                  {"pretrain_epochs": 10, "lr_pretrain": 1e-4, "lr_svdd": 1e-4,
                   "weight_decay": 1e-6, "center_eps": 0.1, "channels": None,
                   "lr_drop_pretrain": None, "lr_drop_svdd": None},
                  version=2,  # v2: pre-training epochs no longer follow config.epochs
                  keyed_when_set=("lr_drop_pretrain", "lr_drop_svdd"))
# Frozen EfficientNet-Lite0 features (ImageNet weights / random ones) + kNN, k = 2 and
# 224-pixel inputs as in Bergman, Cohen & Hoshen (2020): aeutils.detectors.pretrained.
register_baseline("pretrained-knn", "aeutils.detectors.pretrained:PretrainedKNN",
                  {"k": 2, "image_size": 224}, one_shot=True,
                  note="ImageNet-pretrained (external data)")
register_baseline("untrained-knn", "aeutils.detectors.pretrained:UntrainedKNN",
                  {"k": 2, "image_size": 224}, one_shot=True,
                  note="the same network, random weights")
# AnoGAN (Schlegl et al., 2017) and EGBAD (Zenati et al., 2018) on GANomaly's DCGAN nets:
# aeutils.detectors.anogan / .egbad. AnoGAN's iterations count is a score-time option, so
# runs at different counts have different keys.
register_baseline("anogan", "aeutils.detectors.anogan:AnoGAN",
                  {"ndf": 64, "lr_gan": 2e-4, "iterations": 500, "lam": 0.1, "lr_search": 0.01,
                   "search_chunk": 1000, "precise_bn": True, "search_precision": None},
                  keyed_when_set=("search_precision",))
register_baseline("egbad", "aeutils.detectors.egbad:EGBAD",
                  {"ndf": 64, "lr_gan": 2e-4, "alpha": 0.9, "dis_score": "fm",
                   "precise_bn": True})
