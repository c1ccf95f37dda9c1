"""Names, defaults and implementation versions: the leaf every other module may read.

This module imports nothing from ``aeutils``. :mod:`aeutils.config` validates and
hashes a :class:`~aeutils.config.RunConfig` from what is declared here, so it never
imports the code that trains or scores (no import circle). The modules that *build*
things (``models.MODELS``, ``losses.LOSSES``, ``baselines.BASELINES``) register the
same names; a test checks that both lists agree.

**Implementation versions.** A results key hashes a run's configuration *and* the
versions of the code that produced its numbers (:func:`implementation`). Bump a
version in :data:`VERSIONS` whenever a change to that component changes results
(a model's layers or initialisation, a loss, the split, training, evaluation, a
baseline): every stored record that depends on it then stops matching, and the
grid re-runs it instead of serving numbers the old code computed.
"""

from __future__ import annotations

PROTOCOLS: dict[str, str] = {
    "one-vs-rest": "the class is normal, the other classes are anomalies (the thesis)",
    "leave-one-out": "the class is the anomaly, the other classes are normal (GANomaly's papers)",
}

AUTOENCODERS: tuple[str, ...] = ("basic", "conv", "vae")
LOSS_TERMS: tuple[str, ...] = ("mse", "bce", "ssim")
LOSSES: tuple[str, ...] = ("mse", "bce", "ssim", "mse+ssim", "bce+ssim")
BASELINES: tuple[str, ...] = ("knn", "kmeans", "ocsvm", "iforest", "pca", "ganomaly", "deep-svdd",
                               "pretrained-knn", "untrained-knn")
METHODS: tuple[str, ...] = (*AUTOENCODERS, *BASELINES)
# Named grids (:data:`aeutils.grid.PROFILES` defines their blocks; a test checks both agree).
PROFILES: tuple[str, ...] = ("smoke", "quick", "compare", "svdd-budget", "thesis", "full")
# Baselines fitted in one shot: no epochs, so they are evaluated once (at ``epochs``).
ONE_SHOT: tuple[str, ...] = ("knn", "kmeans", "ocsvm", "iforest", "pca", "pretrained-knn",
                              "untrained-knn")

SCORES: dict[str, str] = {
    "error": "reconstruction error: the per-image loss minus its value for a perfect "
             "reconstruction (BCE becomes the per-pixel Bernoulli KL; MSE and SSIM unchanged)",
    "loss": "the per-image training loss as is (BCE keeps the entropy of the image itself: "
            "the raw form of aeutils before version 2 of the score)",
}

# Default hidden sizes per autoencoder: widths (basic, vae) or two channel counts (conv).
DEFAULT_HIDDEN: dict[str, tuple[int, ...]] = {"basic": (128,), "conv": (32, 64), "vae": (128,)}

# Options of each baseline with their defaults (``RunConfig.extra`` overrides them). They are
# part of the results key, resolved, so changing a default here re-runs what depends on it.
BASELINE_OPTIONS: dict[str, dict[str, object]] = {
    "knn": {"k": 5, "pca": None, "max_fit": None},
    "kmeans": {"clusters": 10, "pca": None, "max_fit": None},
    "ocsvm": {"nu": 0.1, "pca": None, "max_fit": 10_000},
    "iforest": {"trees": 100, "pca": None, "max_fit": None},
    "pca": {"components": 32, "max_fit": None},
    "ganomaly": {"ndf": 64, "lr_gan": 2e-4, "w_adv": 1.0, "w_con": 50.0, "w_enc": 1.0,
                 "precise_bn": True},
    "deep-svdd": {"pretrain_epochs": 10, "lr_pretrain": 1e-4, "lr_svdd": 1e-4,
                  "weight_decay": 1e-6, "center_eps": 0.1, "channels": None,
                  "lr_drop_pretrain": None, "lr_drop_svdd": None},
    # Frozen EfficientNet-Lite0 features (ImageNet weights / random ones) + kNN, k = 2 and
    # 224-pixel inputs as in Bergman, Cohen & Hoshen (2020): aeutils.baselines.pretrained.
    "pretrained-knn": {"k": 2, "image_size": 224},
    "untrained-knn": {"k": 2, "image_size": 224},
}

# What a row of a method must say beside its name: methods that see more than the one-class
# training images (the comparison tables print it on every such row).
METHOD_NOTES: dict[str, str] = {
    "pretrained-knn": "ImageNet-pretrained (external data)",
    "untrained-knn": "the same network, random weights",
}

# Options registered after results had been stored with their method: hashed into the key
# only when set (not None), so the keys of the runs made before they existed stay valid.
KEYED_WHEN_SET: dict[str, tuple[str, ...]] = {
    "deep-svdd": ("lr_drop_pretrain", "lr_drop_svdd"),
}

VERSIONS: dict[str, int] = {
    "data": 2,          # dataset identity by content, split (v2: keys name data by content)
    "train": 1,         # the autoencoder training loop and optimiser
    "evaluation": 2,    # metrics stored per record (v2: balanced accuracy, label-free metrics)
    "model:basic": 1,
    "model:conv": 1,
    "model:vae": 1,
    "loss:mse": 1,
    "loss:bce": 1,
    "loss:ssim": 1,
    "score": 2,         # v2: BCE scored as reconstruction error (see SCORES)
    "baseline:knn": 1,
    "baseline:kmeans": 1,
    "baseline:ocsvm": 1,
    "baseline:iforest": 1,
    "baseline:pca": 1,
    "baseline:ganomaly": 1,
    "baseline:deep-svdd": 2,  # v2: pre-training epochs no longer follow config.epochs
    "baseline:pretrained-knn": 1,
    "baseline:untrained-knn": 1,
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
    return tuple(loss.split("+"))


def implementation(model: str, loss: str) -> dict[str, int]:
    """Versions of every component whose code produced a record of ``model`` (and ``loss``)."""
    parts = ["data", "evaluation"]
    if model in AUTOENCODERS:
        parts += ["train", f"model:{model}", "score", *(f"loss:{t}" for t in loss_terms(loss))]
    else:
        parts.append(f"baseline:{model}")
    return {p: VERSIONS[p] for p in parts}
