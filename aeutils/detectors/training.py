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
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .. import settings
from ..config import RunConfig
from ..data.datasets import Split
from ..errors import TrainingDivergedError  # noqa: F401  (re-exported)
from ..registry import DEFAULT_PRECISION, PRECISIONS, ConfigError, choice_error
from .losses import per_sample_loss, per_sample_score
from .networks import build_model

Tensor = torch.Tensor


# Flush denormals as early as possible: the flag lives in each thread's FP control
# register and OpenMP worker threads copy it from the main thread when the pool is
# created, so setting it here (before the first parallel op, in most programs)
# reaches every thread. See configure_device for why it matters.
torch.set_flush_denormal(True)


def pick_device(preference: str | None = None) -> torch.device:
    """``preference`` or ``AEUTILS_DEVICE`` if set, else CUDA, then MPS, then CPU."""
    pref = preference or settings.get("AEUTILS_DEVICE")
    if pref:
        return _checked_device(pref)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def _checked_device(name: str) -> torch.device:
    """``torch.device(name)`` if it exists on this machine, else a one-line ConfigError."""
    here = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + \
        (["mps"] if _mps_available() else [])
    try:
        dev = torch.device(name)
    except (RuntimeError, ValueError):
        raise ConfigError(f"unknown device {name!r}; valid choices here: {', '.join(here)}") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown device {name!r}; valid choices here: {', '.join(here)}")
    if dev.type not in here:
        raise ConfigError(f"device {name!r} is not available on this machine; valid choices "
                          f"here: {', '.join(here)}")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ConfigError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA "
                          f"device(s)")
    return dev


def configure_device(device: torch.device, precision: str = DEFAULT_PRECISION) -> None:
    """Per-device settings for ``precision`` (:data:`aeutils.registry.PRECISIONS`).

    CPU: flush denormals to zero. Saturated sigmoid outputs (always-black MNIST
    pixels) give gradients and Adam moments that underflow into denormal floats,
    and x86 arithmetic on denormals is ~100× slower: measured here, one MNIST
    epoch of the basic autoencoder went from ~9 s to 0.18 s. (Process-wide.)
    CUDA: TF32 matmuls and convolutions unless ``precision`` is ``fp32-strict``. "fp32"
    keeps TF32 on because every CUDA run stored before precision was a setting trained so
    (process-wide flags, set again by every training and scoring call).
    """
    if precision not in PRECISIONS:
        raise choice_error("precision", precision, PRECISIONS)
    if device.type == "cpu":
        torch.set_flush_denormal(True)
    if device.type == "cuda":
        tf32 = precision != "fp32-strict"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32


def autocast(device: torch.device, precision: str = DEFAULT_PRECISION):
    """The forward pass's context for ``precision``: bfloat16 autocast for ``bf16`` (CPU or
    CUDA), otherwise a no-op context (float32, TF32 as :func:`configure_device` set it)."""
    if precision != "bf16":
        return torch.autocast(device.type, enabled=False)
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"precision 'bf16' runs on cpu or cuda, not {device.type}; valid "
                          f"choices there: {', '.join(p for p in PRECISIONS if p != 'bf16')}")
    return torch.autocast(device.type, dtype=torch.bfloat16)


def _fused_adam_works() -> bool:
    """Whether PyTorch's private fused Adam kernel exists and still means what it did.

    ``torch._fused_adam_`` is not public API: a release may rename it or change its
    signature or semantics. It is tried once on a small problem against the plain
    update; if it is missing, raises, or disagrees, :class:`MaskedAdam` uses the
    public path (ordinary tensor ops) instead.
    """
    fn = getattr(torch, "_fused_adam_", None)
    if fn is None:
        return False
    try:
        g = torch.linspace(-1, 1, 7)
        p, m, v = torch.ones(7), torch.zeros(7), torch.zeros(7)
        steps = [torch.ones(())]
        fn([p], [g], [m], [v], [], steps, lr=0.1, beta1=0.9, beta2=0.999, weight_decay=0.0,
           eps=1e-8, amsgrad=False, maximize=False)
        want = torch.ones(7)
        _plain_adam(want, g, torch.zeros(7), torch.zeros(7), 1, 0.1, (0.9, 0.999), 1e-8)
        return bool(torch.allclose(p, want, rtol=1e-5, atol=1e-7))
    except (RuntimeError, TypeError):
        return False


