"""Datasets: torchvision sets and image folders, their identity by content, one-class
splits and synthetic corruptions. No torch is imported until a name that needs it is used.

Modules: :mod:`~aeutils.data.catalog` (names, folders, identities; no torch),
:mod:`~aeutils.data.datasets` (loading, cache, splits), :mod:`~aeutils.data.corruptions`
(synthetic anomalies made from normal images, for label-free selection).
"""

from ..lazy import exports

_CATALOG = ("FOLDER_PREFIX", "IMAGE_EXTENSIONS", "TORCHVISION_DATASETS", "DATASET_CHOICES",
            "OFFLINE_FOLDERS", "BadDataError", "DataNotFoundError", "data_root", "cache_dir",
            "resolve_dataset", "check_dataset_name", "display_name", "dataset_identity")
_DATASETS = ("ImageData", "Split", "load_dataset", "load_images", "normal_mask", "check_split",
             "holdout", "make_split", "test_subset", "split_for", "example_indices", "to_float")
_EXPORTS = {**dict.fromkeys(_CATALOG, ".catalog"), **dict.fromkeys(_DATASETS, ".datasets"),
            "KINDS": ".corruptions", "synthetic_anomalies": ".corruptions"}
__getattr__, __dir__ = exports(__name__, _EXPORTS, globals())
__all__ = sorted(_EXPORTS)
