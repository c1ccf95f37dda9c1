"""Experiments: the named grids (profiles and blocks), the results store, a run from
configuration to stored record, the grid runner and the grid as one object (``Grid``),
estimates, selection strategies, the ensemble, cross-machine agreement and the
reproduction verdict. Names are imported on first use (:mod:`~aeutils.experiments.profiles`,
:mod:`~aeutils.experiments.sweep` and the store import no torch).
"""

from ..lazy import exports

_EXPORTS = {
    **dict.fromkeys(("PROFILES", "Block", "profile_blocks", "profile_datasets", "block_group"),
                    ".profiles"),
    "ResultsStore": ".store",
    **dict.fromkeys(("run", "run_configs", "reconstruct", "trained_model"), ".runs"),
    **dict.fromkeys(("profile_configs", "run_grid", "run_profile", "shard"), ".grid"),
    **dict.fromkeys(("Grid", "GridRun", "WorkerFailed"), ".sweep"),
}
__getattr__, __dir__ = exports(__name__, _EXPORTS, globals())
__all__ = sorted(_EXPORTS)
