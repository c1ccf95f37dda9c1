"""How long a list of runs will take on this machine, measured before it starts.

:func:`estimate` groups the runs exactly as :func:`aeutils.experiment.run_configs`
batches them, then *times* on this machine, for every distinct batched group shape
(model, loss, image shape, members), a few training steps and one scoring chunk, and
multiplies by each group's steps (epochs × batches of its largest member) and scored
images (checkpoints × (test + validation + synthetic images)). Baselines are timed
from nothing: they are listed with a count, not a guess. It is an estimate of this
machine only, printed by ``python -m aeutils grid --dry-run``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .config import RunConfig
from .data import split_for
from .experiment import batched_groups
from .losses import per_sample_loss
from .models import build_model
from .train import MaskedAdam, group_signature, pick_device, score_images


@dataclass
class GroupCost:
    signature: tuple
    members: int
    steps: int           # optimiser steps of the group (epochs × batches of its largest member)
    scored: int          # images scored per member over all checkpoints
    step_seconds: float  # measured: one training step of the group
    image_seconds: float  # measured: scoring one image per member

    @property
    def seconds(self) -> float:
        return self.steps * self.step_seconds + self.scored * self.image_seconds


def _time_group(c: RunConfig, shape, members: int, device, repeats: int = 3) -> tuple[float, float]:
    """Seconds of one training step and of scoring one image per member, for this group."""
    model = build_model(c.model, shape, list(range(members)), c.hidden, c.latent_dim).to(device)
    opt = MaskedAdam(list(model.parameters()), lr=c.lr)
    x = torch.rand(members, c.batch_size, *shape, device=device)

    def step():
        recon, kl = model(x)
        per = per_sample_loss(c.loss, recon, x)
        if kl is not None:
            per = per + kl
        opt.zero_grad()
        per.mean(1).sum().backward()
        opt.step([True] * members)

    step()
    t0 = time.perf_counter()
    for _ in range(repeats):
        step()
    t_step = (time.perf_counter() - t0) / repeats
    imgs = [(torch.rand(512, *shape) * 255).to(torch.uint8)] * members
    score_images(model, c.loss, [i[:64] for i in imgs], device)
    t0 = time.perf_counter()
    score_images(model, c.loss, imgs, device, score=c.score)
    return t_step, (time.perf_counter() - t0) / 512


def estimate(configs: Sequence[RunConfig], max_group: int = 10,
             device: str | torch.device | None = None) -> list[GroupCost]:
    """One :class:`GroupCost` per batched group of autoencoder runs in ``configs``."""
    device = pick_device(device if device is None or isinstance(device, str) else str(device))
    timed: dict[tuple, tuple[float, float]] = {}
    out = []
    for group in batched_groups([c for c in configs if c.is_autoencoder], max_group):
        splits = [split_for(c)[1] for c in group]
        shape = tuple(splits[0].train_x.shape[1:])
        key = (group_signature(group[0]), len(group))
        if key not in timed:
            timed[key] = _time_group(group[0], shape, len(group), device)
        epochs = max(c.epochs for c in group)
        steps = epochs * math.ceil(max(len(s.train_x) for s in splits) / group[0].batch_size)
        scored = max(len(c.eval_epochs) * (len(s.test_x) + len(s.val_x) + len(s.synth_x))
                     for c, s in zip(group, splits))
        out.append(GroupCost(key[0], len(group), steps, scored, *timed[key]))
    return out