def _plain_adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, step: int, lr: float,
                betas: tuple[float, float], eps: float) -> None:
    """One Adam update of ``p`` in place (as ``torch.optim.Adam``), public ops only."""
    b1, b2 = betas
    m.mul_(b1).add_(g, alpha=1 - b1)
    v.mul_(b2).addcmul_(g, g, value=1 - b2)
    denom = (v.sqrt() / math.sqrt(1 - b2**step)).add_(eps)
    p.addcdiv_(m, denom, value=-lr / (1 - b1**step))


class MaskedAdam:
    """Adam (as ``torch.optim.Adam``, no weight decay) over parameters with a leading
    model dimension K that updates only the members active at a step, each with
    its own step count for the bias corrections.

    Each member's slice of each parameter is a contiguous view, so the update is
    one call of PyTorch's fused Adam kernel over the active members' views:
    measured here ~50× faster than the same update written as masked tensor ops
    (one pass over memory instead of ~ten). That kernel is private API, so it is
    used only after :func:`_fused_adam_works` checked it; otherwise (or with
    ``fused=False``) each member's views are updated with public tensor ops.
    """

    _fused_ok: bool | None = None

    def __init__(self, params: Sequence[nn.Parameter], lr: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 fused: bool | None = None) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.k = self.params[0].shape[0]
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        dev = self.params[0].device
        self.steps = [[torch.zeros((), device=dev) for _ in range(self.k)] for _ in self.params]
        self.counts = [0] * self.k  # host-side step count per member (public path)
        if fused is None:
            if MaskedAdam._fused_ok is None:
                MaskedAdam._fused_ok = _fused_adam_works()
            fused = MaskedAdam._fused_ok
        self.fused = fused

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        """Moments and per-member step counts (for a group snapshot)."""
        return {"m": self.m, "v": self.v, "steps": [torch.stack(s) for s in self.steps],
                "counts": list(self.counts)}

    @torch.no_grad()
    def load_state_dict(self, state: dict) -> None:
        for mine, saved in ((self.m, state["m"]), (self.v, state["v"])):
            for t, src in zip(mine, saved, strict=True):
                t.copy_(src)
        for per_member, saved in zip(self.steps, state["steps"], strict=True):
            for t, src in zip(per_member, saved, strict=True):
                t.copy_(src)
        self.counts = list(state["counts"])

    @torch.no_grad()
    def step(self, active: Sequence[bool]) -> None:
        """Update the members k with ``active[k]`` true (a host-side list: no device sync)."""
        ks = [k for k in range(self.k) if active[k]]
        if not ks:
            return
        for k in ks:
            self.counts[k] += 1
        if not self.fused:
            for i, p in enumerate(self.params):
                for k in ks:
                    _plain_adam(p[k], p.grad[k], self.m[i][k], self.v[i][k], self.counts[k],
                                self.lr, self.betas, self.eps)
            return
        lists: list[list[Tensor]] = [[], [], [], [], []]
        for i, p in enumerate(self.params):
            for k in ks:
                for dst, t in zip(lists, (p, p.grad, self.m[i], self.v[i])):
                    dst.append(t[k])
                lists[4].append(self.steps[i][k])
        params, grads, ms, vs, steps = lists
        torch._foreach_add_(steps, 1)  # the kernel expects the already-incremented count
        torch._fused_adam_(params, grads, ms, vs, [], steps, lr=self.lr, beta1=self.betas[0],
                           beta2=self.betas[1], weight_decay=0.0, eps=self.eps, amsgrad=False,
                           maximize=False)


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
                 chunk: int = 256, score: str = "error",
                 precision: str = DEFAULT_PRECISION) -> list[np.ndarray]:
    """Per-image anomaly scores of each member on its own images (:func:`per_sample_score`).

    ``xs`` is a list of K uint8 tensors; when all K are the same tensor (a shared
    test set) it is broadcast, not copied. VAE scores use z = μ (eval mode), so
    they are deterministic, and leave the KL term out: the score is the
    reconstruction error. ``chunk`` images per member go through at once: small
    enough that activations stay in cache and in the allocator's reused heap
    (large chunks ran at a third of the training throughput, mostly in page faults).
    ``precision`` as the model was trained (the score itself is computed in float32).
    """
    was_training = model.training
    model.eval()
    device = torch.device(device)
    configure_device(device, precision)
    amp = autocast(device, precision)
    packed = _stack_padded(xs, device)
    parts = []
    for i in range(0, packed.shape[1], chunk):
        xb = packed[:, i: i + chunk].float().div_(255)
        with amp:
            recon, _ = model(xb)
        parts.append(per_sample_score(loss, recon.float(), xb, score).float().cpu())
    model.train(was_training)
    if not parts:  # no member has an image
        return [np.zeros(0, dtype=np.float32) for _ in xs]
    full = torch.cat(parts, dim=1).numpy()
    return [full[k, : len(x)] for k, x in enumerate(xs)]


