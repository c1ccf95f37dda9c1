"""Layer tables, loss demonstrations and reconstruction examples (notebooks 02, 03)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
import torch

from ..detectors.networks import build_model


# --- models and losses ---------------------------------------------------------------
def layer_table(model: str, shape: Sequence[int], hidden: Sequence[int] | None = None,
                latent_dim: int = 32) -> pd.DataFrame:
    """Layers of autoencoder ``model`` for images of ``shape``: output shape, size, parameters."""
    from ..detectors.networks import EnsembleConv2d, EnsembleLinear

    net = build_model(model, shape, [0], hidden, latent_dim).eval()
    rows = [{"layer": "input", "kind": "image", "output": "×".join(map(str, shape)),
             "size": math.prod(shape), "parameters": 0, "activation": ""}]
    hooks = []
    for name, mod in net.named_modules():
        if isinstance(mod, (EnsembleLinear, EnsembleConv2d)):
            def hook(m, _inp, out, name=name):
                dims = tuple(out.shape[2:]) if isinstance(m, EnsembleLinear) else tuple(out.shape[1:])
                kind = "dense" if isinstance(m, EnsembleLinear) else (
                    "transposed conv 3×3/2" if m.transpose else "conv 3×3/2")
                rows.append({"layer": name, "kind": kind, "output": "×".join(map(str, dims)),
                             "size": math.prod(dims),
                             "parameters": sum(p[0].numel() for p in m.parameters()),
                             "activation": "ReLU"})
            hooks.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        net(torch.rand(1, 1, *shape))
    for h in hooks:
        h.remove()
    rows[-1]["activation"] = "sigmoid"
    for r in rows:
        if r["layer"] == "enc_fc":  # the conv autoencoder's latent code is linear
            r["activation"] = "linear"
        if r["layer"] == "head":
            r["output"] += " (μ, log σ²)"
            r["activation"] = "linear; z = μ + σ·ε"
    return pd.DataFrame(rows)


def perturbations(image: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """Perturbed copies of one C×H×W float image in [0, 1] (for the loss demonstration)."""
    from torchvision.transforms.functional import gaussian_blur

    g = torch.Generator().manual_seed(seed)
    x = image.float()
    occluded = x.clone()
    h, w = x.shape[-2:]
    occluded[:, h // 2 - 4: h // 2 + 4, w // 2 - 4: w // 2 + 4] = 0.0
    return {
        "noise σ=0.1": (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1),
        "blur σ=1": gaussian_blur(x[None], kernel_size=5, sigma=1.0)[0],
        "shift 2 px": torch.roll(x, shifts=(2, 2), dims=(-2, -1)),
        "brighter +0.2": (x + 0.2).clamp(0, 1),
        "occluded 8×8": occluded,
    }


def loss_table(image: torch.Tensor, perturbed: Mapping[str, torch.Tensor]) -> pd.DataFrame:
    """The five losses (as per-sample scores) between ``image`` and each perturbed copy."""
    from ..detectors.losses import LOSSES, per_sample_loss

    x = image.float()[None]
    rows = {}
    for name, p in perturbed.items():
        r = p.float()[None].clamp(0, 1)
        rows[name] = {loss: float(per_sample_loss(loss, r, x)[0]) for loss in LOSSES}
    return pd.DataFrame.from_dict(rows, orient="index")


def best_on_validation(records: pd.DataFrame, configs: Sequence) -> tuple[object, dict]:
    """The config (of ``configs``) whose final record has the best validation AUC, and
    that record: a choice that reads no test label."""
    best = records.loc[records["val_auc"].idxmax()]
    return next(c for c in configs if c.key() == best["key"]), best.to_dict()


def reconstruction_errors(images: torch.Tensor, recons, n: int) -> dict:
    """Mean squared error per image of the first ``n`` (normal) and the next ``n``
    (anomalous) images against their reconstructions, averaged per group."""
    err = ((images.float() / 255 - torch.as_tensor(recons)) ** 2).flatten(1).mean(1)
    return {"mean_error_normal": float(err[:n].mean()),
            "mean_error_anomalous": float(err[n:].mean())}


def dataset_numbers(data) -> dict:
    """Size, shape and per-class training counts of a loaded dataset (numbers file)."""
    return {"classes": list(data.classes), "shape": list(data.shape),
            "n_train": len(data.train_y), "n_test": len(data.test_y),
            "train_per_class": data.train_y.bincount(minlength=len(data.classes)).tolist()}


def detector_numbers(detector, x_test, is_anomaly, n_train: int) -> tuple[dict, object]:
    """(summary, scores) of a fitted :class:`aeutils.AutoEncoderDetector` on labelled test
    images: ROC AUC and the share of anomalies and of normal images its threshold flags."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    scores, flagged = detector.decision_function(x_test), detector.predict(x_test).astype(bool)
    return {"n_train": int(n_train), "n_test": len(is_anomaly),
            "auc": float(roc_auc_score(is_anomaly, scores)),
            "flagged_anomalies": float(flagged[is_anomaly].mean()),
            "flagged_normals": float(flagged[~is_anomaly].mean())}, scores
