"""Experiment grids: named profiles of blocks, enumeration, shards and the sweep runner.

A *block* is a product of axes (datasets × models × losses × classes ×
contamination × seeds) with shared training settings; a *profile* is a list of
blocks (``smoke`` for tests, ``quick`` for a 2-core CPU, ``compare`` for the
measured comparison, ``thesis`` for the thesis's own experiment, ``full`` for its
protocol at every contamination level). A block with ``select_from`` is *derived*:
per dataset it re-runs, over its ``seeds``, the autoencoder configuration and epoch
that its ``strategy`` (:data:`aeutils.selection.STRATEGIES`) picks on seed 0 from
another block; its configs exist once that block is complete in the results store,
so :func:`run_profile` runs blocks in profile order. Dataset names in profiles are
logical (``mnist``, ``cifar10``), resolved by :func:`aeutils.data.resolve_dataset`
(offline: the CIFAR-10 JPEG copy) and can be remapped. Epoch studies come from
checkpoints inside each run, so they cost no extra training.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .config import DEFAULT_CHECKPOINTS, ConfigError, RunConfig, choice_error
from .data import resolve_dataset
from .experiment import batch_order, batched_groups, log_line, pending, run_configs
from .registry import AUTOENCODERS, BASELINES, DEFAULT_PRECISION, LOSSES
from .results import ResultsStore
from .selection import REPORTED, CriterionMissing, select, selected_configs

ALL_CLASSES = tuple(range(10))
# The classical detectors on pixels (scikit-learn): named, not derived from ONE_SHOT, since
# the feature encoders (pretrained-knn, untrained-knn) are one-shot too but far costlier and
# run in their own blocks.
CLASSICAL = ("knn", "kmeans", "ocsvm", "iforest", "pca")


def _registered(names) -> Callable[[], tuple[str, ...]]:
    """A block's default axis: every name registered when the block is made."""
    return lambda: tuple(names)


@dataclass(frozen=True)
class Block:
    """One rectangular piece of a grid: the product of its axes."""

    name: str
    datasets: tuple[str, ...] = ("mnist",)
    models: tuple[str, ...] = field(default_factory=_registered(AUTOENCODERS))
    losses: tuple[str, ...] = field(default_factory=_registered(LOSSES))
    classes: tuple[int, ...] = ALL_CLASSES
    contaminations: tuple[float, ...] = (0.0,)
    seeds: tuple[int, ...] = (0,)
    protocol: str = "one-vs-rest"
    epochs: int = 20
    checkpoints: tuple[int, ...] = DEFAULT_CHECKPOINTS
    max_train: int | None = None
    max_test: int | None = None
    settings: Mapping[str, object] = field(default_factory=dict)  # other RunConfig fields
    # Derived block: re-run the config that strategy ``strategy`` (aeutils.selection) picks
    # from block ``select_from`` (on seed 0) over ``seeds``, seeds that took no part in the
    # choice (only ``datasets``, ``classes``, ``protocol`` and ``seeds`` are used).
    select_from: str | None = None
    strategy: str = "labelled-validation"

    def configs(self, dataset_map: Mapping[str, str] | None = None) -> list[RunConfig]:
        if self.select_from:
            raise ConfigError(f"block {self.name!r} is derived from {self.select_from!r}: "
                              "use profile_configs(..., store=...)")
        dataset_map = dataset_map or {}
        out: dict[str, RunConfig] = {}  # by key: baselines ignore the loss axis
        for ds, model, loss, cls, cont, seed in itertools.product(
                self.datasets, self.models, self.losses, self.classes, self.contaminations,
                self.seeds):
            loss = loss if model in AUTOENCODERS else "mse"  # baselines ignore the loss
            c = RunConfig(dataset=resolve_dataset(dataset_map.get(ds, ds)), model=model, loss=loss,
                          normal_class=cls, protocol=self.protocol, contamination=cont,
                          epochs=self.epochs, checkpoints=self.checkpoints,
                          max_train=self.max_train, max_test=self.max_test, seed=seed,
                          **dict(self.settings))
            out.setdefault(c.key(), c)
        return list(out.values())


