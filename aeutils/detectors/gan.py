"""What AnoGAN and EGBAD share: a GAN trained on the normal images, scored frozen.

:class:`GANDetector` is the training loop and the scoring frame of the two baselines
that sample a latent prior (:mod:`aeutils.detectors.anogan`,
:mod:`aeutils.detectors.egbad`). Their networks are built from GANomaly's DCGAN
builders (:mod:`aeutils.detectors.ganomaly`), so the three GAN baselines share layers,
initialisation, the [0, 1] → [-1, 1] mapping and the zero-padding of 28×28 images to
32×32. What is shared, and why:

- **Prior and noise.** z ~ N(0, I) of size ``latent_dim`` (the DCGAN
  reference's prior), drawn from a generator seeded by the seed, so a fit is
  repeatable and scoring (which never draws from it) cannot change training.
- **Optimisers.** One Adam per network, lr ``lr_gan`` = 2e-4, betas (0.5, 0.999), the
  DCGAN setting GANomaly's paper and code use for every network; batch order shuffled by
  a seeded generator; a lone last image is skipped (BatchNorm needs two).
- **Scoring frozen** (:meth:`GANDetector._frozen`): every network in eval mode with
  ``requires_grad`` off, restored afterwards, so scoring mid-training (the runner's
  checkpoints) changes no weight and no training draw.
- **Precise BatchNorm statistics** before eval-mode scoring (``precise_bn``), for the
  reason GANomaly's docstring measures: with the N(0, 0.02) init the running variances
  are still far from the population's after a few hundred steps. Each network's
  statistics are recomputed on what it is applied to in training: the generator on
  prior samples (as many as there are training images, from a generator re-seeded each
  time), encoders and discriminators on the training images.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..data.datasets import to_float
from .base import BaseDetector
from .ganomaly import PicklesWithoutTrainingImages, model_size, to_model_input, weights_init
from .training import TrainingDivergedError, configure_device

Tensor = torch.Tensor


def init_weights(net: nn.Module, gen: torch.Generator) -> None:
    """GANomaly's DCGAN init (convolutions N(0, 0.02), BatchNorm scales N(1, 0.02)), and
    fully connected weights N(0, 0.02) with zero bias (EGBAD's reference code)."""
    weights_init(net, gen)
    for m in net.modules():
        if isinstance(m, nn.Linear):
            w = torch.empty(m.weight.shape).normal_(0.0, 0.02, generator=gen)
            with torch.no_grad():
                m.weight.copy_(w)
                m.bias.zero_()


class GANDetector(PicklesWithoutTrainingImages, BaseDetector):
    """Base of the GAN baselines: subclasses build their networks (:meth:`_build_nets`),
    take one training step (:meth:`_step`) and recompute BatchNorm statistics
    (:meth:`_refresh_statistics`). After :meth:`fit`: ``nets_`` (name → module),
    ``size_`` (the square side the networks take), ``loss_curve_`` (per-epoch mean
    generator loss), ``loss_parts_`` (per-epoch means of every loss term),
    ``epoch_seconds_``."""

    label: ClassVar[str] = "a GAN"  # the method's name in messages

    # --- what a subclass defines ---------------------------------------------------------
    def _build_nets(self, nc: int) -> dict[str, nn.Module]:
        """The networks, by name (``"g"``: the generator), for ``nc`` channels at ``self.size_``."""
        raise NotImplementedError

    def _step(self, x: Tensor, opts: dict[str, torch.optim.Optimizer]) -> dict[str, Tensor]:
        """One training step on a prepared batch; its loss terms (``"g"`` among them)."""
        raise NotImplementedError

    def _refresh_statistics(self) -> None:
        """Recompute every network's BatchNorm statistics (see the module docstring)."""
        raise NotImplementedError

    # --- shared --------------------------------------------------------------------------
    def _prepare(self, x: Tensor) -> Tensor:
        return to_model_input(x, self.size_, self.device_)

    def _noise(self, n: int, gen: torch.Generator) -> Tensor:
        return torch.randn(n, int(self.latent_dim), 1, 1, generator=gen).to(self.device_)

    def _prior_batches(self, chunk: int = 1000) -> Iterator[Tensor]:
        """As many prior samples as training images, the same ones at every call."""
        gen = torch.Generator().manual_seed(30_000 + self.seed_)
        n = len(self._train_x)
        return (self._noise(min(chunk, n - i), gen) for i in range(0, n, chunk))

    def _train_batches(self, chunk: int = 1000) -> Iterator[Tensor]:
        return (self._prepare(self._train_x[i: i + chunk])
                for i in range(0, len(self._train_x), chunk))

    def _build(self, shape: tuple[int, ...]) -> None:
        nc, h, w = shape
        self.size_ = model_size(h, w, self.label)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed_)
            nets = self._build_nets(nc)
        gen = torch.Generator().manual_seed(self.seed_)
        for net in nets.values():
            init_weights(net, gen)
        self.nets_ = {k: net.to(self.device_) for k, net in nets.items()}

    def _fit_images(self, x: Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Train for ``epochs`` epochs, calling ``on_epoch(epoch)`` after each."""
        configure_device(self.device_)
        self._train_x = to_float(x, self.device_)
        self._bn_fresh = False
        self.loss_curve_, self.loss_parts_, self.epoch_seconds_ = [], [], []
        self._build(tuple(self._train_x.shape[1:]))
        opts = {k: torch.optim.Adam(net.parameters(), lr=float(self.lr_gan), betas=(0.5, 0.999))
                for k, net in self.nets_.items()}
        order_gen = torch.Generator().manual_seed(10_000 + self.seed_)
        self._noise_gen = torch.Generator().manual_seed(20_000 + self.seed_)
        for epoch in range(1, int(self.epochs) + 1):
            t0 = time.perf_counter()
            parts = self._epoch(order_gen, opts)
            if not all(math.isfinite(v) for v in parts.values()):
                raise TrainingDivergedError(f"{self.label} loss became non-finite at epoch "
                                            f"{epoch}: {parts}; try a lower lr_gan "
                                            f"(lr_gan={self.lr_gan})")
            self.loss_parts_.append(parts)
            self.loss_curve_.append(parts["g"])
            self.epoch_seconds_.append(time.perf_counter() - t0)
            if on_epoch is not None:
                on_epoch(epoch)

    def _epoch(self, order_gen: torch.Generator, opts: dict) -> dict[str, float]:
        """One pass over the training images; the mean of each loss term."""
        for net in self.nets_.values():
            net.train()
        self._bn_fresh = False
        train_x, bs = self._train_x, int(self.batch_size)
        n = len(train_x)
        sums: dict[str, float] = {}
        seen = 0
        order = torch.randperm(n, generator=order_gen).to(train_x.device)
        for i in range(0, n, bs):
            xb = self._prepare(train_x[order[i: i + bs]])
            if len(xb) < 2 and n >= 2:  # BatchNorm needs two images: skip a lone last one
                continue
            for k, v in self._step(xb, opts).items():
                sums[k] = sums.get(k, 0.0) + v.item() * len(xb)
            seen += len(xb)
        return {k: v / max(seen, 1) for k, v in sums.items()}

    @contextmanager
    def _frozen(self) -> Iterator[None]:
        """Eval mode, no weight gradients, fresh BatchNorm statistics; restored afterwards."""
        check_is_fitted(self, "nets_")
        if self.precise_bn and not self._bn_fresh:
            self._refresh_statistics()
            self._bn_fresh = True
        saved = [(net, net.training, [p.requires_grad for p in net.parameters()])
                 for net in self.nets_.values()]
        for net, _, _ in saved:
            net.eval()
            net.requires_grad_(False)
        try:
            yield
        finally:
            for net, mode, flags in saved:
                net.train(mode)
                for p, flag in zip(net.parameters(), flags):
                    p.requires_grad_(flag)
