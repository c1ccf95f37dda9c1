"""How long a list of runs will take on this machine, measured before it starts.

:func:`estimate` groups the runs exactly as :func:`aeutils.experiment.run_configs`
batches them, then *times* on this machine:

- for every distinct batched autoencoder group shape (model, loss, image shape,
  members): a few steps of the real training loop on random images, and one scoring
  chunk, multiplied by the group's steps (epochs × batches of its largest member) and
  scored images (checkpoints × (test + validation + synthetic images));
- for every distinct baseline setting (method, dataset, protocol, training images):
  an iterative baseline (GANomaly, Deep SVDD) fits a subset of its real training
  images for one and for two epochs (and, where it pre-trains, one and two
  pre-training epochs); the differences are the seconds per epoch, scaled to the
  whole training set. Its scoring is timed twice after fitting: the first call may
  refresh state from the training images (GANomaly's BatchNorm statistics), which is
  paid again at every checkpoint. AnoGAN's latent search is timed at a few steps and
  scaled to its length (:data:`SEARCH_PROBE_STEPS`). A one-shot baseline (kNN, OC-SVM,
  …) is timed once on its real data, as it will run.

It is an estimate of this machine only, printed by ``python -m aeutils grid --dry-run``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .. import settings
from ..config import RunConfig
from ..data.datasets import Split, split_for
from ..detectors.base import detector_class
from ..detectors.groups import training_group
from ..detectors.training import group_signature, pick_device, score_images, train_autoencoders
from ..registry import ONE_SHOT
from .runs import batched_groups, log_line


@dataclass
class GroupCost:
    """A batched group of autoencoder runs."""

    signature: tuple
    members: int
    steps: int           # optimiser steps of the group (epochs × batches of its largest member)
    scored: int          # images scored per member over all checkpoints
    step_seconds: float  # measured: one training step of the group
    image_seconds: float  # measured: scoring one image per member

    @property
    def training_seconds(self) -> float:
        return self.steps * self.step_seconds

    @property
    def seconds(self) -> float:
        return self.training_seconds + self.scored * self.image_seconds


@dataclass
class BaselineCost:
    """One baseline run."""

    signature: tuple
    training_seconds: float
    scoring_seconds: float  # every checkpoint
    shared: float = 0.0     # of scoring_seconds: work cached across runs (a test set's features)

    @property
    def seconds(self) -> float:
        return self.training_seconds + self.scoring_seconds


def random_split(n: int, shape: tuple[int, ...], seed: int) -> Split:
    """A split of ``n`` random uint8 training images and nothing else (for timing)."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, *shape, generator=g) * 255).to(torch.uint8)
    empty = torch.zeros(0, dtype=torch.long)
    return Split(train_x=x, train_is_anomaly=torch.zeros(n, dtype=torch.bool), val_x=x[:0],
                 val_y=empty, test_x=x[:0], test_y=empty)


def _time_group(c: RunConfig, shape, members: int, device, steps: int = 3) -> tuple[float, float]:
    """Seconds of one training step and of scoring one image per member, for this group,
    through the real training loop and scorer."""
    configs = [c.replace(epochs=1, checkpoints=(1,), seed=k) for k in range(members)]
    splits = [random_split(steps * c.batch_size, shape, k) for k in range(members)]
    train_autoencoders(configs, [random_split(c.batch_size, shape, k) for k in range(members)],
                       device)  # warm-up: kernels, allocator
    t0 = time.perf_counter()
    model = train_autoencoders(configs, splits, device)
    t_step = (time.perf_counter() - t0) / steps
    imgs = [(torch.rand(512, *shape) * 255).to(torch.uint8)] * members
    score_images(model, c.loss, [i[:64] for i in imgs], device, precision=c.precision)
    t0 = time.perf_counter()
    score_images(model, c.loss, imgs, device, score=c.score, precision=c.precision)
    return t_step, (time.perf_counter() - t0) / 512


def _scored_per_checkpoint(split: Split) -> int:
    return len(split.test_x) + len(split.val_x) + len(split.synth_x)


def _fit(c: RunConfig, x: torch.Tensor, device, epochs: int, pretrain: int | None):
    """Seconds of fitting ``c`` (at ``epochs``, ``pretrain`` pre-training epochs) on ``x``
    as the grid fits it, and the fitted group."""
    if pretrain is not None:
        c = c.replace(extra={**dict(c.extra), "pretrain_epochs": pretrain})
    group = training_group([c.replace(epochs=epochs, checkpoints=(epochs,))], device)
    t0 = time.perf_counter()
    group.fit([x])
    return time.perf_counter() - t0, group