def selection_blocks(datasets: tuple[str, ...], classes: tuple[int, ...] = ALL_CLASSES,
                     seeds: tuple[int, ...] = (1, 2, 3), source: str = "main") -> list[Block]:
    """One derived block per selection strategy that reads no test label:
    ``selection-label-free``, ``selection-flips`` and ``selection-labelled``.

    ``label-free-flip`` (flipped copies only) is the label-free criterion that won on a
    held-out dataset, Fashion-MNIST, by a rule fixed in advance (``studies/proxy_study.py``,
    numbers in ``results/proxy-study/proxy_study.json``)."""
    return [Block(f"selection-{_BLOCK_TAGS.get(name, name)}", datasets=datasets,
                  classes=classes, seeds=seeds, select_from=source, strategy=name)
            for name in REPORTED]


# Block tags that differ from the strategy's name. A tag must not extend another with "-":
# block_group would read "selection-label-free-flip" as part of "selection-label-free".
_BLOCK_TAGS = {"label-free-flip": "flips", "labelled-validation": "labelled"}


def _thesis_seed_blocks(dataset: str, *configs: tuple[str, str]) -> list[Block]:
    """``seeds-<dataset>-<model>-<loss>``: one configuration at the thesis's protocol on
    seeds 1 and 2, every checkpoint of ``main``."""
    return [Block(f"seeds-{dataset}-{model}-{loss}", datasets=(dataset,), models=(model,),
                  losses=(loss,), seeds=(1, 2), epochs=200) for model, loss in configs]


# ImageNet-pretrained features + kNN and the same network untrained, one-vs-rest, all
# training images, whole test sets, one fit each (seed 0: the pretrained features do not
# depend on it). The same keys in the compare and thesis stores (aeutils merge shares them).
_PRETRAINED = Block("baselines-pretrained", datasets=("mnist", "cifar10"),
                    models=("pretrained-knn", "untrained-knn"), epochs=1, checkpoints=(1,))

_SVDD = dict(epochs=100, checkpoints=(10, 25, 50, 100), settings={"extra": {"pretrain_epochs": 50}})
_GANOMALY = dict(epochs=15, checkpoints=(5, 10, 15))
THESIS_CONTAMINATION = tuple(float(c) for c in range(0, 101, 10))
_SMOKE = dict(epochs=2, checkpoints=(1, 2), max_train=64)
_QUICK = dict(epochs=10, checkpoints=(1, 5, 10), max_train=1000, max_test=2000)

