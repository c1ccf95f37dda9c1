"""The thesis's three autoencoders, written as *ensembles* of K independent models.

Every layer holds K sets of weights with a leading model dimension and runs them
in one batched kernel (``baddbmm`` for dense layers, grouped convolutions for
conv layers). K = 1 is an ordinary single model; K > 1 trains, e.g., the ten
one-class models of a grid row at once with no per-model Python. Member k is
initialised from its own seed, so it is identical to a K = 1 model built with
that seed: batching changes speed, not results.

Inputs are K×B×C×H×W float tensors in [0, 1]; every model is an
:class:`EnsembleAutoencoder`: ``model(x, noise)`` returns ``(reconstruction, penalty)``,
``penalty`` being its own per-sample loss term (the VAE's KL divergence, K×B) or ``None``,
and :meth:`EnsembleAutoencoder.noise` draws what a stochastic model needs for one
training step. A model's data traits (the image sides it needs, the hidden sizes it
takes) are registered with it in :mod:`aeutils.registry` and checked by
:func:`build_model`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..config import check_hidden, check_shape
from ..registry import AUTOENCODERS, DEFAULT_HIDDEN, choice_error, resolve
from .losses import kl_divergence

Tensor = torch.Tensor
Shape = tuple[int, int, int]


def _uniform(gens: Sequence[torch.Generator], shape: tuple[int, ...], bound: float) -> Tensor:
    """K stacked tensors, member k drawn from generator k (PyTorch's default init law)."""
    return torch.stack([(torch.rand(shape, generator=g) * 2 - 1) * bound for g in gens])


class EnsembleLinear(nn.Module):
    """K dense layers ``fin → fout``: x (K, B, fin) → (K, B, fout)."""

    def __init__(self, gens: Sequence[torch.Generator], fin: int, fout: int) -> None:
        super().__init__()
        bound = 1 / math.sqrt(fin)  # same U(-1/√fin, 1/√fin) law as nn.Linear
        self.weight = nn.Parameter(_uniform(gens, (fin, fout), bound))
        self.bias = nn.Parameter(_uniform(gens, (1, fout), bound))

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleConv2d(nn.Module):
    """K conv layers as one grouped convolution on a (B, K·C, H, W) layout."""

    def __init__(self, gens, cin: int, cout: int, kernel: int = 3, stride: int = 2,
                 padding: int = 1, transpose: bool = False, output_padding: int = 0) -> None:
        super().__init__()
        bound = 1 / math.sqrt(cin * kernel * kernel)
        wshape = (cin, cout, kernel, kernel) if transpose else (cout, cin, kernel, kernel)
        self.weight = nn.Parameter(_uniform(gens, wshape, bound))
        self.bias = nn.Parameter(_uniform(gens, (cout,), bound))
        self.k, self.transpose = len(gens), transpose
        self.stride, self.padding, self.output_padding = stride, padding, output_padding

    def forward(self, x: Tensor) -> Tensor:
        w = self.weight.flatten(0, 1)  # (K·a, b, kh, kw): groups=K splits it back per member
        b = self.bias.flatten()
        if self.transpose:
            return F.conv_transpose2d(x, w, b, self.stride, self.padding, self.output_padding,
                                      groups=self.k)
        return F.conv2d(x, w, b, self.stride, self.padding, groups=self.k)


def _mlp(gens, dims: Sequence[int]) -> nn.ModuleList:
    return nn.ModuleList(EnsembleLinear(gens, a, b) for a, b in zip(dims[:-1], dims[1:]))


def _relu_stack(layers: nn.ModuleList, h: Tensor, last_relu: bool = True) -> Tensor:
    for i, layer in enumerate(layers):
        h = layer(h)
        if last_relu or i < len(layers) - 1:
            h = torch.relu(h)
    return h


class EnsembleAutoencoder(nn.Module):
    """What the training loop and the scorer know of a model: ``forward(x, noise=None)``
    → ``(reconstruction, penalty or None)`` and :meth:`noise`. The training step asks the
    model for its noise and adds its penalty, so a stochastic or regularised model brings
    its own rules instead of the loop naming it."""

    def noise(self, gens: Sequence[torch.Generator], active: Sequence[bool],
              batch: int) -> Tensor | None:
        """The random draws of one training step of ``batch`` images per member, member k
        drawing from ``gens[k]`` only when ``active[k]`` (it has images at this step), so a
        member's stream is the one it would draw alone. None: a deterministic model."""
        return None


class BasicAE(EnsembleAutoencoder):
    """Fully connected autoencoder (the thesis's "basic" autoencoder).

    D → hidden… → latent → …hidden → D, ReLU after every layer but the last,
    sigmoid output. With the defaults on MNIST: 784-128-32-128-784 (4 layers,
    ≈ 209 k weights).
    """

    def __init__(self, shape: Shape, gens, hidden: Sequence[int] = (128,), latent_dim: int = 32):
        super().__init__()
        self.shape, d = shape, math.prod(shape)
        self.encoder = _mlp(gens, [d, *hidden, latent_dim])
        self.decoder = _mlp(gens, [latent_dim, *reversed(hidden), d])

    def forward(self, x: Tensor, noise: None = None) -> tuple[Tensor, None]:
        k, b = x.shape[:2]
        z = _relu_stack(self.encoder, x.reshape(k, b, -1))
        out = torch.sigmoid(_relu_stack(self.decoder, z, last_relu=False))
        return out.view(k, b, *self.shape), None


class ConvAE(EnsembleAutoencoder):
    """Convolutional autoencoder.

    Encoder: conv 3×3 stride 2 (C→c1), conv 3×3 stride 2 (c1→c2), dense → latent.
    Decoder mirrors it with a dense layer and two 3×3 stride-2 transposed convs,
    sigmoid output. The two stride-2 layers are why H and W must be divisible by 4
    (28×28 → 7×7, 32×32 → 8×8) and why ``hidden`` is two channel counts: the traits
    registered with ``conv`` and checked by :func:`build_model`.
    ReLU between layers; the latent code is linear.
    """

    def __init__(self, shape: Shape, gens, hidden: Sequence[int] = (32, 64), latent_dim: int = 32):
        super().__init__()
        c, h, w = shape
        c1, c2 = hidden
        self.shape, self.k, self.inner = shape, len(gens), (c2, h // 4, w // 4)
        flat = math.prod(self.inner)
        self.enc_convs = nn.ModuleList([EnsembleConv2d(gens, c, c1), EnsembleConv2d(gens, c1, c2)])
        self.enc_fc = EnsembleLinear(gens, flat, latent_dim)
        self.dec_fc = EnsembleLinear(gens, latent_dim, flat)
        self.dec_convs = nn.ModuleList([
            EnsembleConv2d(gens, c2, c1, transpose=True, output_padding=1),
            EnsembleConv2d(gens, c1, c, transpose=True, output_padding=1),
        ])

    def forward(self, x: Tensor, noise: None = None) -> tuple[Tensor, None]:
        k, b = x.shape[:2]
        h = x.transpose(0, 1).reshape(b, k * self.shape[0], *self.shape[1:])
        for conv in self.enc_convs:
            h = torch.relu(conv(h))
        z = self.enc_fc(h.reshape(b, k, -1).transpose(0, 1))
        h = torch.relu(self.dec_fc(z)).transpose(0, 1).reshape(b, k * self.inner[0], *self.inner[1:])
        h = torch.relu(self.dec_convs[0](h))
        out = torch.sigmoid(self.dec_convs[1](h))
        return out.view(b, k, *self.shape).transpose(0, 1), None


class VAE(EnsembleAutoencoder):
    """Variational autoencoder, fully connected, with the reparameterisation trick.

    Encoder D → hidden… (ReLU) → (μ, log σ²) of size latent; z = μ + σ·ε with
    ε ~ N(0, I) (:meth:`noise`) while training and z = μ in eval mode, so scores are
    deterministic. Decoder latent → …hidden (ReLU) → D, sigmoid. Its penalty is the
    per-sample KL divergence divided by D, which training adds to the reconstruction
    loss (the ELBO scaled to a per-pixel loss) and scoring leaves out.
    """

    def __init__(self, shape: Shape, gens, hidden: Sequence[int] = (128,), latent_dim: int = 32):
        super().__init__()
        self.shape, d, self.latent_dim = shape, math.prod(shape), latent_dim
        self.encoder = _mlp(gens, [d, *hidden])
        self.head = EnsembleLinear(gens, hidden[-1], 2 * latent_dim)
        self.decoder = _mlp(gens, [latent_dim, *reversed(hidden), d])

    def noise(self, gens: Sequence[torch.Generator], active: Sequence[bool],
              batch: int) -> Tensor:
        """ε ~ N(0, I), K×batch×latent: member k's from its own generator, zeros (and no
        draw) where it has no images at this step."""
        return torch.stack([torch.randn(batch, self.latent_dim, generator=g) if on
                            else torch.zeros(batch, self.latent_dim)
                            for g, on in zip(gens, active)])

    def forward(self, x: Tensor, noise: Tensor | None = None) -> tuple[Tensor, Tensor]:
        k, b = x.shape[:2]
        mu, logvar = self.head(_relu_stack(self.encoder, x.reshape(k, b, -1))).chunk(2, dim=-1)
        z = mu
        if self.training:
            eps = torch.randn_like(mu) if noise is None else noise
            z = mu + torch.exp(0.5 * logvar) * eps
        out = torch.sigmoid(_relu_stack(self.decoder, z, last_relu=False))
        return out.view(k, b, *self.shape), kl_divergence(mu, logvar) / math.prod(self.shape)


# The autoencoders are registered by name in aeutils.registry (one registration each);
# MODELS is that dict, re-exported here for code that lists the models next to build_model.
MODELS = AUTOENCODERS


def build_model(name: str, shape: Sequence[int], seeds: Sequence[int] = (0,),
                hidden: Sequence[int] | None = None, latent_dim: int = 32) -> EnsembleAutoencoder:
    """An ensemble of ``len(seeds)`` autoencoders ``name`` for images of ``shape`` (C, H, W).

    ``hidden`` is the hidden widths for ``basic``/``vae`` and the two channel
    counts for ``conv`` (default per model in :data:`DEFAULT_HIDDEN`). A shape or hidden
    sizes the model's registered traits refuse raise one-line ConfigErrors.
    """
    if name not in AUTOENCODERS:
        raise choice_error("autoencoder", name, AUTOENCODERS)
    check_hidden(name, tuple(hidden or ()))
    check_shape(name, None, tuple(shape))
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    hidden = tuple(hidden) if hidden else DEFAULT_HIDDEN[name]
    return resolve(AUTOENCODERS[name])(tuple(shape), gens, hidden=hidden, latent_dim=latent_dim)


def n_parameters(model: nn.Module) -> int:
    """Trainable parameters of one member of the ensemble."""
    total = sum(p.numel() for p in model.parameters())
    k = next(model.parameters()).shape[0]
    return total // k