def _timed_score(group, x: torch.Tensor) -> float:
    t0 = time.perf_counter()
    group.score([x])
    return time.perf_counter() - t0


def _increment(longer: float, base: float) -> float:
    """Seconds one more epoch adds. On tiny inputs timing noise can make the longer fit
    no slower; then the whole shorter fit, which contains at least one epoch, is the bound."""
    return longer - base if longer > base else base


def _time_encoder(c: RunConfig, split: Split, device, sig: tuple, n: int = 64) -> BaselineCost:
    """A detector whose cost is encoding images (frozen-network features): the seconds of
    encoding ``n`` of them, scaled to every image it encodes. Its feature cache is pointed
    at a scratch folder meanwhile, so the timing encodes and the real cache stays as it is."""
    import tempfile

    x = split.train_x[:n]
    with tempfile.TemporaryDirectory() as tmp, settings.overridden(AEUTILS_CACHE=tmp):
        _fit(c, x[:8], device, 1, None)  # warm-up
        seconds, _ = _fit(c, x, device, 1, None)
    per_image = seconds / len(x)
    return BaselineCost(sig, per_image * len(split.train_x),
                        per_image * _scored_per_checkpoint(split), shared=per_image *
                        len(split.test_x))


# Scoring is timed on ``n`` test images unless PROBE of them show that would take longer than
# SLOW_SCORE seconds: then on the PROBE images.
PROBE, SLOW_SCORE = 32, 60.0
# A detector that scores by a search of N steps per image (AnoGAN) is timed searching
# SEARCH_PROBE_STEPS steps, scaled by N / SEARCH_PROBE_STEPS: its cost is linear in the
# steps, so the dry run pays a tenth of a 250-step search and can time more images.
SEARCH_PROBE_STEPS = 25


def _shorten_search(c: RunConfig, group) -> float:
    """Set a searching detector's search to SEARCH_PROBE_STEPS steps for the timing; the
    factor that scales the timing back to its real length (1.0 for other detectors)."""
    option = getattr(detector_class(c.model), "search_steps_option", None)
    if option is None:
        return 1.0
    steps = int(c.options()[option])
    probe = min(steps, SEARCH_PROBE_STEPS)
    for det in group.detectors:
        setattr(det, option, probe)
    return steps / probe


def _time_baseline(c: RunConfig, split: Split, device, n: int = 512) -> BaselineCost:
    """Seconds of one baseline run (see the module docstring for how)."""
    sig = (c.model, c.dataset, c.protocol, len(split.train_x))
    if getattr(detector_class(c.model), "cost_per_image", False):
        return _time_encoder(c, split, device, sig)
    if c.model in ONE_SHOT:
        seconds, group = _fit(c, split.train_x, device, c.epochs, None)
        scoring = sum(_timed_score(group, x) for x in (split.test_x, split.val_x, split.synth_x))
        return BaselineCost(sig, seconds, scoring)
    x = split.train_x[:n]
    pre = 1 if "pretrain_epochs" in c.options() else None
    _fit(c, x[:64], device, 1, pre)  # warm-up
    t11, group = _fit(c, x, device, 1, pre)
    per_epoch = _increment(_fit(c, x, device, 2, pre)[0], t11)
    per_pre = _increment(_fit(c, x, device, 1, 2)[0], t11) if pre else 0.0
    factor = _shorten_search(c, group)
    y = split.test_x[:PROBE]
    if _timed_score(group, y) * n / PROBE < SLOW_SCORE:
        y = split.test_x[:n]
    first, again = _timed_score(group, y), _timed_score(group, y)
    scale = len(split.train_x) / len(x)
    refresh = max(first - again, 0.0) * scale  # state rebuilt from the training images
    checkpoints = len(c.eval_epochs)
    training = scale * (c.epochs * per_epoch + int(c.options().get("pretrain_epochs", 0)) * per_pre)
    scoring = checkpoints * (refresh + factor * again / len(y) * _scored_per_checkpoint(split))
    return BaselineCost(sig, training, scoring)


_TIMED: dict[tuple, tuple[float, float]] = {}  # a group shape is timed once per process