PROFILES: dict[str, list[Block]] = {
    # Seconds: tiny data, for tests and the notebook smoke run.
    "smoke": [
        Block("main", datasets=("mnist",), models=tuple(AUTOENCODERS), losses=("mse", "bce+ssim"),
              classes=(0, 1), **_SMOKE),
        Block("contamination", datasets=("mnist",), models=("basic",), losses=("bce",),
              classes=(0, 1), contaminations=(0.0, 50.0, 100.0), **_SMOKE),
        Block("baselines", datasets=("mnist",), models=("knn", "deep-svdd"), classes=(0, 1),
              **_SMOKE),
        *selection_blocks(("mnist",), classes=(0, 1), seeds=(1,)),
    ],
    # The whole story on a 2-core CPU, sized for `make reproduce` to take about a quarter of
    # an hour: the basic and VAE autoencoders (conv trains about ten times slower on a CPU;
    # compare and thesis have it), 10 epochs, 1,000 training images per run, a fixed
    # 2,000-image subset of the test set (scoring dominates on a CPU), the classical
    # baselines (Deep SVDD and baseline seeds are compare's) and the label-free selection on
    # two seeds that did not choose. Runs of earlier versions of this profile stay in
    # results/quick/ (no key changed); nothing here asks for them.
    "quick": [
        Block("main", datasets=("mnist", "cifar10"), models=("basic", "vae"), **_QUICK),
        Block("contamination", datasets=("mnist", "cifar10"), models=("basic",),
              losses=("bce+ssim",), contaminations=(0.0, 10.0, 20.0, 50.0, 100.0), **_QUICK),
        Block("baselines", datasets=("mnist", "cifar10"), models=CLASSICAL,
              epochs=5, checkpoints=(5,), max_train=1000, max_test=2000),
        Block("baselines-loo", datasets=("mnist",), models=CLASSICAL,
              protocol="leave-one-out", epochs=5, checkpoints=(5,), max_train=1000,
              max_test=2000),
        *selection_blocks(("mnist", "cifar10"), seeds=(1, 2))[:1],
    ],
    # The measured comparison: a search space of autoencoders on (nearly) full data, each
    # selection strategy's pick over three seeds that did not select, every baseline on the
    # same images over three seeds (GANomaly at its paper's 15 epochs, Deep SVDD below its
    # paper's budget, to a shown plateau of its test AUC; the svdd-budget profile measures
    # what that costs), both protocols, whole test sets. About 10 machine-hours estimated on
    # a 2-core CPU (docs/performance.md); it took 19.5 CPU-hours.
    "compare": [
        Block("main-mnist", datasets=("mnist",), models=("basic", "vae"), epochs=30,
              checkpoints=(5, 10, 20, 30)),
        Block("main-cifar10", datasets=("cifar10",), models=("basic",), epochs=20,
              checkpoints=(5, 10, 20), max_train=2000),
        Block("main-cifar10-vae", datasets=("cifar10",), models=("vae",), epochs=10,
              checkpoints=(2, 5, 10), max_train=2000),
        *selection_blocks(("mnist", "cifar10")),
        # Baselines on the same images as the autoencoders of each column (MNIST: all
        # training images of the class; CIFAR-10: the same 2,000), 3 seeds each, neural
        # baselines trained to the paper's budget (GANomaly 15 epochs) or to a shown
        # plateau of test AUC (Deep SVDD: 50 pre-training epochs, then checkpoints up to
        # 100; its training loss still falls).
        Block("baselines", datasets=("mnist",), models=CLASSICAL, seeds=(0, 1, 2),
              epochs=1, checkpoints=(1,)),
        Block("baselines-cifar10", datasets=("cifar10",), models=CLASSICAL, seeds=(0, 1, 2),
              max_train=2000, epochs=1, checkpoints=(1,)),
        Block("baselines-loo", datasets=("mnist",), models=CLASSICAL, seeds=(0, 1, 2),
              protocol="leave-one-out", max_train=2000, epochs=1, checkpoints=(1,)),
        Block("baselines-deep-svdd", datasets=("mnist",), models=("deep-svdd",),
              seeds=(0, 1, 2), **_SVDD),
        Block("baselines-deep-svdd-cifar10", datasets=("cifar10",), models=("deep-svdd",),
              max_train=2000, seeds=(0, 1, 2), **_SVDD),
        Block("baselines-deep-svdd-loo", datasets=("mnist",), models=("deep-svdd",),
              protocol="leave-one-out", max_train=2000, seeds=(0, 1, 2), **_SVDD),
        Block("baselines-ganomaly", datasets=("mnist",), models=("ganomaly",),
              seeds=(0, 1, 2), **_GANOMALY),
        Block("baselines-ganomaly-cifar10", datasets=("cifar10",), models=("ganomaly",),
              max_train=2000, seeds=(0, 1, 2), **_GANOMALY),
        Block("baselines-ganomaly-loo", datasets=("mnist",), models=("ganomaly",),
              protocol="leave-one-out", max_train=2000, seeds=(0, 1, 2), **_GANOMALY),
        _PRETRAINED,
    ],
    # A check on the compare profile's Deep SVDD budget (50 + 100 epochs at a constant lr):
    # the authors' code's budget, 350 pre-training epochs with the lr drop after 250 and 150
    # one-class epochs with the drop after 50, on the MNIST one-vs-rest column, seed 0.
    # studies/svdd_budget.py runs it and sets it beside the compare store.
    "svdd-budget": [
        Block("deep-svdd-paper", datasets=("mnist",), models=("deep-svdd",), epochs=150,
              checkpoints=(10, 25, 50, 100, 150),
              settings={"extra": {"pretrain_epochs": 350, "lr_drop_pretrain": 250,
                                  "lr_drop_svdd": 50}}),
    ],
    # The thesis's own experiment, sized for a CPU: all training images of the class (less
    # the validation tenth), the whole test set, one 200-epoch run per configuration
    # evaluated at 1, 2, 5, 10, 20, 50, 100 and 200 epochs, seed 0. "main" is the thesis's
    # best-per-class tables and its epoch study; the contamination blocks sweep 0-100 % for
    # the configuration of each table's AVG row (MNIST basic/BCE+SSIM, CIFAR-10 VAE/MSE+SSIM).
    "thesis": [
        Block("main", datasets=("mnist", "cifar10"), epochs=200),
        Block("contamination-mnist", datasets=("mnist",), models=("basic",),
              losses=("bce+ssim",), epochs=200, contaminations=THESIS_CONTAMINATION),
        Block("contamination-cifar10", datasets=("cifar10",), models=("vae",),
              losses=("mse+ssim",), epochs=200, contaminations=THESIS_CONTAMINATION),
        # The seed noise behind the tables: seeds 1 and 2 of each dataset's AVG-row
        # configuration and of its best single configuration at epoch 200 (seed 0 is in
        # "main"), cheapest first, then the label-free pick on seeds that did not choose it.
        *_thesis_seed_blocks("mnist", ("basic", "bce+ssim"), ("vae", "mse")),
        *selection_blocks(("mnist", "cifar10"))[:1],
        *_thesis_seed_blocks("cifar10", ("vae", "mse+ssim"), ("conv", "bce+ssim")),
        *selection_blocks(("mnist", "cifar10"))[1:],
        _PRETRAINED,
    ],
    # The thesis's protocol (meant for a GPU): 3,300 runs of 200 epochs, plus the comparison.
    "full": [
        Block("main", datasets=("mnist", "cifar10"), epochs=200,
              contaminations=THESIS_CONTAMINATION),
        *selection_blocks(("mnist", "cifar10")),
        Block("baselines", datasets=("mnist", "cifar10"), models=tuple(BASELINES), seeds=(0, 1, 2),
              epochs=15, checkpoints=(5, 10, 15)),
        Block("baselines-loo", datasets=("mnist", "cifar10"), models=tuple(BASELINES),
              seeds=(0, 1, 2), protocol="leave-one-out", epochs=15, checkpoints=(5, 10, 15)),
    ],
}


