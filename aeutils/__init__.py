"""aeutils: autoencoder-based image anomaly detection, reproducible and fast.

The public API, re-exported for notebooks and scripts::

    import aeutils as ae
    record = ae.run(ae.RunConfig(dataset="mnist", model="basic", loss="bce", epochs=10))
"""

from . import moved as _moved
from .version import __version__

_moved.install()  # the import paths of the flat layout keep working

# The public API, imported on first use (PEP 562): ``import aeutils`` and the command
# line's --help stay fast, while ``from aeutils import run`` loads torch as it needs to.
_EXPORTS: dict[str, str] = {
    "PROTOCOLS": "config", "ConfigError": "config", "RunConfig": "config",
    "DataNotFoundError": "data", "display_name": "data", "load_dataset": "data",
    "make_split": "data", "split_for": "data",
    "AutoEncoderDetector": "detectors", "BaseDetector": "detectors", "make_detector": "detectors",
    "reconstruct": "experiments.runs", "run": "experiments.runs", "run_configs": "experiments.runs",
    "trained_model": "experiments.runs",
    "PROFILES": "experiments.profiles", "profile_configs": "experiments.grid", "run_grid": "experiments.grid", "shard": "experiments.grid",
    "Grid": "experiments.sweep",
    "per_sample_loss": "detectors.losses",
    "AUTOENCODERS": "registry", "BASELINES": "registry", "LOSSES": "registry",
    "METHODS": "registry",
    "evaluate": "detectors.metrics", "roc_points": "detectors.metrics",
    "MODELS": "detectors.networks", "build_model": "detectors.networks",
    "ResultsStore": "experiments.store",
    "pick_device": "detectors.training", "train_autoencoders": "detectors.training",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aeutils' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "AUTOENCODERS", "AutoEncoderDetector", "BASELINES", "BaseDetector", "ConfigError", "Grid", "LOSSES",
    "METHODS", "MODELS", "PROFILES", "PROTOCOLS", "DataNotFoundError", "ResultsStore", "RunConfig",
    "__version__", "build_model", "display_name", "evaluate", "load_dataset", "make_detector",
    "make_split", "per_sample_loss", "pick_device", "profile_configs", "reconstruct", "roc_points",
    "run", "run_configs", "run_grid", "shard", "split_for", "train_autoencoders", "trained_model",
]
