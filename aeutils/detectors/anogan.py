"""AnoGAN (Schlegl, Seeböck, Waldstein, Schmidt-Erfurth & Langs, IPMI 2017).

A DCGAN is trained on normal images only. A test image x is scored by searching the
latent space for the z whose generated image G(z) matches it best, with the networks
frozen; an image the GAN cannot produce stays far from every G(z).

**Search loss and score** (the paper): per image,
L(z) = (1 − λ)·R(z) + λ·D(z), the residual R(z) = Σ|x − G(z)| (sum over pixels) and the
discrimination loss D(z) = Σ|f(x) − f(G(z))| on an intermediate feature layer f of the
discriminator (feature matching, which the paper uses instead of the discriminator's
output), λ = 0.1 (``lam``), Γ = 500 search steps (``iterations``). The anomaly score is
that loss at the last step, A(x) = (1 − λ)·R(x) + λ·D(x). The AnoGAN baseline in
Zenati et al.'s code (github.com/houssamzenati/Efficient-GAN-Anomaly-Detection,
``gan/run_mnist.py``, the EGBAD paper's comparison) scores the same way: L1 norms, weight
0.1 on the feature term (its README: "as in the original AnoGAN paper"), 500 steps, the
loss after the last step. How the GANomaly paper ran the AnoGAN whose numbers the thesis
quotes could not be checked here (its text was not among the sources we could reach).

Choices, with their source:

- **Networks** (GANomaly's re-implementation setting): generator = GANomaly's DCGAN
  decoder (z → image), discriminator = GANomaly's DCGAN discriminator whose last hidden
  layer is f (the paper's f is "an intermediate layer"; GANomaly's feature-matching layer).
  Width ``ndf`` = 64, latent size ``latent_dim`` (project default 32; DCGAN and
  the GANomaly paper use 100), batch size ``batch_size``.
- **Training**: the standard DCGAN game (the paper trains a DCGAN): per batch one
  discriminator step on BCE(real → 1) + BCE(G(z) → 0), then one generator step on
  BCE(G(z) → 1) with the same z (the non-saturating loss), Adam lr ``lr_gan`` = 2e-4,
  betas (0.5, 0.999) (DCGAN; GANomaly's setting), ``epochs`` epochs (GANomaly's
  comparison: 15). Shared with EGBAD in :mod:`aeutils.detectors.gan`.
- **Search optimiser** (reference code; the paper, as far as we could check, only says
  z is updated by back-propagation, and a secondary description says SGD with momentum):
  Adam (betas (0.9, 0.999)) at lr ``lr_search`` = 0.01 for
  the first 201 updates, lr/10 up to update 301 and lr/20 after (Zenati et al.'s
  piecewise schedule 0.01 / 0.001 / 0.0005 at steps 200 and 300). The schedule is by
  step number, so the loss after k steps of a longer search is exactly the score of a
  k-step search: :meth:`AnoGAN.search_losses` records several step counts in one search.
- **Initial z** (our choice; the paper draws z₁ at random, Zenati's code draws a truncated
  normal per batch slot): z₁ ~ N(0, I) from a generator seeded by the seed (``random_state``) and
  the image's bytes, so each image's search, and so its score, is a function of the
  image alone: the same in any batch, chunk or order.
- **Batched search** (our choice, for speed; Zenati's code batches 100 images): a whole
  chunk of ``search_chunk`` images is optimised at once, one z per image. The loss
  summed over the chunk gives each z its own image's gradient, and Adam is elementwise,
  so each image's search is the one it would have alone (up to float rounding).
- **Frozen, eval mode** (our choice, as for GANomaly): weights never change during the
  search (``requires_grad`` off) and BatchNorm uses precise population statistics
  (``precise_bn``; :mod:`aeutils.detectors.gan`); the reference code searches with the
  weights' moving averages (EMA decay 0.999), which we do not keep: after GANomaly's 15
  epochs of one MNIST class (about 630 steps) such an average still holds about half of
  the initial random weights (0.999⁶³⁰ ≈ 0.53).
- **Images**: [0, 1] mapped to [-1, 1]; 28×28 zero-padded to 32×32, and the residual is
  summed over the padded image, as GANomaly's contextual loss (:mod:`.ganomaly`).
- **Memory layout** (speed only): on a CPU the search runs the networks and images in
  channels-last layout (:attr:`AnoGAN.cpu_search_layout`), which
  ``benchmarks/bench_baselines.py`` times against the default layout in the same run; the
  weights return to the default layout afterwards. Scores agree up to float rounding
  (``tests/test_baselines.py``), so the layout is not an option and not in the key.
- **Search precision** (our choice, for speed; an option, so in the key when set):
  ``search_precision`` = ``None`` (the default, as every run stored before the option
  existed) or ``"fp32"`` runs the whole search in float32; ``"bf16"`` runs the networks'
  forward and backward passes of each step under bfloat16 autocast (z and Adam stay
  float32), 1.7× faster than float32 with 2 threads on a CPU with bfloat16 instructions
  (``benchmarks/bench_baselines.py`` times both in one run). The recorded score is always
  the float32 loss at the z the search reached, so the precision changes the path of the
  search, not how its end point is scored; ``studies/anogan_precision.py`` measures what
  that path change does to the AUC.

Cost: a search is ``iterations`` forward and backward passes of both networks per test
image (and ``fit`` also scores its training images to set the threshold; the grid does
not). ``search_chunk`` and the iteration count are options, so they enter the results
key: runs at different iteration counts are different runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.datasets import to_float
from ..registry import ConfigError, choice_error
from .gan import GANDetector
from .ganomaly import Discriminator, _decoder, refresh_batchnorm

Tensor = torch.Tensor
# The search's arithmetic by option value (the names of aeutils.registry.PRECISIONS).
SEARCH_PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}
# Zenati et al.'s search schedule: lr × 1 up to update 200, × 0.1 up to 300, × 0.05 after.
LR_STEPS = ((200, 1.0), (300, 0.1))
LR_LAST = 0.05


@contextmanager
def memory_layout(nets: Iterable[nn.Module], layout: torch.memory_format) -> Iterator[None]:
    """The networks' weights in ``layout`` inside the block, the default layout after."""
    nets = list(nets)
    for net in nets:
        net.to(memory_format=layout)
    try:
        yield
    finally:
        for net in nets:
            net.to(memory_format=torch.contiguous_format)


