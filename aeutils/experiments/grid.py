"""Experiment grids: a profile's configs, derived blocks' picks, shards and the sweep runner.

Profiles and blocks are defined in :mod:`aeutils.profiles` (re-exported here). A derived
block's configs exist once its source block is complete in the results store, so
:func:`run_profile` runs blocks in profile order (or, with a budget, in priority order:
:func:`run_priority`). Dataset names in profiles are logical (``mnist``, ``cifar10``),
resolved by :func:`aeutils.data.resolve_dataset` (offline: the CIFAR-10 JPEG copy) and
can be remapped. Epoch studies come from checkpoints inside each run, so they cost no
extra training.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..config import ConfigError, RunConfig
from ..data.datasets import resolve_dataset
from ..registry import DEFAULT_PRECISION
from .profiles import (  # noqa: F401  (re-exported: the grid's public names)
    ALL_CLASSES,
    CLASSICAL,
    PROFILES,
    THESIS_CONTAMINATION,
    Block,
    block_group,
    profile_blocks,
    profile_datasets,
    selection_blocks,
)
from .runs import batch_order, batched_groups, log_line, pending, run_configs, training_groups
from .selection import CriterionMissing, select, selected_configs
from .store import ResultsStore


def profile_configs(profile: str, dataset_map: Mapping[str, str] | None = None,
                    blocks: Sequence[str] | None = None, store: ResultsStore | None = None,
                    only_datasets: Sequence[str] | None = None, precision: str | None = None,
                    **overrides) -> list[RunConfig]:
    """Every config of ``profile`` (optionally some blocks, only the logical datasets
    ``only_datasets``; axes overridable by keyword; ``precision`` for every block, its
    derived blocks selecting among runs of that precision).

    Derived (``select_from``) blocks contribute configs only given a ``store`` that
    holds their source blocks complete for a dataset; otherwise none (yet).
    """
    out = []
    for b in profile_blocks(profile, blocks):
        b = replace(b, **overrides)
        if precision and precision != DEFAULT_PRECISION:
            b = replace(b, settings={**b.settings, "precision": precision})
        if only_datasets is not None:
            b = replace(b, datasets=tuple(d for d in b.datasets if d in only_datasets))
        if b.select_from is None:
            out.extend(b.configs(dataset_map))
        elif store is not None:
            out.extend(selected_block_configs(profile, b, store, dataset_map, precision))
    return out


def selected_block_configs(profile: str, block: Block, store: ResultsStore,
                           dataset_map: Mapping[str, str] | None = None,
                           precision: str | None = None) -> list[RunConfig]:
    """A derived block's configs: per dataset whose source blocks are complete in
    ``store``, the validation-selected candidate over ``block.classes`` × ``block.seeds``."""
    import pandas as pd

    dataset_map = dataset_map or {}
    source = profile_configs(profile, dataset_map, block_group(profile, block.select_from),
                             precision=precision)
    out = []
    for ds in block.datasets:
        name = resolve_dataset(dataset_map.get(ds, ds))
        mine = [c for c in source if c.dataset == name and c.protocol == block.protocol
                and c.normal_class in block.classes]
        if not mine or pending(mine, store):
            continue  # not searched yet: nothing to select from
        keys = {c.key() for c in mine}
        df = pd.DataFrame([r for r in store.records() if r["key"] in keys])
        try:
            choice = select(df, name, block.classes, block.protocol, by=block.strategy)
        except CriterionMissing as err:
            warnings.warn(f"block {block.name!r} selects nothing on {name}: {err}", stacklevel=2)
            continue
        out.extend(selected_configs(choice, name, block.classes, block.seeds))
    return out


def run_profile(profile: str, dataset_map: Mapping[str, str] | None = None,
                store: ResultsStore | None = None, blocks: Sequence[str] | None = None,
                shard_of: tuple[int, int] | None = None, device: str | None = None,
                max_group: int = 10, progress: bool = True, log: bool = False,
                only_datasets: Sequence[str] | None = None,
                precision: str | None = None) -> dict[str, tuple[int, float]]:
    """Run what the store lacks of ``profile``, block by block in profile order.

    Returns block name → (runs trained, wall seconds). A derived block runs after
    the blocks it selects from (they come first in every profile); with
    ``shard_of=(i, n)`` only that shard runs, and derived blocks run when a later,
    unsharded call sees the merged store complete.
    """
    store = store or ResultsStore()
    later = (_later_seconds(profile, dataset_map, store, blocks, only_datasets, max_group, device,
                            precision) if log and not shard_of else {})
    out = {}
    for b in profile_blocks(profile, blocks):
        t0 = time.perf_counter()
        configs = profile_configs(profile, dataset_map, [b.name], store=store,
                                  only_datasets=only_datasets, precision=precision)
        if shard_of:
            configs = shard(configs, *shard_of, max_group)
        if log:
            log_line(f"block {b.name}: {len(configs)} runs, {len(pending(configs, store))} "
                     f"to train")
        n = 0
        for ds in dict.fromkeys(c.dataset for c in configs):  # in the block's dataset order
            n += run_grid([c for c in configs if c.dataset == ds], store, device=device,
                          max_group=max_group, progress=progress, log=log,
                          later_seconds=later.get((b.name, ds), 0.0))
        out[b.name] = (n, time.perf_counter() - t0)
    return out


# Logical datasets in the order a budgeted grid trains them: the cheaper images (and the
# thesis's first tables) first; a dataset not named here comes after, in profile order.
PRIORITY_DATASETS = ("mnist", "fashion-mnist", "cifar10")


def priority_datasets(profile: str, blocks: Sequence[str] | None = None) -> list[str]:
    """The logical datasets of ``profile`` in :data:`PRIORITY_DATASETS` order."""
    rank = {n: i for i, n in enumerate(PRIORITY_DATASETS)}
    return sorted(profile_datasets(profile, blocks), key=lambda n: rank.get(n, len(rank)))


def prioritized(configs: Sequence[RunConfig], max_group: int = 10, device: str | None = None,
                cache: dict | None = None) -> list[tuple[float, list[RunConfig]]]:
    """``configs`` as the groups :func:`aeutils.experiment.run_configs` trains, each with its
    estimated seconds (:func:`aeutils.estimate.group_seconds`), cheapest first; groups that
    are not timed (NaN: classical one-shot baselines) last. ``cache`` keeps estimates across
    calls (a group is timed once)."""
    from . import estimate

    cache = {} if cache is None else cache
    out = []
    for g in training_groups(configs, max_group):
        ident = (tuple(c.key() for c in g), str(device))
        if ident not in cache:
            cache[ident] = estimate.group_seconds(g, device)
        out.append((cache[ident], g))
    return sorted(out, key=lambda eg: (math.isnan(eg[0]), 0.0 if math.isnan(eg[0]) else eg[0],
                                       batch_order(eg[1][0])))


@dataclass
class Budget:
    """Wall seconds left of a budget (None: no limit), and how estimates compare with what
    groups took: an estimate is scaled by the ratio measured so far before it is checked,
    and an untimed group counts as the longest untimed group so far (0 before any)."""

    seconds: float | None
    start: float = field(default_factory=time.monotonic)
    estimated: float = 0.0
    actual: float = 0.0
    untimed: float = 0.0

    def left(self) -> float:
        return math.inf if self.seconds is None else self.seconds - (time.monotonic() - self.start)

    def need(self, estimate: float) -> float:
        if math.isnan(estimate):
            return self.untimed
        return estimate * (self.actual / self.estimated if self.estimated else 1.0)

    def spent(self, estimate: float, seconds: float) -> None:
        if math.isnan(estimate):
            self.untimed = max(self.untimed, seconds)
        else:
            self.estimated, self.actual = self.estimated + estimate, self.actual + seconds


def run_priority(profile: str, dataset_map: Mapping[str, str] | None = None,
                 store: ResultsStore | None = None, blocks: Sequence[str] | None = None,
                 device: str | None = None, max_group: int = 10, budget: float | None = None,
                 progress: bool = True, log: bool = False,
                 only_datasets: Sequence[str] | None = None,
                 precision: str | None = None) -> dict[str, tuple[int, float]]:
    """Run what the store lacks of ``profile`` in priority order, within ``budget`` seconds.

    Datasets (all, or only ``only_datasets``) go in :func:`priority_datasets` order; within
    one, the cheapest group first (:func:`prioritized`), passes repeating while they train
    something, so derived blocks run once their source is complete. A group is started only
    if its estimate fits in the wall time left, so the call ends before the budget is spent;
    what it skipped is what a later call trains (the store is the state). Returns logical dataset → (runs trained,
    wall seconds); a group another process holds counts for that process."""
    store = store or ResultsStore()
    spend, cache = Budget(budget), {}
    out, skipped = {}, []
    for ds in priority_datasets(profile, blocks):
        if only_datasets is not None and ds not in only_datasets:
            continue
        t0, n = time.perf_counter(), 0
        while True:
            todo = pending(profile_configs(profile, dataset_map, blocks, store=store,
                                           only_datasets=[ds], precision=precision), store)
            trained, skipped_now = _priority_pass(prioritized(todo, max_group, device, cache),
                                                  store, spend, device, progress, log)
            n += trained
            if not trained:
                skipped += skipped_now
                break
        out[ds] = (n, time.perf_counter() - t0)
    if log and skipped:
        need, g = min(skipped, key=lambda ng: ng[0])
        log_line(f"budget: {len(skipped)} group(s) left for a later call ({sum(map(len, (g for _, g in skipped)))} "
                 f"runs; the cheapest needs ~{need:.0f} s, {max(spend.left(), 0):.0f} s left)")
    return out


def _priority_pass(ranked: list[tuple[float, list[RunConfig]]], store: ResultsStore,
                   spend: Budget, device, progress: bool, log: bool):
    """One pass over ranked groups: train each that fits in the budget left. Returns the
    runs trained and the (needed seconds, group) of those skipped for the budget."""
    trained, skipped = 0, []
    for estimate, group in ranked:
        need = spend.need(estimate)
        if need > spend.left():
            skipped.append((need, group))
            continue
        t0, before = time.perf_counter(), len(pending(group, store))
        run_configs(group, store, device=device, max_group=len(group), progress=progress)
        seconds, done = time.perf_counter() - t0, before - len(pending(group, store))
        if done:
            spend.spent(estimate, seconds)
        trained += done
        if log and done:  # nothing trained: another worker holds the group, and logs it
            c0 = group[0]
            log_line(f"{c0.dataset} {c0.model}/{c0.loss} ×{len(group)} contamination "
                     f"{c0.contamination:g}%: {done} trained in {seconds:.1f} s (estimated "
                     f"{need:.1f} s), {spend.left():.0f} s of the budget left")
    return trained, skipped


def _later_seconds(profile: str, dataset_map, store: ResultsStore, blocks, only_datasets,
                   max_group: int, device, precision=None) -> dict[tuple[str, str], float]:
    """(block, dataset) → estimated seconds of the autoencoder runs still to train after
    that part of the profile (:func:`aeutils.estimate.autoencoder_costs`), so the ETA of a
    logged run counts the groups still to come; derived blocks, whose runs are known only
    once their source is complete, and baselines are not counted."""
    from .estimate import autoencoder_costs

    parts = []
    for b in profile_blocks(profile, blocks):
        if b.select_from:
            continue
        todo = pending(profile_configs(profile, dataset_map, [b.name],
                                       only_datasets=only_datasets, precision=precision), store)
        for ds in dict.fromkeys(c.dataset for c in todo):
            mine = [c for c in todo if c.dataset == ds]
            parts.append(((b.name, ds), sum(g.seconds for g in
                                            autoencoder_costs(mine, max_group, device))))
    return {key: sum(s for _, s in parts[i + 1:]) for i, (key, _) in enumerate(parts)}


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` → (i, n) with 0 ≤ i < n."""
    try:
        i, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise ConfigError(f"shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise ConfigError(f"shard {text!r}: need 0 <= i < n")
    return i, n


def shard(configs: Sequence[RunConfig], index: int, count: int,
          max_group: int = 10) -> list[RunConfig]:
    """Deterministic share ``index`` of ``count`` of ``configs``.

    Configs are sorted by (batch group, key) and cut into batchable chunks of up
    to ``max_group``; chunks are dealt round-robin, so every shard still trains
    in full batches and the union of all shards is the whole grid, once.
    """
    chunks = batched_groups(configs, max_group)
    return [c for j, chunk in enumerate(chunks) if j % count == index for c in chunk]


def run_grid(configs: Sequence[RunConfig], store: ResultsStore | None = None,
             device: str | None = None, max_group: int = 10, progress: bool = True,
             log: bool = False, later_seconds: float = 0.0) -> int:
    """Run what the store lacks (one progress bar for the whole grid); returns runs trained.
    ``later_seconds``: the estimate of what runs after, for a logged ETA."""
    from functools import partial

    from .estimate import Eta

    store = store or ResultsStore()
    todo = pending(configs, store)
    run_configs(todo, store, device=device, max_group=max_group, progress=progress, log=log,
                eta=partial(Eta, max_group=max_group, device=device, later_seconds=later_seconds))
    return len(todo)