@torch.no_grad()
def reconstruct_images(model: nn.Module, xs: Sequence[Tensor], device,
                       precision: str = DEFAULT_PRECISION) -> list[np.ndarray]:
    """Each member's reconstructions (uint8 N×C×H×W) of its own few uint8 images."""
    was_training = model.training
    model.eval()
    device = torch.device(device)
    configure_device(device, precision)
    with autocast(device, precision):
        recon, _ = model(_stack_padded(xs, device).float().div_(255))
    recon = recon.float()
    model.train(was_training)
    out = recon.mul(255).round_().clamp_(0, 255).to(torch.uint8).cpu().numpy()
    return [out[k, : len(x)] for k, x in enumerate(xs)]


CheckpointFn = Callable[[int, list[int], nn.Module, list[dict]], None]
EpochFn = Callable[[int, Callable[[], dict]], None]


def train_autoencoders(configs: Sequence[RunConfig], data: Sequence[Split | Tensor],
                       device: torch.device | None = None,
                       on_checkpoint: CheckpointFn | None = None,
                       progress=None, resume: dict | None = None,
                       on_epoch: EpochFn | None = None) -> nn.Module:
    """Train one autoencoder per config (all sharing model, loss, sizes and optimiser) on
    its own training images (``data[k]``: a :class:`~aeutils.data.Split`, or uint8 images).

    ``on_checkpoint(epoch, members, model, infos)`` is called after every epoch
    that is a checkpoint (``eval_epochs``) of at least one member; ``members``
    lists those, and ``infos[k]`` holds member k's per-epoch training losses so
    far and its share of the training time (the group's time / K).
    ``progress`` is an optional tqdm bar advanced by one per member-epoch.
    ``on_epoch(epoch, state)`` is called at the end of every epoch (after its
    checkpoint); ``state()`` returns everything training needs to continue (weights,
    Adam moments, each member's random-number state, losses so far), and passing
    that dict back as ``resume`` continues from the epoch after it, on the same
    trajectory as an uninterrupted run (tested). Returns the trained ensemble.
    """
    c0 = configs[0]
    for c in configs:
        if group_signature(c) != group_signature(c0):
            raise ValueError("configs trained together must share model, loss, sizes and optimiser")
    device = device or pick_device()
    configure_device(device, c0.precision)
    run = _GroupTraining(configs, [d.train_x if isinstance(d, Split) else d for d in data], device)
    if resume is not None:
        run.load(resume, progress)
    for epoch in range(run.first, run.max_epochs + 1):
        run.record(epoch, run.epoch(epoch))
        if progress is not None:
            progress.update(sum(epoch <= c.epochs for c in configs))
        members = [k for k, c in enumerate(configs) if epoch in c.eval_epochs]
        if on_checkpoint is not None and members:
            infos = [{"loss_curve": list(h), "train_seconds": run.train_seconds / len(configs)}
                     for h in run.history]
            on_checkpoint(epoch, members, run.model, infos)
        if on_epoch is not None:
            on_epoch(epoch, lambda e=epoch, t=run.train_seconds: run.state(e, t))
    return run.model


