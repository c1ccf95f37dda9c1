"""GANomaly (Akcay, Atapour-Abarghouei & Breckon, ACCV 2018).

A generator encoder1 → decoder → encoder2 learns to reconstruct normal images
and to re-encode its reconstruction to the same latent code; a discriminator
judges real vs reconstructed images. Anomalies are images whose latent code
z = E1(x) and re-encoded code ẑ = E2(G(x)) disagree.

Architecture and training follow the authors' code (github.com/samet-akcay/ganomaly):
DCGAN encoders (4×4 stride-2 convolutions, BatchNorm, LeakyReLU 0.2) and
decoder (transposed convolutions, BatchNorm, ReLU, tanh), bias-free, weights
drawn from N(0, 0.02) (BatchNorm scales from N(1, 0.02)); the discriminator is
an encoder with one output whose last hidden layer is the feature layer.
Generator loss = w_adv · ||f(x) − f(G(x))||² (feature matching, mean)
+ w_con · |x − G(x)|₁ (mean) + w_enc · ||z − ẑ||² (mean), with w_adv = 1,
w_con = 50, w_enc = 1; discriminator loss = BCE(real → 1, fake → 0) / 2; one
generator then one discriminator Adam step per batch (lr 2e-4, betas (0.5, 0.999));
the discriminator is re-initialised whenever its loss falls below 1e-5.
Images are mapped from [0, 1] to [-1, 1] as in the reference's normalisation.

Deviations from the paper and the reference code, all deliberate:

- **Scoring in eval mode, at a fixed epoch.** The authors' code scores the test
  set with the networks still in train mode (BatchNorm uses test-batch
  statistics) and reports the epoch with the best *test* AUC, which selects on
  the test labels. Here scores are computed in eval mode (BatchNorm running
  statistics; the previous mode is restored afterwards) after exactly
  ``epochs`` epochs (and at the runner's checkpoint epochs), never
  selected on test labels. Scores are not min-max normalised over the test set
  (the reference does; it changes no ranking metric).
- **Precise BatchNorm statistics for eval mode** (``precise_bn``, default on).
  With the DCGAN init (weights ~ N(0, 0.02)) the early layers' activation
  variances are ~1e-4, while PyTorch's running variance starts at 1 and decays
  by 0.9 per step: after one MNIST epoch (42 steps) the running variance is
  still ~100× too large, and eval-mode scores were *inverted* (measured: MNIST
  class 0, epoch 1, AUC 0.06 in eval mode vs 0.98 with batch statistics). So
  before scoring, whenever the weights changed, the generator's BatchNorm
  running statistics are recomputed by one no-grad pass over the training
  images (cumulative average of batch statistics). Training never uses running
  statistics, so this does not change the trajectory; ``precise_bn=False``
  gives plain eval mode.
- **28×28 inputs** (MNIST) are zero-padded (black, i.e. -1 after mapping) to
  32×32 inside the model; the paper resizes MNIST to 32×32. The contextual loss
  is computed on the padded 32×32 image.
- **Latent size** = ``latent_dim`` (project default 32; the paper uses
  100). Channel width ``ndf`` as in the paper.
- Learning rate ``lr_gan`` (the autoencoders' ``lr`` is not a parameter here); batch
  size ``batch_size`` (the paper uses 64, the project 128).
- The discriminator's sigmoid + BCE is computed as BCE-with-logits (the same
  loss, numerically safer). On re-initialisation the discriminator's Adam
  state is kept, as in the reference code.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.datasets import to_float
from ..registry import ConfigError
from .base import BaseDetector
from .training import TrainingDivergedError, configure_device

Tensor = torch.Tensor


def _encoder(size: int, nz: int, nc: int, ndf: int) -> list[nn.Module]:
    """DCGAN encoder layers: nc×size×size → nz×1×1 (the reference's ``Encoder``)."""
    layers: list[nn.Module] = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
    csize, ch = size // 2, ndf
    while csize > 4:
        layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2),
                   nn.LeakyReLU(0.2, True)]
        ch, csize = ch * 2, csize // 2
    layers.append(nn.Conv2d(ch, nz, 4, 1, 0, bias=False))
    return layers


