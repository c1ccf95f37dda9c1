"""Named grids: profiles of blocks, each block a product of axes. No torch is imported.

A *block* is a product of axes (datasets × models × losses × classes ×
contamination × seeds) with shared training settings; a *profile* is a list of
blocks (``smoke`` for tests, ``quick`` for a 2-core CPU, ``compare`` for the
measured comparison, ``thesis`` for the thesis's own experiment, ``full`` for its
protocol at every contamination level). A block with ``select_from`` is *derived*:
per dataset it re-runs, over its ``seeds``, the autoencoder configuration and epoch
that its ``strategy`` (:data:`aeutils.selection.STRATEGIES`) picks on seed 0 from
another block (:mod:`aeutils.grid` enumerates and runs them). This module is the one
home of the profile names too: the command line reads its choices here without
importing the trainers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..config import DEFAULT_CHECKPOINTS, ConfigError, RunConfig, choice_error
from ..registry import AUTOENCODERS, BASELINES, LOSSES, REPORTED_STRATEGIES

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
        from ..data.datasets import resolve_dataset  # here: it imports torch

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
            for name in REPORTED_STRATEGIES]


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
# AnoGAN scores at the final epoch only (its latent search is the cost), with 250 search
# steps: studies/anogan_iterations.py (1,000 test images per class) measured MNIST class 0
# at 0.937 after 100 steps, 0.983 after 250 and 0.985 after 500 (the paper's count), MNIST
# class 1 at 0.993 after both 250 and 500, CIFAR-10 class 0 at 0.668 and 0.669. The search
# runs in bfloat16 (scored in float32), 1.7× faster than float32 with 2 threads on a CPU with
# bfloat16 instructions (bench_baselines.py): studies/anogan_precision.py searched the same networks both ways (MNIST
# class 0: AUC 0.9836 in float32, 0.9835 in bfloat16 after 250 steps, Spearman 0.9994 between
# the scores; CIFAR-10 class 0: 0.6681 both ways).
_ANOGAN = dict(epochs=15, checkpoints=(15,),
               settings={"extra": {"iterations": 250, "search_precision": "bf16"}})
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
    # a 2-core CPU (docs/performance.md); docs/results.md gives what it took.
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
        # The comparison systems measured at this protocol (one-vs-rest, all training images
        # of the class, whole test sets, seed 0) at compare's budgets; MNIST's runs share
        # their keys with compare's seed 0 (aeutils merge copies them).
        Block("baselines", datasets=("mnist", "cifar10"), models=CLASSICAL, epochs=1,
              checkpoints=(1,)),
        Block("baselines-ganomaly", datasets=("mnist", "cifar10"), models=("ganomaly",),
              **_GANOMALY),
        Block("baselines-deep-svdd", datasets=("mnist", "cifar10"), models=("deep-svdd",),
              **_SVDD),
        # EGBAD at GANomaly's budget (15 epochs), both protocols; leave-one-out on at most
        # 2,000 training images, as the GANomaly paper's rows and compare's leave-one-out.
        Block("baselines-egbad", datasets=("mnist", "cifar10"), models=("egbad",), **_GANOMALY),
        Block("baselines-egbad-loo", datasets=("mnist", "cifar10"), models=("egbad",),
              protocol="leave-one-out", max_train=2000, **_GANOMALY),
        # AnoGAN likewise, the costliest to score: last.
        Block("baselines-anogan", datasets=("mnist", "cifar10"), models=("anogan",), **_ANOGAN),
        Block("baselines-anogan-loo", datasets=("mnist", "cifar10"), models=("anogan",),
              protocol="leave-one-out", max_train=2000, **_ANOGAN),
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


def profile_datasets(profile: str, blocks: Sequence[str] | None = None) -> list[str]:
    """The logical datasets of ``profile`` (or of some of its blocks), in profile order."""
    return list(dict.fromkeys(d for b in profile_blocks(profile, blocks) for d in b.datasets))


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
