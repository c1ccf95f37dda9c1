"""Every experiment knob in one validated, hashable dataclass.

A :class:`RunConfig` names one training run completely. Its :meth:`RunConfig.key`
is a stable hash of the fields that change the result, so the results store can
tell whether a configuration has already been run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

PROTOCOLS = {
    "one-vs-rest": "the class is normal, the other classes are anomalies (the thesis)",
    "leave-one-out": "the class is the anomaly, the other classes are normal (GANomaly's papers)",
}

DEFAULT_CHECKPOINTS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200)


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the valid choices."""


def choice_error(what: str, value: object, choices) -> ConfigError:
    """One-line error naming the valid choices for ``what``."""
    return ConfigError(f"unknown {what} {value!r}; valid choices: {', '.join(map(str, choices))}")


@dataclass(frozen=True)
class RunConfig:
    """One experiment: dataset, split, method, training and evaluation settings.

    ``model`` is an autoencoder (``basic``, ``conv``, ``vae``) or a baseline
    (see :data:`aeutils.methods.METHODS`); ``loss`` only matters for autoencoders.
    ``contamination`` is the percentage of anomalies mixed into the training set,
    relative to the number of normal training images (0 = clean one-class).
    ``max_test`` evaluates on a fixed random subset of the test set (the same images
    for every class, seed and method; ``None`` = the whole test set, the default).
    ``checkpoints`` are the epochs at which the model is evaluated inside one run;
    epochs beyond ``epochs`` are ignored and ``epochs`` itself is always included.
    """

    dataset: str = "mnist"
    model: str = "basic"
    loss: str = "mse"
    normal_class: int = 0
    protocol: str = "one-vs-rest"
    contamination: float = 0.0
    epochs: int = 20
    checkpoints: tuple[int, ...] = ()
    batch_size: int = 128
    lr: float = 1e-3
    latent_dim: int = 32
    hidden: tuple[int, ...] = ()  # () = the model's default (models.DEFAULT_HIDDEN)
    val_fraction: float = 0.1
    max_train: int | None = None
    max_test: int | None = None
    seed: int = 0
    extra: tuple[tuple[str, object], ...] = field(default=())

    def __post_init__(self) -> None:
        # Accept lists from JSON/CLI and normalise them, so equal configs hash equally.
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "checkpoints", tuple(sorted({int(c) for c in self.checkpoints})))
        object.__setattr__(self, "extra", tuple(sorted((str(k), v) for k, v in dict(self.extra).items())))
        object.__setattr__(self, "contamination", float(self.contamination))
        object.__setattr__(self, "normal_class", int(self.normal_class))
        self.validate()

    def validate(self) -> None:
        """Check values that need no data; dataset and class are checked when data loads."""
        from .data import check_dataset_name
        from .losses import LOSSES
        from .methods import METHODS

        check_dataset_name(self.dataset)
        if self.model not in METHODS:
            raise choice_error("model", self.model, METHODS)
        if self.loss not in LOSSES:
            raise choice_error("loss", self.loss, LOSSES)
        if self.protocol not in PROTOCOLS:
            raise choice_error("protocol", self.protocol, PROTOCOLS)
        if not 0.0 <= self.contamination <= 100.0:
            raise ConfigError(f"contamination must be a percentage in 0-100, got {self.contamination}")
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.latent_dim < 1 or any(h < 1 for h in self.hidden):
            raise ConfigError("latent_dim and hidden sizes must be positive")
        if self.max_train is not None and self.max_train < 2:
            raise ConfigError(f"max_train must be at least 2 (or None), got {self.max_train}")
        if self.max_test is not None and self.max_test < 10:
            raise ConfigError(f"max_test must be at least 10 (or None), got {self.max_test}")
        if self.normal_class < 0:
            raise ConfigError(f"normal_class must be a non-negative class index, got {self.normal_class}")

    # --- derived -----------------------------------------------------------------
    @property
    def eval_epochs(self) -> tuple[int, ...]:
        """Checkpoint epochs actually evaluated: those ≤ epochs, plus the last epoch."""
        return tuple(sorted({c for c in self.checkpoints if 1 <= c <= self.epochs} | {self.epochs}))

    @property
    def is_autoencoder(self) -> bool:
        from .methods import AUTOENCODERS

        return self.model in AUTOENCODERS

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["checkpoints"] = list(self.checkpoints)
        d["extra"] = dict(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"unknown config field(s) {sorted(unknown)}; valid: {sorted(names)}")
        d = dict(d)
        if "extra" in d and isinstance(d["extra"], dict):
            d["extra"] = tuple(d["extra"].items())
        return cls(**d)

    def key(self) -> str:
        """Stable 16-hex hash of everything that changes the model at a given epoch.

        ``epochs`` and ``checkpoints`` are left out: training is deterministic with
        a constant learning rate, so epoch 20 of a 200-epoch run is the same model
        as a 20-epoch run, and each stored record carries its own epoch. One long
        run therefore serves every shorter request. ``loss`` is left out for
        baselines, which ignore it.
        """
        d = self.to_dict()
        d.pop("checkpoints")
        d.pop("epochs")
        if d["max_test"] is None:  # added later: absent keeps earlier keys valid
            d.pop("max_test")
        if not self.is_autoencoder:
            d.pop("loss")
        blob = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def replace(self, **changes) -> RunConfig:
        return dataclasses.replace(self, **changes)

    def get(self, name: str, default=None):
        """A method-specific option from ``extra``."""
        return dict(self.extra).get(name, default)
