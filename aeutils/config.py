"""Every experiment knob in one validated, hashable dataclass.

A :class:`RunConfig` names one training run completely. Its :meth:`RunConfig.key`
is a stable hash of what changes the result: the configuration with every default
resolved, the dataset's identity (by content, not path) and the versions of the code
that produce the numbers (:func:`aeutils.registry.implementation`). So the results
store can tell whether a configuration has already been run *by today's code*.

Valid choices come from :mod:`aeutils.registry`, a leaf module, so this module never
imports the code that trains or scores.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field

from .data.catalog import check_dataset_name, dataset_identity
from .registry import (
    AUTOENCODERS,
    BASELINE_OPTIONS,
    DEFAULT_HIDDEN,
    DEFAULT_PRECISION,
    HIDDEN_COUNT,
    KEYED_WHEN_SET,
    LOSSES,
    METHODS,
    MIN_SIDE,
    ONE_SHOT,
    PRECISIONS,
    PROTOCOLS,
    SCORES,
    SIDE_MULTIPLE,
    ConfigError,
    choice_error,
    implementation,
    loss_terms,
)

__all__ = ["DEFAULT_CHECKPOINTS", "PROTOCOLS", "ConfigError", "RunConfig", "check_hidden",
           "check_shape", "choice_error", "config_key"]

DEFAULT_CHECKPOINTS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200)


@dataclass(frozen=True)
class RunConfig:
    """One experiment: dataset, split, method, training and evaluation settings.

    ``model`` is an autoencoder (``basic``, ``conv``, ``vae``) or a baseline
    (see :data:`aeutils.registry.METHODS`); ``loss`` and ``score`` only matter for
    autoencoders. ``score`` is how a reconstruction becomes an anomaly score
    (:data:`aeutils.registry.SCORES`; ``"error"``, the default, subtracts BCE's floor).
    ``contamination`` is the percentage of anomalies mixed into the training set,
    relative to the number of normal training images (0 = clean one-class).
    ``max_test`` evaluates on a fixed random subset of the test set (the same images
    for every class, seed and method; ``None`` = the whole test set, the default).
    ``checkpoints`` are the epochs at which the model is evaluated inside one run;
    epochs beyond ``epochs`` are ignored and ``epochs`` itself is always included.
    ``precision`` is the arithmetic of an autoencoder's training and scoring
    (:data:`aeutils.registry.PRECISIONS`); it came after records had been stored, so its
    default is in neither the key nor the record, and every stored key stays valid.
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
    score: str = "error"
    extra: tuple[tuple[str, object], ...] = field(default=())
    precision: str = DEFAULT_PRECISION

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
        check_dataset_name(self.dataset)
        if self.model not in METHODS:
            raise choice_error("model", self.model, METHODS)
        if self.loss not in LOSSES:
            raise choice_error("loss", self.loss, LOSSES)
        if self.score not in SCORES:
            raise choice_error("score", self.score, SCORES)
        if self.protocol not in PROTOCOLS:
            raise choice_error("protocol", self.protocol, PROTOCOLS)
        if self.precision not in PRECISIONS:
            raise choice_error("precision", self.precision, PRECISIONS)
        if not 0.0 <= self.contamination <= 100.0:
            raise ConfigError(f"contamination must be a percentage in 0-100, got {self.contamination}")
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction must be in (0, 1): the validation images set the "
                              f"threshold and the selection, got {self.val_fraction}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.latent_dim < 1 or any(h < 1 for h in self.hidden):
            raise ConfigError("latent_dim and hidden sizes must be positive")
        check_hidden(self.model, self.hidden)
        if self.model in BASELINE_OPTIONS:
            unknown = sorted(set(dict(self.extra)) - set(BASELINE_OPTIONS[self.model]))
            if unknown:
                raise ConfigError(f"unknown option(s) {unknown} for {self.model!r}; valid: "
                                  f"{', '.join(BASELINE_OPTIONS[self.model])}")
        if self.max_train is not None and self.max_train < 2:
            raise ConfigError(f"max_train must be at least 2 (or None), got {self.max_train}")
        if self.max_test is not None and self.max_test < 10:
            raise ConfigError(f"max_test must be at least 10 (or None), got {self.max_test}")
        if self.normal_class < 0:
            raise ConfigError(f"normal_class must be a non-negative class index, got {self.normal_class}")

    def check_shape(self, shape: tuple[int, ...], where: str = "") -> None:
        """Refuse images of ``shape`` (C, H, W) that the model or a term of the loss cannot
        take, in one line (``where``: the dataset, named in the message)."""
        check_shape(self.model, self.loss if self.is_autoencoder else None, shape, where)

    # --- derived -----------------------------------------------------------------
    @property
    def eval_epochs(self) -> tuple[int, ...]:
        """Checkpoint epochs actually evaluated: those ≤ epochs, plus the last epoch (only the
        last for one-shot baselines, which have no epochs)."""
        if self.model in ONE_SHOT:
            return (self.epochs,)
        return tuple(sorted({c for c in self.checkpoints if 1 <= c <= self.epochs} | {self.epochs}))

    @property
    def is_autoencoder(self) -> bool:
        return self.model in AUTOENCODERS

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["checkpoints"] = list(self.checkpoints)
        d["extra"] = dict(self.extra)
        if self.precision == DEFAULT_PRECISION:  # records look as they did before the field
            del d["precision"]
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
        run therefore serves every shorter request. See :func:`config_key`.
        """
        return self._key

    @functools.cached_property
    def _key(self) -> str:
        return config_key(self.to_dict(), dataset_identity(self.dataset))

    def replace(self, **changes) -> RunConfig:
        return dataclasses.replace(self, **changes)

    def get(self, name: str, default=None):
        """A method-specific option: ``extra``, else the registered default of the method."""
        return self.options().get(name, default)

    def options(self) -> dict:
        """Every option of a baseline, defaults resolved (``{}`` plus ``extra`` otherwise)."""
        return {**BASELINE_OPTIONS.get(self.model, {}), **dict(self.extra)}


def check_hidden(model: str, hidden: tuple[int, ...]) -> None:
    """Refuse hidden sizes a model cannot take: the count its registration fixes
    (:data:`aeutils.registry.HIDDEN_COUNT`; ``()`` means the model's default)."""
    count = HIDDEN_COUNT.get(model)
    if count is not None and hidden and len(hidden) != count:
        default = ",".join(map(str, DEFAULT_HIDDEN[model]))
        raise ConfigError(f"the {model} autoencoder takes {count} hidden sizes (default "
                          f"{default}), got {','.join(map(str, hidden))}")


def check_shape(model: str, loss: str | None, shape: tuple[int, ...], where: str = "") -> None:
    """Refuse, in one line, images of ``shape`` (C, H, W) that ``model`` or a term of
    ``loss`` cannot take, by the traits registered with them
    (:data:`aeutils.registry.SIDE_MULTIPLE`, :data:`aeutils.registry.MIN_SIDE`): the one
    rule that config users, the detector, the grid's preflight and the model's builder read."""
    h, w = shape[-2:]
    got = f"{h}×{w}" + (f" in {where}" if where else "")
    side = SIDE_MULTIPLE.get(model, 1)
    if h % side or w % side:
        free = [m for m in AUTOENCODERS if m not in SIDE_MULTIPLE]
        raise ConfigError(f"the {model} autoencoder needs image sides divisible by {side}, got "
                          f"{got} ({' and '.join(free) or 'no model'} take any size)")
    for term in loss_terms(loss) if loss else ():
        need = MIN_SIDE.get(term, 1)
        if min(h, w) < need:
            fits = [name for name in LOSSES
                     if all(MIN_SIDE.get(t, 1) <= min(h, w) for t in LOSSES[name])]
            raise ConfigError(f"the {term} loss needs images of at least {need}×{need}, got "
                              f"{got}: use {' or '.join(fits) or 'another dataset'}")


def config_key(fields: dict, dataset_id: str) -> str:
    """The results key of a configuration given as a dict of :class:`RunConfig` fields.

    Hashes the fields with defaults resolved (model sizes, baseline options), the
    dataset's identity instead of its name or path, and the implementation versions
    of the code involved; drops what a method ignores (``loss`` and ``score`` for
    baselines, ``score`` for losses without a BCE term, ``precision`` at its default or for
    baselines, which ignore it). Needs no data, so a stored
    record's key can be re-checked from the record alone (``dataset_id`` is stored).
    """
    d = {k: v for k, v in fields.items() if k not in ("dataset", "epochs", "checkpoints")}
    model, loss = d["model"], d.get("loss", "mse")
    d["data"] = dataset_id
    d["hidden"] = list(d.get("hidden") or DEFAULT_HIDDEN.get(model, ()))
    extra = {**BASELINE_OPTIONS.get(model, {}), **dict(d.get("extra") or {})}
    d["extra"] = {k: v for k, v in extra.items()
                  if v is not None or k not in KEYED_WHEN_SET.get(model, ())}
    if d.get("precision", DEFAULT_PRECISION) == DEFAULT_PRECISION or model not in AUTOENCODERS:
        d.pop("precision", None)  # stored keys predate the field: the default hashes as before
    if model in AUTOENCODERS:
        if "bce" not in loss_terms(loss):
            d.pop("score", None)
    else:
        d.pop("loss", None)
        d.pop("score", None)
    d["implementation"] = implementation(model, loss if model in AUTOENCODERS else "mse")
    blob = json.dumps(d, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