def block_group(profile: str, prefix: str) -> list[str]:
    """Names of the blocks of ``profile`` called ``prefix`` or ``prefix-…`` (e.g. "baselines")."""
    return [b.name for b in profile_blocks(profile)
            if b.name == prefix or b.name.startswith(prefix + "-")]


def profile_blocks(profile: str, blocks: Sequence[str] | None = None) -> list[Block]:
    if profile not in PROFILES:
        raise choice_error("profile", profile, PROFILES)
    chosen = PROFILES[profile]
    if blocks:
        names = [b.name for b in chosen]
        for b in blocks:
            if b not in names:
                raise choice_error(f"block of profile {profile!r}", b, names)
        chosen = [b for b in chosen if b.name in blocks]
    return chosen


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
ORDERS = ("profile", "priority")


def priority_datasets(profile: str, blocks: Sequence[str] | None = None) -> list[str]:
    """The logical datasets of ``profile`` in :data:`PRIORITY_DATASETS` order."""
    names = dict.fromkeys(d for b in profile_blocks(profile, blocks) for d in b.datasets)
    rank = {n: i for i, n in enumerate(PRIORITY_DATASETS)}
    return sorted(names, key=lambda n: rank.get(n, len(rank)))


def prioritized(configs: Sequence[RunConfig], max_group: int = 10, device: str | None = None,
                cache: dict | None = None) -> list[tuple[float, list[RunConfig]]]:
    """``configs`` as the groups :func:`aeutils.experiment.run_configs` trains, each with its
    estimated seconds (:func:`aeutils.estimate.group_seconds`), cheapest first; groups that
    are not timed (NaN: classical one-shot baselines) last. ``cache`` keeps estimates across
    calls (a group is timed once)."""
    from . import estimate

    cache = {} if cache is None else cache
    groups = batched_groups([c for c in configs if c.is_autoencoder], max_group)
    groups += [[c] for c in configs if not c.is_autoencoder]
    out = []
    for g in groups:
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
                 precision: str | None = None) -> dict[str, tuple[int, float]]:
    """Run what the store lacks of ``profile`` in priority order, within ``budget`` seconds.

    Datasets go in :func:`priority_datasets` order; within one, the cheapest group first
    (:func:`prioritized`), passes repeating while they train something, so derived blocks
    run once their source is complete. A group is started only if its estimate fits in the
    wall time left, so the call ends before the budget is spent; what it skipped is what a
    later call trains (the store is the state). Returns logical dataset → (runs trained,
    wall seconds); a group another process holds counts for that process."""
    store = store or ResultsStore()
    spend, cache = Budget(budget), {}
    out, skipped = {}, []
    for ds in priority_datasets(profile, blocks):
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
        if log:
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