def _decoder(size: int, nz: int, nc: int, ngf: int) -> list[nn.Module]:
    """DCGAN decoder layers: nz×1×1 → nc×size×size in [-1, 1] (the reference's ``Decoder``)."""
    ch, t = ngf // 2, 4
    while t != size:
        ch, t = ch * 2, t * 2
    layers: list[nn.Module] = [nn.ConvTranspose2d(nz, ch, 4, 1, 0, bias=False),
                               nn.BatchNorm2d(ch), nn.ReLU(True)]
    csize = 4
    while csize < size // 2:
        layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2),
                   nn.ReLU(True)]
        ch, csize = ch // 2, csize * 2
    layers += [nn.ConvTranspose2d(ch, nc, 4, 2, 1, bias=False), nn.Tanh()]
    return layers


class Generator(nn.Module):
    """encoder1 → decoder → encoder2; returns (reconstruction, z, ẑ) with z, ẑ of shape B×nz."""

    def __init__(self, size: int, nz: int, nc: int, width: int) -> None:
        super().__init__()
        self.encoder1 = nn.Sequential(*_encoder(size, nz, nc, width))
        self.decoder = nn.Sequential(*_decoder(size, nz, nc, width))
        self.encoder2 = nn.Sequential(*_encoder(size, nz, nc, width))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        z = self.encoder1(x)
        fake = self.decoder(z)
        z_hat = self.encoder2(fake)
        return fake, z.flatten(1), z_hat.flatten(1)


class Discriminator(nn.Module):
    """An encoder with one output; returns (logit B, features of the last hidden layer)."""

    def __init__(self, size: int, nc: int, width: int) -> None:
        super().__init__()
        layers = _encoder(size, 1, nc, width)
        self.features = nn.Sequential(*layers[:-1])
        self.classifier = layers[-1]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f = self.features(x)
        return self.classifier(f).flatten(), f


