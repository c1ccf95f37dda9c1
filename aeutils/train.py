"""Training: K one-class autoencoders at once, evaluated at checkpoint epochs.

One loop serves a single model (K = 1) and a batched group (K > 1): members
share an architecture, loss and optimiser settings but have their own data,
seed, epoch count and checkpoints. Data stay on the device as uint8 tensors
and are indexed per batch, with no per-sample Python and no DataLoader.

Members with fewer images finish their epoch earlier: their padded slots carry
zero weight and a masked Adam leaves their weights and moments untouched on
steps where they have no data. Member k therefore follows exactly the
trajectory of the same model trained alone (tested), only faster.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .config import RunConfig
from .data import Split
from .losses import per_sample_loss
from .models import build_model

Tensor = torch.Tensor


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


def pick_device(preference: str | None = None) -> torch.device:
    """``preference`` or ``AEUTILS_DEVICE`` if set, else CUDA, then MPS, then CPU."""
    pref = preference or os.environ.get("AEUTILS_DEVICE")
    if pref:
        return torch.device(pref)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def configure_device(device: torch.device) -> None:
    """Per-device speed settings that do not change results beyond float noise.

    CPU: flush denormals to zero. Adam's second moments of the weights fed by
    always-black MNIST pixels underflow into denormal floats, and x86 arithmetic
    on denormals is ~100× slower: measured here, one MNIST epoch went from
    ~9 s to 0.18 s. (Process-wide setting.)
    CUDA: TF32 matmuls.
    """
    if device.type == "cpu":
        torch.set_flush_denormal(True)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


class MaskedAdam:
    """Adam (as ``torch.optim.Adam``, no weight decay) over parameters with a leading
    model dimension K, updating only the members marked active at each step, each
    with its own step count for the bias corrections."""

    def __init__(self, params: Sequence[nn.Parameter], lr: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        k = self.params[0].shape[0]
        self.t = torch.zeros(k, device=self.params[0].device, dtype=self.params[0].dtype)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, active: Tensor) -> None:
        a = active.to(self.t.dtype)
        self.t += a
        t = self.t.clamp(min=1)
        step_size = self.lr * a / (1 - self.b1 ** t)
        inv_sqrt_bc2 = 1 / torch.sqrt(1 - self.b2 ** t)
        for p, m, v in zip(self.params, self.m, self.v):
            shape = (-1,) + (1,) * (p.dim() - 1)
            av = a.view(shape)
            g = p.grad
            m.lerp_(g, (1 - self.b1) * av)
            v.lerp_(g * g, (1 - self.b2) * av)
            denom = (v.sqrt() * inv_sqrt_bc2.view(shape)).add_(self.eps)
            p.addcdiv_(m * step_size.view(shape), denom, value=-1.0)


def _stack_padded(xs: Sequence[Tensor], device) -> Tensor:
    """K uint8 image sets → one (K, N_max, C, H, W) device tensor (zeros pad)."""
    if all(x is xs[0] for x in xs):
        return xs[0].to(device).unsqueeze(0).expand(len(xs), *xs[0].shape)
    n = max(len(x) for x in xs)
    out = torch.zeros((len(xs), n, *xs[0].shape[1:]), dtype=xs[0].dtype, device=device)
    for k, x in enumerate(xs):
        out[k, : len(x)] = x.to(device)
    return out


@torch.no_grad()
def score_images(model: nn.Module, loss: str, xs: Sequence[Tensor], device,
                 chunk: int = 2000) -> list[np.ndarray]:
    """Per-image anomaly scores (the per-sample loss) of each member on its own images.

    ``xs`` is a list of K uint8 tensors; when all K are the same tensor (a shared
    test set) it is broadcast, not copied. VAE scores use z = μ (eval mode), so
    they are deterministic, and leave the KL term out: the score is the
    reconstruction error.
    """
    was_training = model.training
    model.eval()
    packed = _stack_padded(xs, device)
    parts = []
    for i in range(0, packed.shape[1], chunk):
        xb = packed[:, i: i + chunk].float().div_(255)
        recon, _ = model(xb)
        parts.append(per_sample_loss(loss, recon, xb).float().cpu())
    model.train(was_training)
    full = torch.cat(parts, dim=1).numpy()
    return [full[k, : len(x)] for k, x in enumerate(xs)]


CheckpointFn = Callable[[int, list[int], nn.Module, list[dict]], None]


def train_autoencoders(configs: Sequence[RunConfig], splits: Sequence[Split],
                       device: torch.device | None = None,
                       on_checkpoint: CheckpointFn | None = None,
                       progress=None) -> nn.Module:
    """Train one autoencoder per config (all sharing model, loss, sizes and optimiser).

    ``on_checkpoint(epoch, members, model, infos)`` is called after every epoch
    that is a checkpoint (``eval_epochs``) of at least one member; ``members``
    lists those, and ``infos[k]`` holds member k's per-epoch training losses so
    far and its share of the training time (the group's time / K).
    ``progress`` is an optional tqdm bar advanced by one per member-epoch.
    Returns the trained ensemble.
    """
    c0 = configs[0]
    for c in configs:
        if group_signature(c) != group_signature(c0):
            raise ValueError("configs trained together must share model, loss, sizes and optimiser")
    device = device or pick_device()
    configure_device(device)
    k_models = len(configs)
    shape = tuple(splits[0].train_x.shape[1:])
    model = build_model(c0.model, shape, [c.seed for c in configs], c0.hidden, c0.latent_dim)
    model.to(device).train()
    opt = MaskedAdam(list(model.parameters()), lr=c0.lr)
    gens = [torch.Generator().manual_seed(10_000 + c.seed) for c in configs]  # order & noise
    data = _stack_padded([s.train_x for s in splits], device)
    counts = [len(s.train_x) for s in splits]
    epochs = torch.tensor([c.epochs for c in configs], device=device)
    bs, max_epochs = c0.batch_size, max(c.epochs for c in configs)
    steps = math.ceil(max(counts) / bs)
    rows = torch.arange(k_models, device=device).unsqueeze(1)
    is_vae, amp = c0.model == "vae", _autocast(device)
    history: list[list[float]] = [[] for _ in configs]
    train_seconds = 0.0
    for epoch in range(1, max_epochs + 1):
        t0 = time.perf_counter()
        order = torch.full((k_models, steps * bs), -1, dtype=torch.long)
        for k, (g, n) in enumerate(zip(gens, counts)):
            order[k, :n] = torch.randperm(n, generator=g)
        order = order.to(device)
        live = epoch <= epochs
        loss_sum = torch.zeros(k_models, device=device)
        weight_sum = torch.zeros(k_models, device=device)
        for s in range(steps):
            idx = order[:, s * bs: (s + 1) * bs]
            w = (idx >= 0).float()
            xb = data[rows, idx.clamp(min=0)].float().div_(255)
            with amp:
                if is_vae:  # member k draws noise only on its own steps: same stream as alone
                    eps = torch.stack([torch.randn(bs, c0.latent_dim, generator=g) if s * bs < n
                                       else torch.zeros(bs, c0.latent_dim)
                                       for g, n in zip(gens, counts)])
                    recon, kl = model(xb, eps=eps.to(device))
                else:
                    recon, kl = model(xb)
            per = per_sample_loss(c0.loss, recon.float(), xb)
            if kl is not None:
                per = per + kl.float()
            per_model = (per * w).sum(1)
            opt.zero_grad()
            (per_model / w.sum(1).clamp(min=1)).sum().backward()
            opt.step(live & (w.sum(1) > 0))
            loss_sum += per_model.detach()
            weight_sum += w.sum(1)
        mean_loss = (loss_sum / weight_sum.clamp(min=1)).cpu().tolist()
        train_seconds += time.perf_counter() - t0
        for k, c in enumerate(configs):
            if epoch > c.epochs:
                continue
            if not math.isfinite(mean_loss[k]):
                raise TrainingDivergedError(
                    f"loss became {mean_loss[k]} at epoch {epoch} for {describe(c)}; "
                    f"try a lower learning rate (lr={c.lr})")
            history[k].append(mean_loss[k])
        if progress is not None:
            progress.update(int(live.sum()))
        members = [k for k, c in enumerate(configs) if epoch in c.eval_epochs]
        if on_checkpoint is not None and members:
            infos = [{"loss_curve": list(h), "train_seconds": train_seconds / k_models}
                     for h in history]
            on_checkpoint(epoch, members, model, infos)
    return model


def _autocast(device: torch.device):
    """bf16 autocast on CUDA when ``AEUTILS_AMP=bf16``; otherwise a no-op context."""
    if device.type == "cuda" and os.environ.get("AEUTILS_AMP", "") == "bf16":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


def group_signature(c: RunConfig) -> tuple:
    """Configs with equal signatures can be trained as one batched ensemble."""
    return (c.dataset, c.model, c.loss, c.hidden, c.latent_dim, c.lr, c.batch_size, c.extra)


def describe(c: RunConfig) -> str:
    return (f"{c.dataset} {c.model}/{c.loss} class {c.normal_class} {c.protocol} "
            f"contamination {c.contamination:g}% seed {c.seed}")


def member_state(model: nn.Module, k: int) -> dict[str, Tensor]:
    """Weights of ensemble member k, as a K = 1 state dict."""
    return {n: p[k: k + 1].detach().cpu().clone() for n, p in model.state_dict().items()}