def search_lr_factor(update: int) -> float:
    """The search learning rate's factor at (0-based) update ``update``."""
    for last, factor in LR_STEPS:
        if update <= last:
            return factor
    return LR_LAST


class AnoGAN(GANDetector):
    """AnoGAN (Schlegl et al., IPMI 2017): a DCGAN, scored by a latent search per image.

    Score = (1 − λ)·Σ|x − G(z)| + λ·Σ|f(x) − f(G(z))| after ``iterations`` Adam steps on
    z (frozen networks, eval mode). Parameters: ``ndf`` 64, ``lr_gan`` 2e-4,
    ``iterations`` 500, ``lam`` 0.1, ``lr_search`` 0.01 (Zenati et al.'s schedule),
    ``search_chunk`` 1000 images per batched search, ``search_precision`` None (float32),
    ``precise_bn``. Deterministic by the seed (``random_state``); see the module docstring
    for every choice and its source.
    """

    name = "anogan"
    label = "AnoGAN"
    # Convolutions on a CPU run faster on channels-last tensors (bench_baselines.py times
    # both); elsewhere the default layout, as nothing was measured there.
    cpu_search_layout: torch.memory_format = torch.channels_last
    # The option its scoring cost is linear in: aeutils.experiments.estimate times a shorter
    # search and scales it.
    search_steps_option = "iterations"

    def __init__(self, epochs: int = 20, batch_size: int = 128, latent_dim: int = 32,
                 ndf: int = 64, lr_gan: float = 2e-4, precise_bn: bool = True,
                 iterations: int = 500, lam: float = 0.1, lr_search: float = 0.01,
                 search_chunk: int = 1000, search_precision: str | None = None,
                 contamination: float = 0.05, random_state=0,
                 device: str | None = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.ndf = ndf
        self.lr_gan = lr_gan
        self.precise_bn = precise_bn
        self.iterations = iterations
        self.lam = lam
        self.lr_search = lr_search
        self.search_chunk = search_chunk
        self.search_precision = search_precision
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _check_params(self) -> None:
        if int(self.iterations) < 1 or int(self.search_chunk) < 1:
            raise ConfigError(f"AnoGAN's iterations and search_chunk must be at least 1, got "
                              f"{self.iterations} and {self.search_chunk}")
        if not 0 <= float(self.lam) <= 1:
            raise ConfigError(f"AnoGAN's lam must be in [0, 1], got {self.lam}")
        if self.search_precision is not None and self.search_precision not in SEARCH_PRECISIONS:
            raise choice_error("AnoGAN search_precision", self.search_precision,
                               SEARCH_PRECISIONS)

    def _build_nets(self, nc: int) -> dict[str, nn.Module]:
        nz, width = int(self.latent_dim), int(self.ndf)
        return {"g": nn.Sequential(*_decoder(self.size_, nz, nc, width)),
                "d": Discriminator(self.size_, nc, width)}

    def _step(self, x: Tensor, opts: dict) -> dict[str, Tensor]:
        """One discriminator then one generator step (the DCGAN game) on a batch."""
        g, d = self.nets_["g"], self.nets_["d"]
        fake = g(self._noise(len(x), self._noise_gen))
        logit_real, _ = d(x)
        logit_fake, _ = d(fake.detach())
        err_d = (F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))
                 + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake)))
        opts["d"].zero_grad(set_to_none=True)
        err_d.backward()
        opts["d"].step()
        logit_fake, _ = d(fake)
        err_g = F.binary_cross_entropy_with_logits(logit_fake, torch.ones_like(logit_fake))
        opts["g"].zero_grad(set_to_none=True)
        err_g.backward()
        opts["g"].step()
        return {"g": err_g, "d": err_d}

    def _refresh_statistics(self) -> None:
        refresh_batchnorm(self.nets_["g"], self._prior_batches())
        refresh_batchnorm(self.nets_["d"], self._train_batches())

    # --- the latent search ------------------------------------------------------------
    def _initial_z(self, x: Tensor) -> Tensor:
        """z₁ per image, drawn from a generator seeded by the seed and the image's bytes."""
        nz, rows = int(self.latent_dim), []
        salt = int(self.seed_).to_bytes(8, "little", signed=True)
        for img in x.cpu().numpy():
            digest = hashlib.blake2b(img.tobytes(), digest_size=8, salt=salt).digest()
            gen = torch.Generator().manual_seed(int.from_bytes(digest, "little") >> 1)
            rows.append(torch.randn(nz, generator=gen))
        return torch.stack(rows).view(len(x), nz, 1, 1).to(self.device_)

    def _search(self, xp: Tensor, z: Tensor, record: Sequence[int]) -> dict[int, Tensor]:
        """Adam on one z per image (the chunk at once); the per-image float32 loss after
        each step count in ``record``."""
        lr = float(self.lr_search)
        dtype = SEARCH_PRECISIONS[self.search_precision or "fp32"]
        with torch.no_grad():
            feat_x = self.nets_["d"](xp)[1].flatten(1)
        z = z.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        out: dict[int, Tensor] = {}
        last = max(record)
        for step in range(last + 1):
            if step in record and dtype is not None:  # the end point scored in float32
                with torch.no_grad():
                    out[step] = self._search_loss(xp, feat_x, z).double().cpu()
            with torch.enable_grad(), torch.autocast(self.device_.type, dtype=dtype,
                                                     enabled=dtype is not None):
                loss = self._search_loss(xp, feat_x, z)
            if step in record and dtype is None:
                out[step] = loss.detach().double().cpu()
            if step == last:
                break
            opt.param_groups[0]["lr"] = lr * search_lr_factor(step)
            opt.zero_grad(set_to_none=True)
            loss.float().sum().backward()
            opt.step()
        return out

    def _search_loss(self, xp: Tensor, feat_x: Tensor, z: Tensor) -> Tensor:
        """(1 − λ)·Σ|x − G(z)| + λ·Σ|f(x) − f(G(z))| per image."""
        lam = float(self.lam)
        fake = self.nets_["g"](z)
        residual = (xp - fake).abs().flatten(1).sum(1)
        discrimination = (feat_x - self.nets_["d"](fake)[1].flatten(1)).abs().sum(1)
        return (1 - lam) * residual + lam * discrimination

    def _search_losses(self, x: Tensor, record: Sequence[int]) -> dict[int, np.ndarray]:
        record = sorted(set(int(k) for k in record))
        if not record or record[0] < 0:
            raise ConfigError(f"step counts to record must be ≥ 0, got {record}")
        parts: dict[int, list[Tensor]] = {k: [] for k in record}
        layout = (self.cpu_search_layout if self.device_.type == "cpu"
                  else torch.contiguous_format)
        with self._frozen(), memory_layout(self.nets_.values(), layout):
            step = int(self.search_chunk)
            for i in range(0, len(x), step):
                chunk = x[i: i + step]
                xp = self._prepare(to_float(chunk, self.device_)).contiguous(memory_format=layout)
                for k, v in self._search(xp, self._initial_z(chunk), record).items():
                    parts[k].append(v)
        return {k: torch.cat(v).numpy() if v else np.zeros(0) for k, v in parts.items()}

    def search_losses(self, X, iterations: Sequence[int]) -> dict[int, np.ndarray]:
        """The search loss of every image after each step count in ``iterations``, from one
        search of ``max(iterations)`` steps: ``{k: scores (N,)}``, each the score a
        detector with ``iterations=k`` gives (the schedule is by step number)."""
        return self._search_losses(self._images(X), iterations)

    def _score_images(self, x: Tensor) -> np.ndarray:
        """The search loss after ``iterations`` steps per image, float64 (N,)."""
        k = int(self.iterations)
        return self._search_losses(x, (k,))[k]