def autoencoder_costs(configs: Sequence[RunConfig], max_group: int = 10,
                      device: torch.device | str | None = None) -> list[GroupCost]:
    """One :class:`GroupCost` per batched group of the autoencoder runs in ``configs``, in
    the order :func:`aeutils.experiment.run_configs` trains them (baselines are left out:
    timing a one-shot baseline costs as much as running it)."""
    device = pick_device(device if device is None or isinstance(device, str) else str(device))
    out = []
    for group in batched_groups([c for c in configs if c.is_autoencoder], max_group):
        splits = [split_for(c)[1] for c in group]
        shape = tuple(splits[0].train_x.shape[1:])
        key = (group_signature(group[0]), shape, len(group), str(device))
        if key not in _TIMED:
            _TIMED[key] = _time_group(group[0], shape, len(group), device)
        epochs = max(c.epochs for c in group)
        steps = epochs * math.ceil(max(len(s.train_x) for s in splits) / group[0].batch_size)
        scored = max(len(c.eval_epochs) * _scored_per_checkpoint(s)
                     for c, s in zip(group, splits))
        out.append(GroupCost(key[0], len(group), steps, scored, *_TIMED[key]))
    return out


def estimate(configs: Sequence[RunConfig], max_group: int = 10,
             device: str | torch.device | None = None) -> list[GroupCost | BaselineCost]:
    """One :class:`GroupCost` per batched group of autoencoder runs in ``configs`` and one
    :class:`BaselineCost` per baseline run; runs of the same shape are timed once."""
    device = pick_device(device if device is None or isinstance(device, str) else str(device))
    out: list[GroupCost | BaselineCost] = []
    for group in autoencoder_costs(configs, max_group, device):
        out.append(group)
    baselines: dict[tuple, BaselineCost] = {}
    paid: set[tuple] = set()
    for c in configs:
        if c.is_autoencoder:
            continue
        split = split_for(c)[1]
        key = (c.model, c.dataset, c.protocol, c.epochs, c.checkpoints, tuple(c.options().items()),
               len(split.train_x), _scored_per_checkpoint(split))
        if key not in baselines:
            baselines[key] = _time_baseline(c, split, device)
        cost = baselines[key]
        test_set = (c.model, c.dataset, c.protocol, c.seed, len(split.test_x))
        if cost.shared and test_set in paid:  # its features come from the cache
            cost = dataclasses.replace(cost, scoring_seconds=cost.scoring_seconds - cost.shared,
                                       shared=0.0)
        paid.add(test_set)
        out.append(cost)
    return out


def group_seconds(group: Sequence[RunConfig], device: torch.device | str | None = None) -> float:
    """Estimated seconds of one group as :func:`aeutils.experiment.run_configs` trains it:
    a batched autoencoder group or one baseline run (timed as :func:`estimate` times it).
    A classical one-shot baseline (kNN, OC-SVM, …) is not timed, since timing it costs as
    much as running it: NaN, for the caller to fill from what such runs took."""
    c = group[0]
    if c.is_autoencoder:
        return autoencoder_costs(group, len(group), device)[0].seconds
    if c.model in ONE_SHOT and not getattr(detector_class(c.model), "cost_per_image", False):
        return math.nan
    return estimate([c], device=device)[0].seconds


class Eta:
    """Time left in a list of groups: the dry-run estimator's seconds for every group still
    to come (:func:`aeutils.estimate.estimate`, timed once before the first group), scaled
    by how the finished groups compared with their estimates, so a slow conv group ahead
    counts as slow. Baseline runs (whose one-shot timing would cost a run) count as the
    mean of the finished baseline runs, or of all finished groups."""

    def __init__(self, groups: Sequence[list[RunConfig]], max_group: int, device,
                 later_seconds: float = 0.0) -> None:
        self.estimates: list[float | None] = [None] * len(groups)
        self.actual: list[float | None] = [None] * len(groups)
        self.later = later_seconds
        ae = [i for i, g in enumerate(groups) if g[0].is_autoencoder]
        try:
            costs = autoencoder_costs([c for i in ae for c in groups[i]], max_group, device)
            if len(costs) == len(ae):
                for i, cost in zip(ae, costs):
                    self.estimates[i] = cost.seconds
        except Exception as err:  # noqa: BLE001 - an ETA must never stop a run
            log_line(f"no ETA from the estimator ({type(err).__name__}: {err})")

    def done(self, index: int, seconds: float) -> float:
        """Record group ``index`` as finished in ``seconds``; return the seconds left."""
        self.actual[index] = seconds
        return self.left()

    def left(self) -> float:
        done = [i for i, a in enumerate(self.actual) if a is not None]
        timed = [i for i in done if self.estimates[i]]
        scale = (sum(self.actual[i] for i in timed) / sum(self.estimates[i] for i in timed)
                 if timed else 1.0)
        plain = [self.actual[i] for i in done if self.estimates[i] is None] or \
            [self.actual[i] for i in done] or [0.0]
        rest = [i for i in range(len(self.actual)) if self.actual[i] is None]
        return self.later * scale + sum(self.estimates[i] * scale if self.estimates[i] is not None
                   else sum(plain) / len(plain) for i in rest)