class _GroupTraining:
    """The state of one batched group in training: ensemble, masked Adam, each member's
    random-number generator (order and the model's noise), its padded images and losses
    so far."""

    def __init__(self, configs: Sequence[RunConfig], train_x: Sequence[Tensor], device) -> None:
        c0 = self.c0 = configs[0]
        self.configs, self.device = list(configs), device
        shape = tuple(train_x[0].shape[1:])
        self.model = build_model(c0.model, shape, [c.seed for c in configs], c0.hidden,
                                 c0.latent_dim)
        self.model.to(device).train()
        self.opt = MaskedAdam(list(self.model.parameters()), lr=c0.lr)
        self.gens = [torch.Generator().manual_seed(10_000 + c.seed) for c in configs]
        self.data = _stack_padded(train_x, device)
        self.counts = [len(x) for x in train_x]
        self.max_epochs = max(c.epochs for c in configs)
        self.steps = math.ceil(max(self.counts) / c0.batch_size)
        self.rows = torch.arange(len(configs), device=device).unsqueeze(1)
        self.amp = autocast(device, c0.precision)
        self.history: list[list[float]] = [[] for _ in configs]
        self.train_seconds, self.first = 0.0, 1

    def load(self, resume: dict, progress) -> None:
        """Continue from a saved :meth:`state`."""
        self.model.load_state_dict(resume["model"])
        self.opt.load_state_dict(resume["adam"])
        for g, state in zip(self.gens, resume["generators"], strict=True):
            g.set_state(state)
        self.history = [list(h) for h in resume["history"]]
        self.train_seconds, self.first = resume["train_seconds"], resume["epoch"] + 1
        if progress is not None:
            progress.update(sum(min(resume["epoch"], c.epochs) for c in self.configs))

    def state(self, epoch: int, train_seconds: float) -> dict:
        return {"epoch": epoch, "model": self.model.state_dict(), "adam": self.opt.state_dict(),
                "generators": [g.get_state() for g in self.gens],
                "history": [list(h) for h in self.history], "train_seconds": train_seconds}

    def epoch(self, epoch: int) -> list[float]:
        """One epoch of every member still training; returns each member's mean loss."""
        t0, bs, k_models = time.perf_counter(), self.c0.batch_size, len(self.configs)
        order = torch.full((k_models, self.steps * bs), -1, dtype=torch.long)
        for k, (g, n) in enumerate(zip(self.gens, self.counts)):
            order[k, :n] = torch.randperm(n, generator=g)
        order = order.to(self.device)
        loss_sum = torch.zeros(k_models, device=self.device)
        weight_sum = torch.zeros(k_models, device=self.device)
        for s in range(self.steps):
            idx = order[:, s * bs: (s + 1) * bs]
            w = (idx >= 0).float()
            per_model = self._step(epoch, s, idx, w)
            loss_sum += per_model.detach()
            weight_sum += w.sum(1)
        mean_loss = (loss_sum / weight_sum.clamp(min=1)).cpu().tolist()
        self.train_seconds += time.perf_counter() - t0
        return mean_loss

    def _step(self, epoch: int, s: int, idx: Tensor, w: Tensor) -> Tensor:
        """One optimiser step of the members with images at step ``s``; their summed losses."""
        c0, bs = self.c0, self.c0.batch_size
        xb = self.data[self.rows, idx.clamp(min=0)].float().div_(255)
        with self.amp:  # the model's own noise (the VAE's ε) and penalty (its KL term)
            noise = self.model.noise(self.gens, [s * bs < n for n in self.counts], bs)
            recon, penalty = self.model(xb, None if noise is None else noise.to(self.device))
        per = per_sample_loss(c0.loss, recon.float(), xb)
        if penalty is not None:
            per = per + penalty.float()
        per_model = (per * w).sum(1)
        self.opt.zero_grad()
        (per_model / w.sum(1).clamp(min=1)).sum().backward()
        self.opt.step([s * bs < n and epoch <= c.epochs for n, c in zip(self.counts, self.configs)])
        return per_model

    def record(self, epoch: int, mean_loss: list[float]) -> None:
        """Keep each training member's epoch loss; a non-finite one stops the group."""
        for k, c in enumerate(self.configs):
            if epoch > c.epochs:
                continue
            if not math.isfinite(mean_loss[k]):
                raise TrainingDivergedError(
                    f"loss became {mean_loss[k]} at epoch {epoch} for {describe(c)}; "
                    f"try a lower learning rate (lr={c.lr})")
            self.history[k].append(mean_loss[k])


def group_signature(c: RunConfig) -> tuple:
    """Configs with equal signatures can be trained as one batched ensemble. A precision
    other than the default is appended, so the default's signature (which orders groups
    and deals shards) is what it was before precision was a setting."""
    sig = (c.dataset, c.model, c.loss, c.hidden, c.latent_dim, c.lr, c.batch_size, c.extra)
    return sig if c.precision == DEFAULT_PRECISION else (*sig, c.precision)


def describe(c: RunConfig) -> str:
    return (f"{c.dataset} {c.model}/{c.loss} class {c.normal_class} {c.protocol} "
            f"contamination {c.contamination:g}% seed {c.seed}")


def member_state(model: nn.Module, k: int) -> dict[str, Tensor]:
    """Weights of ensemble member k, as a K = 1 state dict."""
    return {n: p[k: k + 1].detach().cpu().clone() for n, p in model.state_dict().items()}
