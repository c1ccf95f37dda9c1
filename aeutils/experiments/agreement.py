"""Whether results from another machine stand for this one's.

Two checks, both needed before a store trained elsewhere (a GPU machine, a cluster) is
merged: :func:`dataset_digest` (the same images decode to the same pixels under the same
keys: a different libjpeg gives other pixels for the same files) and
:func:`compare_group` (runs an accelerator trained, retrained here on the CPU for their
first epochs, reach the same test AUC: only float arithmetic differs, since the same seed
gives the same initial weights and batch order on either device).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from ..config import RunConfig
from ..data.catalog import dataset_identity, resolve_dataset
from ..registry import ConfigError
from .store import ResultsStore, on_accelerator


def dataset_digest(name: str) -> str:
    """``NAME IDENTITY pixels-sha256:…``: the key identity of dataset ``name`` on this
    machine and a SHA-256 of its decoded pixels and labels. Equal lines on two machines
    mean the same images under the same keys."""
    from ..data.datasets import load_dataset

    resolved = resolve_dataset(name)
    data = load_dataset(resolved)
    h = hashlib.sha256()
    for t in (data.train_x, data.train_y, data.test_x, data.test_y):
        h.update(t.contiguous().numpy().tobytes())
    return f"{name} {dataset_identity(resolved)} pixels-sha256:{h.hexdigest()[:16]}"


def accelerator_runs(store: ResultsStore, profile: str, group: str) -> list[RunConfig]:
    """The configs of ``profile`` matching ``dataset/model/loss/contamination`` whose
    stored records were trained on an accelerator."""
    from .grid import profile_configs

    try:
        dataset, model, loss, contamination = group.split("/")
    except ValueError:
        raise ConfigError(f"--group {group!r}: expected dataset/model/loss/contamination, "
                          f"e.g. mnist/basic/bce+ssim/50") from None
    on_gpu = {r["key"] for r in store.records() if on_accelerator(r)}
    found = [c for c in profile_configs(profile, store=store)
             if c.dataset == resolve_dataset(dataset) and c.model == model
             and c.loss == loss and c.contamination == float(contamination)
             and c.key() in on_gpu]
    if not found:
        raise ConfigError(f"--group {group!r}: no run of profile {profile!r} in {store.path} "
                          f"matches it and was trained on an accelerator")
    widest: dict[str, RunConfig] = {}  # blocks that share a run may store other checkpoints
    for c in found:
        kept = widest.get(c.key())
        if kept is None or len(c.eval_epochs) > len(kept.eval_epochs):
            widest[c.key()] = c
    return list(widest.values())


def compare_group(store: ResultsStore, configs: list[RunConfig], epochs: int,
                  scratch: ResultsStore) -> dict:
    """Retrain the first ``epochs`` epochs on the CPU; AUC pairs at the shared checkpoints.
    Runs with no checkpoint within those epochs (a selected run stores only its picked
    epoch) have nothing to compare and are left out."""
    from .runs import run_configs

    configs = [c for c in configs if any(e <= epochs for e in c.eval_epochs)]
    if not configs:
        raise ConfigError(f"no run of the group has a checkpoint within its first {epochs} "
                          "epochs: nothing to compare")

    short = [replace(c, epochs=epochs, checkpoints=tuple(e for e in c.checkpoints if e < epochs))
             for c in configs]
    run_configs(short, scratch, device="cpu", progress=True)
    pairs = []
    for long, s in zip(configs, short):
        for e in s.eval_epochs:
            gpu, cpu = store.get(long, epoch=e), scratch.get(s, epoch=e)
            if gpu and cpu:
                pairs.append({"class": long.normal_class, "protocol": long.protocol, "epoch": e,
                              "auc_gpu": gpu[-1]["auc"], "auc_cpu": cpu[-1]["auc"]})
    diff = np.array([p["auc_gpu"] - p["auc_cpu"] for p in pairs])
    return {"runs": len(configs), "pairs": len(pairs), "mean_diff": float(diff.mean()),
            "max_abs_diff": float(np.abs(diff).max()), "per_epoch": _per_epoch(pairs),
            "pairs_list": pairs}


def _per_epoch(pairs: list[dict]) -> dict[str, dict]:
    out = {}
    for e in sorted({p["epoch"] for p in pairs}):
        mine = [p for p in pairs if p["epoch"] == e]
        d = [p["auc_gpu"] - p["auc_cpu"] for p in mine]
        out[str(e)] = {"mean_diff": float(np.mean(d)), "max_abs_diff": float(np.max(np.abs(d))),
                       "mean_auc_gpu": float(np.mean([p["auc_gpu"] for p in mine])),
                       "mean_auc_cpu": float(np.mean([p["auc_cpu"] for p in mine]))}
    return out
