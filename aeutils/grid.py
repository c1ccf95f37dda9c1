"""Experiment grids: named profiles of blocks, enumeration, shards and the sweep runner.

A *block* is a product of axes (datasets × models × losses × classes ×
contamination × seeds) with shared training settings; a *profile* is a list of
blocks (``smoke`` for tests, ``quick`` for a 2-core CPU, ``full`` for the
thesis's protocol). Dataset names in profiles are logical (``mnist``,
``cifar10``) and can be remapped, e.g. ``cifar10`` → ``folder:../shared/data/cifar10-jpeg``
offline. Epoch studies come from checkpoints inside each run, so they cost no
extra training.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .config import DEFAULT_CHECKPOINTS, ConfigError, RunConfig, choice_error
from .experiment import pending, run_configs
from .losses import LOSSES
from .models import MODELS
from .results import ResultsStore
from .train import group_signature

ALL_CLASSES = tuple(range(10))
ALL_LOSSES = tuple(LOSSES)
ALL_AUTOENCODERS = tuple(MODELS)


@dataclass(frozen=True)
class Block:
    """One rectangular piece of a grid: the product of its axes."""

    name: str
    datasets: tuple[str, ...] = ("mnist",)
    models: tuple[str, ...] = ALL_AUTOENCODERS
    losses: tuple[str, ...] = ALL_LOSSES
    classes: tuple[int, ...] = ALL_CLASSES
    contaminations: tuple[float, ...] = (0.0,)
    seeds: tuple[int, ...] = (0,)
    protocol: str = "one-vs-rest"
    epochs: int = 20
    checkpoints: tuple[int, ...] = DEFAULT_CHECKPOINTS
    max_train: int | None = None
    settings: Mapping[str, object] = field(default_factory=dict)  # other RunConfig fields

    def configs(self, dataset_map: Mapping[str, str] | None = None) -> list[RunConfig]:
        dataset_map = dataset_map or {}
        out = []
        for ds, model, loss, cls, cont, seed in itertools.product(
                self.datasets, self.models, self.losses, self.classes, self.contaminations,
                self.seeds):
            loss = loss if model in MODELS else "mse"  # baselines ignore the loss
            out.append(RunConfig(dataset=dataset_map.get(ds, ds), model=model, loss=loss,
                                 normal_class=cls, protocol=self.protocol, contamination=cont,
                                 epochs=self.epochs, checkpoints=self.checkpoints,
                                 max_train=self.max_train, seed=seed, **dict(self.settings)))
        return out


PROFILES: dict[str, list[Block]] = {
    # Seconds: tiny data, for tests and the notebook smoke run.
    "smoke": [
        Block("main", datasets=("mnist",), models=ALL_AUTOENCODERS, losses=("mse", "bce+ssim"),
              classes=(0, 1), epochs=2, checkpoints=(1, 2), max_train=64),
        Block("contamination", datasets=("mnist",), models=("basic",), losses=("bce",),
              classes=(0, 1), contaminations=(0.0, 50.0, 100.0), epochs=2, checkpoints=(1, 2),
              max_train=64),
    ],
    # The whole story on a 2-core CPU: fewer epochs and a capped training set.
    "quick": [
        Block("main", datasets=("mnist", "cifar10"), epochs=10, checkpoints=(1, 2, 5, 10),
              max_train=2000),
        Block("contamination", datasets=("mnist", "cifar10"), models=("basic",),
              losses=("bce+ssim",), contaminations=(0.0, 10.0, 20.0, 50.0, 100.0), epochs=10,
              checkpoints=(1, 2, 5, 10), max_train=2000),
    ],
    # The thesis's protocol (meant for a GPU): 3,300 runs of 200 epochs.
    "full": [
        Block("main", datasets=("mnist", "cifar10"), epochs=200,
              contaminations=tuple(float(c) for c in range(0, 101, 10))),
    ],
}


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
                    blocks: Sequence[str] | None = None, **overrides) -> list[RunConfig]:
    """Every config of ``profile`` (optionally some blocks; axes overridable by keyword)."""
    out = []
    for b in profile_blocks(profile, blocks):
        out.extend(replace(b, **overrides).configs(dataset_map))
    return out


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
    ordered = sorted(configs, key=lambda c: (str(group_signature(c)), c.key()))
    chunks: list[list[RunConfig]] = []
    for _, same in itertools.groupby(ordered, key=lambda c: str(group_signature(c))):
        same = list(same)
        chunks.extend(same[i: i + max_group] for i in range(0, len(same), max_group))
    return [c for j, chunk in enumerate(chunks) if j % count == index for c in chunk]


def run_grid(configs: Sequence[RunConfig], store: ResultsStore | None = None,
             device: str | None = None, max_group: int = 10, progress: bool = True) -> int:
    """Run what the store lacks (one progress bar for the whole grid); returns runs trained."""
    store = store or ResultsStore()
    todo = pending(configs, store)
    run_configs(todo, store, device=device, max_group=max_group, progress=progress)
    return len(todo)