def weights_init(module: nn.Module, gen: torch.Generator) -> None:
    """The reference's init: conv weights ~ N(0, 0.02), BatchNorm scale ~ N(1, 0.02), shift 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            w = torch.empty(m.weight.shape).normal_(0.0, 0.02, generator=gen)
            with torch.no_grad():
                m.weight.copy_(w)
        elif isinstance(m, nn.BatchNorm2d):
            w = torch.empty(m.weight.shape).normal_(1.0, 0.02, generator=gen)
            with torch.no_grad():
                m.weight.copy_(w)
                m.bias.zero_()


def model_size(h: int, w: int, method: str) -> int:
    """The DCGAN side for ``h``×``w`` images: the next power of two, at least 32."""
    if h != w:
        raise ConfigError(f"{method} needs square images, got {h}×{w}")
    return max(32, 2 ** math.ceil(math.log2(h)))


def to_model_input(x: Tensor, size: int, device) -> Tensor:
    """[0, 1] images → [-1, 1], zero-padded (black) to ``size`` × ``size`` if smaller."""
    x = x.to(device).float()
    pad = size - x.shape[-1]
    if pad:
        x = F.pad(x, (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2))
    return x * 2 - 1


@torch.no_grad()
def refresh_batchnorm(net: nn.Module, batches: Iterable, forward: Callable | None = None) -> None:
    """Precise BatchNorm statistics: reset ``net``'s running mean/var and set them to the
    cumulative average of the batch statistics of one no-grad, train-mode pass over
    ``batches`` (``forward(batch)``, default ``net(batch)``); momenta and mode restored."""
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [m.momentum for m in bns]
    was_training = net.training
    net.train()
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    try:
        for b in batches:
            (forward or net)(b)
    finally:
        for m, mom in zip(bns, momenta):
            m.momentum = mom
        net.train(was_training)


class PicklesWithoutTrainingImages:
    """For the GAN detectors that keep their training images to recompute BatchNorm
    statistics (``precise_bn``): they are kept only while the statistics may still need them
    (weights changed since the last refresh), so a fitted detector pickles without."""

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        if state.get("_bn_fresh") or not self.precise_bn:
            state.pop("_train_x", None)
        return state


class GANomaly(PicklesWithoutTrainingImages, BaseDetector):
    """GANomaly (Akcay et al., ACCV 2018): adversarial autoencoder scored in latent space.

    Score = mean over latent units of (z − ẑ)², z = E1(x), ẑ = E2(G(x)), in eval mode.
    Defaults: loss weights ``w_adv`` = 1, ``w_con`` = 50, ``w_enc`` = 1, Adam lr ``lr_gan``
    = 2e-4, betas (0.5, 0.999), width ``ndf`` = 64, latent size ``latent_dim``, batch size
    ``batch_size``, ``epochs`` epochs, deterministic by the seed. 28×28 images are
    zero-padded to 32×32 (``size_``). Eval-mode BatchNorm statistics are recomputed on the
    training images before scoring (``precise_bn``). After :meth:`fit`: ``netg_`` and
    ``netd_`` (generator, discriminator), ``loss_curve_`` (the per-epoch mean generator
    loss), ``loss_parts_`` (per-epoch dicts of every term: ``g``, ``adv``, ``con``,
    ``enc``, ``d``), ``d_reinits_`` (discriminator resets), ``epoch_seconds_``.
    See the module docstring for the deviations from the paper.
    """

    name = "ganomaly"

    def __init__(self, epochs: int = 20, batch_size: int = 128, latent_dim: int = 32,
                 ndf: int = 64, lr_gan: float = 2e-4, w_adv: float = 1.0, w_con: float = 50.0,
                 w_enc: float = 1.0, precise_bn: bool = True, contamination: float = 0.05,
                 random_state=0, device: str | None = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.ndf = ndf
        self.lr_gan = lr_gan
        self.w_adv = w_adv
        self.w_con = w_con
        self.w_enc = w_enc
        self.precise_bn = precise_bn
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    # --- input mapping ---------------------------------------------------------------
    def _prepare(self, x: Tensor) -> Tensor:
        return to_model_input(x, self.size_, self.device_)

    def _build(self, shape: tuple[int, ...]) -> torch.Generator:
        """The networks, initialised as the reference; returns the generator that also
        re-initialises the discriminator during training."""
        nc, h, w = shape
        self.size_ = model_size(h, w, "GANomaly")
        nz, width = int(self.latent_dim), int(self.ndf)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed_)
            netg, netd = Generator(self.size_, nz, nc, width), Discriminator(self.size_, nc, width)
        init_gen = torch.Generator().manual_seed(self.seed_)
        weights_init(netg, init_gen)
        weights_init(netd, init_gen)
        self.netg_, self.netd_ = netg.to(self.device_), netd.to(self.device_)
        return init_gen

    @torch.no_grad()
    def _refresh_batchnorm(self, chunk: int = 1000) -> None:
        """Recompute the generator's BatchNorm running statistics on the training images.

        "Precise BN": reset the running mean/var and average the batch statistics
        of one no-grad, train-mode pass over the training set (momentum=None), so
        eval mode uses population statistics of the current weights instead of an
        exponential average that is still dominated by its initial value
        (running var = 1) early in training. Training itself only ever uses batch
        statistics, so this never changes the training trajectory.
        """
        refresh_batchnorm(self.netg_, (self._prepare(self._train_x[i: i + chunk])
                                       for i in range(0, len(self._train_x), chunk)))
        self._bn_fresh = True

    # --- training --------------------------------------------------------------------
    def _fit_images(self, x: Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Train for ``epochs`` epochs, calling ``on_epoch(epoch)`` after each."""
        configure_device(self.device_)
        train_x = to_float(x, self.device_)
        init_gen = self._build(tuple(train_x.shape[1:]))
        self._train_x = train_x
        self.loss_curve_, self.loss_parts_, self.epoch_seconds_ = [], [], []
        self.d_reinits_ = 0
        opts = tuple(torch.optim.Adam(net.parameters(), lr=float(self.lr_gan), betas=(0.5, 0.999))
                     for net in (self.netg_, self.netd_))
        order_gen = torch.Generator().manual_seed(10_000 + self.seed_)
        n, bs = len(train_x), int(self.batch_size)
        for epoch in range(1, int(self.epochs) + 1):
            t0 = time.perf_counter()
            self.netg_.train()
            self.netd_.train()
            self._bn_fresh = False
            sums, seen = dict.fromkeys(("g", "adv", "con", "enc", "d"), 0.0), 0
            order = torch.randperm(n, generator=order_gen).to(train_x.device)
            for i in range(0, n, bs):
                xb = self._prepare(train_x[order[i: i + bs]])
                if len(xb) < 2 and n >= 2:  # BatchNorm needs two images: skip a lone last one
                    continue
                for k, v in self._step(xb, *opts, init_gen).items():
                    sums[k] += v.item() * len(xb)
                seen += len(xb)
            parts = {k: v / max(seen, 1) for k, v in sums.items()}
            if not all(math.isfinite(v) for v in parts.values()):
                raise TrainingDivergedError(f"GANomaly loss became non-finite at epoch {epoch}: "
                                            f"{parts}; try a lower lr_gan (lr_gan={self.lr_gan})")
            self.loss_parts_.append(parts)
            self.loss_curve_.append(parts["g"])
            self.epoch_seconds_.append(time.perf_counter() - t0)
            if on_epoch is not None:
                on_epoch(epoch)

    def _step(self, x: Tensor, opt_g, opt_d, init_gen: torch.Generator) -> dict[str, Tensor]:
        """One generator then one discriminator step on a batch; the batch's loss terms."""
        netg, netd = self.netg_, self.netd_
        fake, z, z_hat = netg(x)
        # generator step
        logit_real, feat_real = netd(x)
        _, feat_fake = netd(fake)
        adv = (feat_real.detach() - feat_fake).pow(2).mean()
        con = (fake - x).abs().mean()
        enc = (z_hat - z).pow(2).mean()
        err_g = float(self.w_adv) * adv + float(self.w_con) * con + float(self.w_enc) * enc
        opt_g.zero_grad(set_to_none=True)
        err_g.backward()
        opt_g.step()
        # discriminator step
        logit_fake, _ = netd(fake.detach())
        err_d = 0.5 * (
            F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))
            + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake)))
        opt_d.zero_grad(set_to_none=True)
        err_d.backward()
        opt_d.step()
        if err_d.item() < 1e-5:
            weights_init(netd, init_gen)
            self.d_reinits_ += 1
        return {"g": err_g, "adv": adv, "con": con, "enc": enc, "d": err_d}

    # --- scoring ---------------------------------------------------------------------
    @torch.no_grad()
    def _score_images(self, x: Tensor, chunk: int = 1000) -> np.ndarray:
        """Mean squared distance between z and ẑ per image (eval mode), shape (N,)."""
        x = to_float(x, self.device_)
        if self.precise_bn and not self._bn_fresh:
            self._refresh_batchnorm()
        was_training = self.netg_.training
        self.netg_.eval()
        try:
            parts = []
            for i in range(0, len(x), chunk):
                _, z, z_hat = self.netg_(self._prepare(x[i: i + chunk]))
                parts.append((z - z_hat).pow(2).mean(1).double().cpu())
        finally:
            self.netg_.train(was_training)
        return torch.cat(parts).numpy() if parts else np.zeros(0)
