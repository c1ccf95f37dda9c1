"""Synthetic anomalies made from normal images: the label-free validation set.

Model selection on labelled validation anomalies (other classes' training images)
sees examples of exactly the anomalies the test set holds. A label-free criterion
must not. Here each held-out *normal* validation image is turned into one synthetic
anomaly by one of :data:`KINDS` (assigned in a seeded round-robin), and the AUC of
"validation normals vs. their corrupted copies" scores a model without any anomaly
label. This follows the synthetic-injection proxies reviewed by Ma et al. (SIGKDD
Explorations 2023) and used by Goswami et al. (ICLR 2023). The known pitfall (Yoo et
al., TMLR 2023): such a proxy rewards models that detect *these* corruptions, which
helps only as far as they resemble the real anomalies. So every kind is stored
separately beside the pooled AUC, and the notebooks report how the label-free pick
fares on test next to the labelled pick.

Kinds (images uint8 N×C×H×W in, same out):

- ``noise``: additive Gaussian noise, σ = 0.2 of the range;
- ``blur``: Gaussian blur, σ = 1.5 px;
- ``patch``: a square patch (⅓ of the side) pasted from another normal image
  (CutPaste, Li et al., CVPR 2021);
- ``mix``: the pixel mean of the image and another normal image;
- ``flip``: turned upside down.
"""

from __future__ import annotations

import torch

KINDS: tuple[str, ...] = ("noise", "blur", "patch", "mix", "flip")


def synthetic_anomalies(x: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, list[str]]:
    """One corrupted copy of each image of ``x`` (uint8 N×C×H×W) and the kind of each."""
    n = len(x)
    g = torch.Generator().manual_seed(50_000 + int(seed))
    order = torch.randperm(n, generator=g)
    kinds = [""] * n
    for j, i in enumerate(order.tolist()):
        kinds[i] = KINDS[j % len(KINDS)]
    partner = (torch.arange(n) + 1 + torch.randint(max(n - 1, 1), (n,), generator=g)) % max(n, 1)
    xf = x.float()
    out = xf.clone()
    for kind in KINDS:
        idx = torch.tensor([i for i in range(n) if kinds[i] == kind], dtype=torch.long)
        if len(idx) == 0:
            continue
        out[idx] = _corrupt(kind, xf[idx], xf[partner[idx]], g)
    return out.round_().clamp_(0, 255).to(torch.uint8), kinds


def _corrupt(kind: str, x: torch.Tensor, other: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    if kind == "noise":
        return x + torch.randn(x.shape, generator=g) * 0.2 * 255
    if kind == "blur":
        # imported here: torchvision pulls in torch._dynamo (seconds), and only this needs it
        from torchvision.transforms.functional import gaussian_blur

        return gaussian_blur(x, kernel_size=7, sigma=1.5)
    if kind == "mix":
        return (x + other) / 2
    if kind == "flip":
        return x.flip(-2)
    if kind == "patch":
        out = x.clone()
        h, w = x.shape[-2:]
        s = max(1, min(h, w) // 3)
        for i in range(len(x)):
            ty, tx, sy, sx = (int(torch.randint(d - s + 1, (1,), generator=g))
                              for d in (h, w, h, w))
            out[i, :, ty:ty + s, tx:tx + s] = other[i, :, sy:sy + s, sx:sx + s]
        return out
    raise ValueError(f"unknown synthetic anomaly kind {kind!r}; valid: {', '.join(KINDS)}")
