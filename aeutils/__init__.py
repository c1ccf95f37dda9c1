"""aeutils: autoencoder-based image anomaly detection, reproducible and fast.

The public API, re-exported for notebooks and scripts::

    import aeutils as ae
    record = ae.run(ae.RunConfig(dataset="mnist", model="basic", loss="bce", epochs=10))
"""

__version__ = "0.1.0"

from . import runtime as _runtime  # noqa: E402

_runtime.tune_malloc()  # before any tensor is allocated: see aeutils/runtime.py

from .config import PROTOCOLS, ConfigError, RunConfig  # noqa: E402
from .data import (  # noqa: E402
    DataNotFoundError,
    display_name,
    load_dataset,
    make_split,
    split_for,
)
from .detector import AutoEncoderDetector  # noqa: E402
from .experiment import reconstruct, run, run_configs, trained_model  # noqa: E402
from .grid import PROFILES, profile_configs, run_grid, shard  # noqa: E402
from .losses import LOSSES, per_sample_loss  # noqa: E402
from .methods import AUTOENCODERS, METHODS  # noqa: E402
from .metrics import evaluate, roc_points  # noqa: E402
from .models import MODELS, build_model  # noqa: E402
from .results import ResultsStore  # noqa: E402
from .train import pick_device, train_autoencoders  # noqa: E402

__all__ = [
    "AUTOENCODERS", "AutoEncoderDetector", "LOSSES", "METHODS", "MODELS", "PROFILES", "PROTOCOLS", "ConfigError",
    "DataNotFoundError", "ResultsStore", "RunConfig", "build_model", "display_name", "evaluate",
    "load_dataset", "make_split", "per_sample_loss", "pick_device", "profile_configs",
    "reconstruct", "roc_points", "run", "run_configs", "run_grid", "shard", "split_for",
    "train_autoencoders", "trained_model",
]
