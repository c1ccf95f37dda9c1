"""The grid's batched path: a group of runs trained together, scored at checkpoints.

The grid (:func:`aeutils.experiments.runs.run_configs`) trains its runs in groups and
drives every group through the same five calls, whatever its method:

- ``fit(images, on_checkpoint, on_epoch, progress, resume)``: train member k on
  ``images[k]`` (uint8 N×C×H×W), calling ``on_checkpoint(epoch, members)`` after an epoch
  that is a checkpoint (``config.eval_epochs``) of those members, where scoring is
  allowed, and ``on_epoch(epoch, state)`` after every epoch (``state()``: what resuming
  needs, or None);
- ``score(images)``: each member's scores of its own images (float64);
- ``reconstruct(images)``: reconstructions (uint8) of a few images, or None;
- ``record_fields(k, **common)``: the training fields of member k's record;
- ``model_state(k)``: weights worth keeping for figures, or None.

:class:`AutoencoderGroup` trains several autoencoder runs as one batched ensemble
(:func:`aeutils.detectors.training.train_autoencoders`); :class:`DetectorGroup` fits the
detector of each run, one after the other (a baseline's group is one run). Both run the
code the public detectors run: a detector fitted on a run's images gives the scores the
group stored. This module is the only place that knows about groups, so the detectors
keep only the estimator's face.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..config import RunConfig
from .base import FIELDS, BaseDetector, detector_class
from .training import (
    member_state,
    pick_device,
    reconstruct_images,
    score_images,
    train_autoencoders,
)

Tensor = torch.Tensor
CheckpointFn = Callable[[int, list[int]], None]
EpochFn = Callable[[int, "Callable[[], dict] | None"], None]


def detector_params(cls: type[BaseDetector], config: RunConfig, device=None) -> dict:
    """The keyword parameters of ``cls`` that ``config`` sets: its RunConfig fields and
    options by name, ``random_state`` from the seed, and ``device``. (``contamination``, the
    share a detector flags, stays at its default: the grid thresholds nothing.)"""
    options = config.options()
    params = {}
    for name in cls._get_param_names():
        if name in FIELDS:
            params[name] = getattr(config, name)
        elif name in options:
            params[name] = options[name]
        elif name == "model":
            params[name] = config.model
        elif name == "random_state":
            params[name] = config.seed
        elif name == "device":
            params[name] = device
    return params


def config_detector(config: RunConfig, device: torch.device | str | None = None) -> BaseDetector:
    """The detector of a grid configuration, its parameters checked as ``fit`` checks them,
    so a group refuses a bad option (or a missing optional extra) before anything trains."""
    cls = detector_class(config.model)
    det = cls(**detector_params(cls, config, device))
    det._fit_config(config.seed)
    return det


class AutoencoderGroup:
    """Autoencoder runs sharing model, loss, sizes and optimiser, trained as one ensemble:
    member k follows the trajectory it would follow alone (the detector's), only faster."""

    resumable = True  # train_autoencoders continues from a snapshot of its state

    def __init__(self, configs: Sequence[RunConfig], device: torch.device | str | None) -> None:
        self.configs = list(configs)
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.model: torch.nn.Module | None = None
        self.infos: list[dict] = []

    def fit(self, images: Sequence[Tensor], on_checkpoint: CheckpointFn | None = None,
            on_epoch: EpochFn | None = None, progress=None, resume: dict | None = None) -> None:
        def checkpoint(epoch: int, members: list[int], model, infos: list[dict]) -> None:
            self.model, self.infos = model, infos
            if on_checkpoint is not None:
                on_checkpoint(epoch, members)

        self.model = train_autoencoders(self.configs, images, self.device, checkpoint,
                                        progress=progress, resume=resume, on_epoch=on_epoch)

    def score(self, images: Sequence[Tensor]) -> list[np.ndarray]:
        """All members at once, on the shared ensemble (a shared test set is broadcast)."""
        c = self.configs[0]
        out = score_images(self.model, c.loss, images, self.device, score=c.score,
                           precision=c.precision)
        return [s.astype(np.float64) for s in out]

    def reconstruct(self, images: Sequence[Tensor]) -> list[np.ndarray]:
        return reconstruct_images(self.model, images, self.device, self.configs[0].precision)

    def record_fields(self, k: int, **common) -> dict:
        curve = self.infos[k]["loss_curve"]
        order = ("group_size", "cpu_seconds", "device")  # the field order records always had
        return {"train_loss": curve[-1], "loss_curve": curve,
                "train_seconds": self.infos[k]["train_seconds"],
                **{f: common[f] for f in order if f in common}, **common}

    def model_state(self, k: int) -> dict:
        return member_state(self.model, k)


class DetectorGroup:
    """Runs of any other method: each run's detector (:func:`config_detector`) fitted on its
    images in turn, through the hooks its public ``fit`` uses, and scored at its
    checkpoints (a one-shot method: once, at ``config.epochs``)."""

    resumable = False

    def __init__(self, configs: Sequence[RunConfig], device: torch.device | None) -> None:
        self.configs = list(configs)
        self.detectors = [config_detector(c, device) for c in self.configs]
        self.seconds = [0.0] * len(self.configs)  # training time, checkpoints' scoring left out

    def fit(self, images: Sequence[Tensor], on_checkpoint: CheckpointFn | None = None,
            on_epoch: EpochFn | None = None, progress=None, resume: dict | None = None) -> None:
        for k, x in enumerate(images):
            self._fit_member(k, x, on_checkpoint, on_epoch, progress)

    def _fit_member(self, k: int, x: Tensor, on_checkpoint, on_epoch, progress) -> None:
        det, c = self.detectors[k], self.configs[k]
        clock, reported = [time.perf_counter()], [0]

        def checkpoint(epoch: int) -> None:
            self.seconds[k] += time.perf_counter() - clock[0]
            if on_checkpoint is not None:
                on_checkpoint(epoch, [k])
            clock[0] = time.perf_counter()

        def epoch_done(epoch: int) -> None:
            reported[0] += 1
            if progress is not None:
                progress.update(1)
            if on_epoch is not None:
                on_epoch(epoch, None)
            if epoch in c.eval_epochs and epoch != c.epochs:
                checkpoint(epoch)

        det._fit_images(det._begin_fit(x), epoch_done)
        checkpoint(c.epochs)
        if progress is not None:
            progress.update(max(0, c.epochs - reported[0]))  # one-shot: no epochs reported

    def score(self, images: Sequence[Tensor]) -> list[np.ndarray]:
        return [det._score_images(x) for det, x in zip(self.detectors, images)]

    def reconstruct(self, images: Sequence[Tensor]) -> None:
        """These methods reconstruct nothing worth showing."""
        return None

    def record_fields(self, k: int, **common) -> dict:
        """``train_seconds``, then ``common``, then an iterative method's loss curves."""
        det = self.detectors[k]
        curves = {field: list(getattr(det, attr)) for field, attr in
                  (("loss_curve", "loss_curve_"), ("pretrain_curve", "pretrain_curve_"))
                  if getattr(det, attr, None)}
        return {"train_seconds": self.seconds[k], **common, **curves}

    def model_state(self, k: int) -> None:
        return None


def training_group(configs: Sequence[RunConfig],
                   device: torch.device | None = None) -> AutoencoderGroup | DetectorGroup:
    """The group that trains ``configs`` (one method; autoencoders sharing a signature)."""
    family = AutoencoderGroup if configs[0].is_autoencoder else DetectorGroup
    return family(configs, device)
