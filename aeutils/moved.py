"""The import paths of the flat layout, kept working for users' scripts.

The package was once flat (``aeutils.train``, ``aeutils.results``, …); its modules now live
in layers (:mod:`aeutils.data`, :mod:`aeutils.detectors`, :mod:`aeutils.experiments`,
:mod:`aeutils.report`, :mod:`aeutils.cli`). Importing an old path gives the module at its
new one, the same object (so patching either patches both). A leaf: imports nothing of
aeutils.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MOVED: dict[str, str] = {
    "aeutils.catalog": "aeutils.data.catalog",
    "aeutils.synthetic": "aeutils.data.corruptions",
    "aeutils.models": "aeutils.detectors.networks",
    "aeutils.losses": "aeutils.detectors.losses",
    "aeutils.ssim": "aeutils.detectors.ssim",
    "aeutils.train": "aeutils.detectors.training",
    "aeutils.metrics": "aeutils.detectors.metrics",
    "aeutils.detector": "aeutils.detectors",
    "aeutils.baselines": "aeutils.detectors",
    "aeutils.baselines.classical": "aeutils.detectors.classical",
    "aeutils.baselines.deep_svdd": "aeutils.detectors.deep_svdd",
    "aeutils.baselines.ganomaly": "aeutils.detectors.ganomaly",
    "aeutils.baselines.pretrained": "aeutils.detectors.pretrained",
    "aeutils.profiles": "aeutils.experiments.profiles",
    "aeutils.results": "aeutils.experiments.store",
    "aeutils.experiment": "aeutils.experiments.runs",
    "aeutils.grid": "aeutils.experiments.grid",
    "aeutils.estimate": "aeutils.experiments.estimate",
    "aeutils.selection": "aeutils.experiments.selection",
    "aeutils.ensemble": "aeutils.experiments.ensemble",
    "aeutils.agreement": "aeutils.experiments.agreement",
    "aeutils.verdict": "aeutils.experiments.verdict",
    "aeutils.reference": "aeutils.report.reference",
    "aeutils.slides": "aeutils.report.slides",
    "aeutils.reproduce": "aeutils.cli.reproduce",
    "aeutils.publish": "aeutils.cli.publish",
    "aeutils.notebook": "aeutils.cli.notebook",
    "aeutils.studies": "aeutils.cli.studies",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and loads it as the module at the new one."""

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        self._spec = getattr(module, "__spec__", None)  # import machinery overwrites it
        return module

    def exec_module(self, module) -> None:
        module.__spec__ = self._spec


def install() -> None:
    """Put the alias finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.insert(0, _Alias())
