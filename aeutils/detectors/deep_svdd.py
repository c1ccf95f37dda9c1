"""Deep SVDD (Ruff et al., "Deep One-Class Classification", ICML 2018), one-class objective.

A network φ maps images into a hypersphere: it is trained to pull the
representations of the (mostly normal) training images close to a fixed
centre c, minimising mean ||φ(x) − c||² (+ weight decay). The score of an image
is its squared distance ||φ(x) − c||². To rule out the trivial solution
(φ ≡ c), φ has no bias terms and its BatchNorm layers have no affine
parameters, as in the paper.

Architecture (the reference code's LeNet-style nets, github.com/lukasruff/Deep-SVDD-PyTorch):
blocks of 5×5 convolution (padding 2, no bias) → BatchNorm (eps 1e-4,
affine=False) → LeakyReLU → 2×2 max-pool, then a bias-free dense layer to
``latent_dim`` units. Grey images use the MNIST net's channels (8, 4),
colour images the CIFAR-10 net's (32, 64, 128); ``channels`` overrides them. Any square-ish size works (28×28 → 7×7, 32×32 → 4×4).

Training:

1. Autoencoder pre-training: φ plus a mirrored decoder (bias-free dense layer,
   then per block nearest-neighbour upsampling → 5×5 convolution → BatchNorm →
   LeakyReLU, sigmoid output) minimises the squared reconstruction error (summed
   over pixels, averaged over images, as the reference code) for
   ``pretrain_epochs`` epochs (default 10, a fixed budget: it does not
   follow ``epochs``, so epoch e of a longer run is the same model as an
   e-epoch run, as the results key assumes).
2. c = mean of φ(x) over the training images (eval mode, after pre-training);
   coordinates with |c_i| < 0.1 are pushed to ±0.1 (zero to +0.1).
3. One-class training of φ for ``epochs`` epochs; ``on_epoch`` is called
   after each of these epochs only.

Both stages use Adam with weight decay 1e-6 (``weight_decay``), lr ``lr_pretrain`` and
``lr_svdd`` (the autoencoders' ``lr`` is not a parameter here), batch size
``batch_size``.

Deviations from the paper, deliberate: inputs are the project's [0, 1] pixels
(the paper applies global contrast normalisation and per-class min-max scaling);
by default one learning rate per stage and far fewer epochs than the paper, which
trains the autoencoder 250 + 100 epochs and Deep SVDD 150 + 100 epochs, each at lr
1e-4 then 1e-5 (the authors' PyTorch code: 350 epochs with the drop at 250, and 150
with the drop at 50; ``lr_drop_pretrain`` and ``lr_drop_svdd`` set such a drop, lr
× 0.1 after that epoch of the stage);
representation size ``latent_dim`` (project default 32 = the paper's
MNIST size; the paper uses 128 on CIFAR-10); only the one-class (not the
soft-boundary) objective; a lone last image of an epoch is skipped
(BatchNorm needs two).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.datasets import to_float
from ..registry import ConfigError
from .base import BaseDetector
from .training import TrainingDivergedError, configure_device

Tensor = torch.Tensor
MNIST_CHANNELS = (8, 4)
CIFAR_CHANNELS = (32, 64, 128)


def _bn(ch: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(ch, eps=1e-4, affine=False)


class SVDDEncoder(nn.Module):
    """φ: bias-free LeNet-style encoder, C×H×W → rep_dim."""

    def __init__(self, shape: Sequence[int], rep_dim: int, channels: Sequence[int]) -> None:
        super().__init__()
        nc, h, w = shape
        self.sizes = [(h, w)]
        self.convs, self.bns = nn.ModuleList(), nn.ModuleList()
        cin = nc
        for ch in channels:
            self.convs.append(nn.Conv2d(cin, ch, 5, padding=2, bias=False))
            self.bns.append(_bn(ch))
            h, w = h // 2, w // 2
            self.sizes.append((h, w))
            cin = ch
        if h < 1 or w < 1:
            raise ValueError(f"images of shape {tuple(shape)} are too small for {len(channels)} "
                             f"pooling blocks")
        self.fc = nn.Linear(cin * h * w, rep_dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        for conv, bn in zip(self.convs, self.bns):
            x = F.max_pool2d(F.leaky_relu(bn(conv(x))), 2)
        return self.fc(x.flatten(1))


class SVDDDecoder(nn.Module):
    """The encoder mirrored (bias-free), rep_dim → C×H×W in [0, 1]; for pre-training only."""

    def __init__(self, encoder: SVDDEncoder, nc: int, rep_dim: int,
                 channels: Sequence[int]) -> None:
        super().__init__()
        self.sizes = encoder.sizes
        self.top = (channels[-1], *self.sizes[-1])
        self.fc = nn.Linear(rep_dim, math.prod(self.top), bias=False)
        outs = [nc, *channels[:-1]]
        self.convs = nn.ModuleList(nn.Conv2d(channels[i], outs[i], 5, padding=2, bias=False)
                                   for i in reversed(range(len(channels))))
        self.bns = nn.ModuleList(_bn(outs[i]) for i in reversed(range(1, len(channels))))

    def forward(self, z: Tensor) -> Tensor:
        x = F.leaky_relu(self.fc(z).view(-1, *self.top))
        for i, conv in enumerate(self.convs):
            x = conv(F.interpolate(x, size=self.sizes[-2 - i], mode="nearest"))
            x = F.leaky_relu(self.bns[i](x)) if i < len(self.bns) else torch.sigmoid(x)
        return x


def _epoch_or_none(value) -> int | None:
    if value is None:
        return None
    if int(value) < 1:
        raise ConfigError(f"a learning-rate drop epoch must be at least 1 (or None), "
                          f"got {value!r}")
    return int(value)


class DeepSVDD(BaseDetector):
    """Deep SVDD, one-class objective (Ruff et al., ICML 2018).

    Score = ||φ(x) − c||² in eval mode. Defaults: LeNet-style bias-free encoder
    (MNIST net for grey images, CIFAR-10 net for colour), rep dim ``latent_dim``,
    autoencoder pre-training for ``pretrain_epochs`` = 10 epochs at ``lr_pretrain`` = 1e-4,
    then ``epochs`` one-class epochs at ``lr_svdd`` = 1e-4, Adam with ``weight_decay`` =
    1e-6, batch size ``batch_size``, centre eps ``center_eps`` = 0.1, deterministic by the
    seed. After :meth:`fit`: ``net_`` (φ), ``center_`` (c), ``pretrain_curve_`` and
    ``loss_curve_`` (the per-epoch mean losses of the two stages), ``pretrain_seconds_``
    and ``epoch_seconds_``. See the module docstring for the deviations from the paper.
    """

    name = "deep-svdd"

    def __init__(self, epochs: int = 20, batch_size: int = 128, latent_dim: int = 32,
                 pretrain_epochs: int = 10, lr_pretrain: float = 1e-4, lr_svdd: float = 1e-4,
                 weight_decay: float = 1e-6, center_eps: float = 0.1,
                 channels: tuple[int, ...] | None = None, lr_drop_pretrain: int | None = None,
                 lr_drop_svdd: int | None = None, contamination: float = 0.05,
                 random_state=0, device: str | None = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.pretrain_epochs = pretrain_epochs
        self.lr_pretrain = lr_pretrain
        self.lr_svdd = lr_svdd
        self.weight_decay = weight_decay
        self.center_eps = center_eps
        self.channels = channels
        # The paper's schedule: lr × 0.1 after these epochs of each stage (None: constant).
        self.lr_drop_pretrain = lr_drop_pretrain
        self.lr_drop_svdd = lr_drop_svdd
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _check_params(self) -> None:
        _epoch_or_none(self.lr_drop_pretrain)
        _epoch_or_none(self.lr_drop_svdd)

    def _build(self, shape: tuple[int, ...]) -> SVDDDecoder:
        channels = (tuple(int(c) for c in self.channels) if self.channels is not None
                    else MNIST_CHANNELS if shape[0] == 1 else CIFAR_CHANNELS)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed_)
            self.net_ = SVDDEncoder(shape, int(self.latent_dim), channels)
            decoder = SVDDDecoder(self.net_, shape[0], int(self.latent_dim), channels)
        self.net_.to(self.device_)
        return decoder.to(self.device_)

    def _epochs(self, train_x: Tensor, stage: tuple[int, float, int | None, str],
                params, loss_fn: Callable[[Tensor], Tensor], history: list[float],
                order: torch.Generator, after: Callable[[int, float], None] | None = None
                ) -> None:
        """``stage`` = (epochs, lr, drop epoch or None, name) of one training stage."""
        n_epochs, lr, drop, what = stage
        opt = torch.optim.Adam(params, lr=lr, weight_decay=float(self.weight_decay))
        # The drop is at an absolute epoch, so epoch e of a longer run is still the model of
        # an e-epoch run (the results key leaves the epoch count out).
        schedule = torch.optim.lr_scheduler.MultiStepLR(opt, [drop], gamma=0.1) if drop else None
        n, bs = len(train_x), int(self.batch_size)
        for epoch in range(1, n_epochs + 1):
            t0 = time.perf_counter()
            perm = torch.randperm(n, generator=order).to(train_x.device)
            total, seen = 0.0, 0
            for i in range(0, n, bs):
                idx = perm[i: i + bs]
                if len(idx) < 2 and n >= 2:  # BatchNorm needs two images
                    continue
                x = train_x[idx].to(self.device_).float()
                loss = loss_fn(x)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item() * len(x)
                seen += len(x)
            mean = total / max(seen, 1)
            if not math.isfinite(mean):
                raise TrainingDivergedError(f"Deep SVDD {what} loss became {mean} at epoch {epoch}; "
                                            f"try a lower learning rate (lr={lr})")
            history.append(mean)
            if schedule is not None:
                schedule.step()
            if after is not None:
                after(epoch, time.perf_counter() - t0)

    def _fit_images(self, x: Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Pre-train, set c, then train the one-class objective for ``epochs`` epochs."""
        configure_device(self.device_)
        train_x = to_float(x, self.device_)
        decoder = self._build(tuple(train_x.shape[1:]))
        net = self.net_
        order = torch.Generator().manual_seed(10_000 + self.seed_)
        self.pretrain_curve_, self.loss_curve_, self.epoch_seconds_ = [], [], []

        # 1. autoencoder pre-training
        t0 = time.perf_counter()
        net.train()
        decoder.train()

        def recon_loss(x: Tensor) -> Tensor:
            return (decoder(net(x)) - x).pow(2).flatten(1).sum(1).mean()

        stage = (int(self.pretrain_epochs), float(self.lr_pretrain),
                 _epoch_or_none(self.lr_drop_pretrain), "pre-training")
        self._epochs(train_x, stage, [*net.parameters(), *decoder.parameters()], recon_loss,
                     self.pretrain_curve_, order)
        self.pretrain_seconds_ = time.perf_counter() - t0

        # 2. centre c
        self.center_ = self._init_center(train_x)

        # 3. one-class training
        net.train()

        def svdd_loss(x: Tensor) -> Tensor:
            return (net(x) - self.center_).pow(2).sum(1).mean()

        def after(epoch: int, seconds: float) -> None:
            self.epoch_seconds_.append(seconds)
            if on_epoch is not None:
                on_epoch(epoch)

        stage = (int(self.epochs), float(self.lr_svdd), _epoch_or_none(self.lr_drop_svdd),
                 "one-class")
        self._epochs(train_x, stage, net.parameters(), svdd_loss, self.loss_curve_, order, after)

    @torch.no_grad()
    def _embed(self, x: Tensor, chunk: int = 2000) -> Tensor:
        """φ(x) in eval mode (the previous mode is restored)."""
        was_training = self.net_.training
        self.net_.eval()
        try:
            parts = [self.net_(x[i: i + chunk].to(self.device_).float())
                     for i in range(0, len(x), chunk)]
        finally:
            self.net_.train(was_training)
        return torch.cat(parts) if parts else torch.zeros(0, int(self.latent_dim),
                                                          device=self.device_)

    def _init_center(self, train_x: Tensor) -> Tensor:
        eps = float(self.center_eps)
        c = self._embed(train_x).mean(0)
        small = c.abs() < eps
        c[small & (c < 0)] = -eps
        c[small & (c >= 0)] = eps
        return c

    def _score_images(self, x: Tensor) -> np.ndarray:
        """||φ(x) − c||² per image (eval mode), shape (N,)."""
        z = self._embed(to_float(x, self.device_))
        return (z - self.center_).pow(2).sum(1).double().cpu().numpy()
