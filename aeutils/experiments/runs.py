"""Config → data → model → train → score → metrics → results store, for one or many runs.

:func:`run_configs` is the one entry point: it skips what the store already
holds, trains the remaining autoencoders in batched groups (same model, loss
and sizes; up to ``max_group`` at once), runs baselines one by one, and
appends each group's records atomically. A group in training also saves a
snapshot beside the store every ``AEUTILS_SNAPSHOT_SECONDS`` (default 300) and
resumes from it when started again, so an interrupted sweep loses at most those
minutes of a group (or one baseline run).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .. import settings
from ..config import ConfigError, RunConfig
from ..data.datasets import (
    Split,
    dataset_identity,
    display_name,
    example_indices,
    split_for,
    test_subset,
    to_float,
)
from ..detectors.groups import training_group
from ..detectors.metrics import evaluate
from ..detectors.networks import build_model
from ..detectors.training import group_signature, member_state, pick_device, train_autoencoders
from ..provenance import git_state
from ..runtime import cpu_model
from ..version import __version__
from .store import ResultsStore, writing


def make_record(config: RunConfig, epoch: int, metrics: dict, split: Split, **extra) -> dict:
    """One tidy row: every config field, the epoch, metrics, split sizes and provenance
    (dataset identity, code commit and whether it was dirty, versions)."""
    r = config.to_dict()
    r.pop("checkpoints")
    r.pop("epochs")
    r.update(key=config.key(), epoch=int(epoch), dataset_label=display_name(config.dataset),
             dataset_id=dataset_identity(config.dataset))
    r.update(split.info)
    r.update(metrics)
    r.update(extra)
    r.update(aeutils=__version__, torch=torch.__version__, python=platform.python_version(),
             threads=torch.get_num_threads(), cpu=cpu_model(),
             **git_state(),
             finished=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    return r


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far. Records carry the CPU time of
    their run (a group's divided among its members, scoring included): unlike wall time
    it does not count time the process waited (paused, or sharing the cores)."""
    t = os.times()
    return t.user + t.system


def evaluate_scores(split: Split, test, val, synth) -> dict:
    """Metrics of one model from its test, validation and synthetic-anomaly scores."""
    return evaluate(test, split.test_y, val, split.val_y, synth_scores=synth,
                    synth_kinds=split.synth_kinds)


def _merge_duplicates(configs: Iterable[RunConfig]) -> list[RunConfig]:
    """One config per key, with the longest epochs and all checkpoints asked for."""
    by_key: dict[str, RunConfig] = {}
    for c in configs:
        old = by_key.get(c.key())
        if old is None:
            by_key[c.key()] = c
        else:
            by_key[c.key()] = old.replace(epochs=max(old.epochs, c.epochs),
                                          checkpoints=set(old.checkpoints) | set(c.checkpoints)
                                          | {old.epochs, c.epochs})
    return list(by_key.values())


def pending(configs: Iterable[RunConfig], store: ResultsStore) -> list[RunConfig]:
    """Configs (deduplicated) with at least one checkpoint epoch not yet stored."""
    return [c for c in _merge_duplicates(configs) if not store.has(c)]


def run_configs(configs: Sequence[RunConfig], store: ResultsStore | None = None,
                device: str | torch.device | None = None, max_group: int = 10,
                keep_models: bool = False, progress: bool = True,
                log: bool = False, eta: Callable | None = None) -> list[dict]:
    """Run every config not yet stored; return the final-epoch record of each config.

    ``progress`` shows a bar; ``log`` prints one time-stamped line per finished group
    (for long runs whose output goes to a file) with an ETA: ``eta(groups)`` makes the
    tracker (:class:`aeutils.estimate.Eta`), else the mean of the finished groups counts."""
    if max_group < 1:
        raise ConfigError(f"max_group must be at least 1, got {max_group}")
    store = store or ResultsStore()
    device = pick_device(device if isinstance(device, str) or device is None else str(device))
    git_state()  # stamp records with the code this process loaded, not a later checkout's
    todo = pending(configs, store)
    preflight(todo)
    bar = tqdm(total=sum(c.epochs for c in todo), unit="model-epoch", desc="runs",
               disable=not progress or not todo, dynamic_ncols=True)
    groups = training_groups(todo, max_group)
    tracker = eta(groups) if eta and log and groups else None
    t_start = time.perf_counter()
    for n, group in enumerate(groups, 1):
        c0, t0 = group[0], time.perf_counter()
        what = (f"{display_name(c0.dataset)} {c0.model}/{c0.loss} ×{len(group)}"
                if c0.is_autoencoder else
                f"{display_name(c0.dataset)} {c0.model} class {c0.normal_class}")
        bar.set_postfix_str(what)
        with store.claim(c.key() for c in group) as mine:
            group = [c for c in group if c.key() in mine and not store.has(c)]
            if group:
                _run_group(group, store, device, keep_models, bar)
        if not group:
            bar.update(sum(c.epochs for c in groups[n - 1]))  # another process has them
            if log:
                log_line(f"group {n}/{len(groups)} left to another process: {what}, "
                         f"contamination {c0.contamination:g}%")
        elif log:
            done = time.perf_counter() - t_start
            left = (tracker.done(n - 1, time.perf_counter() - t0) if tracker else
                    done / n * (len(groups) - n))
            log_line(f"group {n}/{len(groups)} done: {what}, contamination "
                     f"{c0.contamination:g}%, {time.perf_counter() - t0:.0f} s "
                     f"(elapsed {done / 60:.1f} min, ETA {left / 60:.1f} min)")
    bar.close()
    out = []
    for c in configs:
        rows = store.get(c, epoch=c.epochs)
        out.extend(rows[-1:])
    return out


def log_line(message: str) -> None:
    """A time-stamped progress line on stdout, and appended to ``$AEUTILS_PROGRESS_FILE``
    when set (``aeutils.reproduce`` tails that file to show progress from inside kernels).
    A worker of ``grid --workers`` names itself (``$AEUTILS_WORKER``) after the time."""
    worker = settings.get("AEUTILS_WORKER")
    line = (f"[{_dt.datetime.now().strftime('%H:%M:%S')}] "
            f"{f'worker {worker}: ' if worker else ''}{message}")
    print(line, flush=True)
    path = settings.get("AEUTILS_PROGRESS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def preflight(configs: Sequence[RunConfig]) -> None:
    """Check every config against its data before anything trains or any bar is drawn:
    dataset readable, class present, split feasible, image size fits the model and the
    loss (the traits registered with them: :meth:`RunConfig.check_shape`)."""
    from ..data.datasets import check_split, load_dataset

    for c in configs:
        data = load_dataset(c.dataset)
        check_split(data, c.normal_class, c.protocol, c.contamination, c.val_fraction,
                    c.max_train)
        c.check_shape(tuple(data.shape), where=c.dataset)


def batch_order(c: RunConfig) -> tuple:
    """Sort key that puts batchable configs together, and within them configs with
    equal training-set sizes (contamination, cap) side by side: a batched group pads
    every member to its largest, so mixing 0 % and 100 % contamination wastes steps."""
    return (str(group_signature(c)), c.contamination, c.max_train or 0, c.normal_class, c.seed,
            c.key())


def batched_groups(configs: Iterable[RunConfig], max_group: int = 10) -> list[list[RunConfig]]:
    """``configs`` cut into the groups that train as one ensemble: equal group signature,
    in :func:`batch_order`, at most ``max_group`` each (the runner, the estimate and the
    shards all cut the same way)."""
    ordered = sorted(configs, key=batch_order)
    return [same[i: i + max_group] for _, g in itertools.groupby(ordered, key=group_signature)
            for same in [list(g)] for i in range(0, len(same), max_group)]


def training_groups(configs: Iterable[RunConfig], max_group: int = 10) -> list[list[RunConfig]]:
    """The groups :func:`run_configs` trains, in its order: the autoencoder runs batched
    (:func:`batched_groups`), then each baseline run alone."""
    configs = list(configs)
    return (batched_groups([c for c in configs if c.is_autoencoder], max_group)
            + [[c] for c in configs if not c.is_autoencoder])


def run(config: RunConfig, store: ResultsStore | None = None, **kwargs) -> dict:
    """Run (or fetch from the store) one config; returns its final-epoch record."""
    return run_configs([config], store, **kwargs)[0]


class GroupSnapshot:
    """The state of a batched group in training, kept beside the store
    (``<table>.snapshots/<group id>.pt``) so that a group that is stopped (killed, or
    interrupted) continues where its last snapshot was taken instead of from epoch 1.

    The group id hashes the members' keys (which include the code's implementation
    versions), epochs and checkpoints: a snapshot is only ever resumed by the same
    training. Saved at the end of an epoch when ``every`` seconds (default
    ``$AEUTILS_SNAPSHOT_SECONDS`` or 300; 0 = every epoch) have passed since the last
    save, atomically; removed once the group's records are in the store.
    """

    def __init__(self, store: ResultsStore, group: Sequence[RunConfig],
                 every: float | None = None) -> None:
        ident = json.dumps([[c.key(), c.epochs, list(c.eval_epochs)] for c in group])
        name = hashlib.sha256(ident.encode()).hexdigest()[:16]
        self.path = store.snapshots_dir / f"{name}.pt"
        self.table = store.path
        self.keys = [c.key() for c in group]
        self.every = settings.number("AEUTILS_SNAPSHOT_SECONDS") if every is None else every
        self.last = time.monotonic()

    def load(self) -> dict | None:
        """The saved state, or None when there is none (or it is not this group's)."""
        if not self.path.exists():
            return None
        try:  # our own pickle (records hold numpy scalars, so not weights_only)
            state = torch.load(self.path, weights_only=False, map_location="cpu")
        except Exception:  # noqa: BLE001 - a torn or foreign file: start afresh
            return None
        return state if isinstance(state, dict) and state.get("keys") == self.keys else None

    def maybe_save(self, state: Callable[[], dict]) -> bool:
        """Save ``state()`` if ``every`` seconds have passed since the last save."""
        if time.monotonic() - self.last < self.every:
            return False
        tmp = self.path.with_suffix(".tmp")
        with writing(self.table):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"keys": self.keys, **state()}, tmp)
            tmp.replace(self.path)
        self.last = time.monotonic()
        return True

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _run_group(group: list[RunConfig], store: ResultsStore, device, keep_models: bool,
               bar) -> list[dict]:
    """Fit one group through :mod:`aeutils.detectors.groups` (a batched autoencoder
    ensemble, or one baseline run), evaluate it at its checkpoint epochs, append its records
    to the store and return them. A resumable group continues from its snapshot if it has
    one."""
    pairs = [split_for(c) for c in group]
    splits = [s for _, s in pairs]
    trainer = training_group(group, device)
    snapshot = GroupSnapshot(store, group)
    saved = snapshot.load() if trainer.resumable else None
    records: list[dict] = saved["records"] if saved else []
    cpu0 = cpu_seconds() - (saved["cpu_seconds"] if saved else 0.0)
    resumed = {"resumed_from": saved["train"]["epoch"]} if saved else {}
    examples = [example_indices(test_subset(d, c.max_test)[1], c.normal_class)
                for c, (d, _) in zip(group, pairs)]

    def on_checkpoint(epoch: int, members: list[int]) -> None:
        val, synth, test = (trainer.score([getattr(s, part) for s in splits])
                            for part in ("val_x", "synth_x", "test_x"))
        kept = _examples(trainer, group, splits, examples, epoch)
        for k in members:
            c, s = group[k], splits[k]
            m = evaluate_scores(s, test[k], val[k], synth[k])
            fields = trainer.record_fields(k, group_size=len(group), device=str(device),
                                           cpu_seconds=(cpu_seconds() - cpu0) / len(group))
            records.append(make_record(c, epoch, m, s, **fields, **resumed))
            store.save_scores(c.key(), epoch, test[k], s.test_y.numpy(), final=epoch == c.epochs,
                              **kept.get(k, {}))
            state = trainer.model_state(k) if keep_models and epoch == c.epochs else None
            if state is not None:
                save_model(store, c, state)

    def on_epoch(epoch: int, state) -> None:
        if state is not None:
            snapshot.maybe_save(lambda: {"train": state(), "records": records,
                                         "cpu_seconds": cpu_seconds() - cpu0})

    trainer.fit([s.train_x for s in splits], on_checkpoint, on_epoch, progress=bar,
                resume=saved["train"] if saved else None)
    store.append(records)
    snapshot.remove()
    return records


def _examples(trainer, group: Sequence[RunConfig], splits, examples, epoch: int
              ) -> dict[int, dict]:
    """The example test images and their reconstructions of the members whose last epoch
    this is (methods that reconstruct), as extra arrays of their score files."""
    last = [k for k, c in enumerate(group) if epoch == c.epochs]
    if not last:
        return {}
    images = [s.test_x[examples[k]] if k in last else s.test_x[:0]
              for k, s in enumerate(splits)]
    recon = trainer.reconstruct(images)
    if recon is None:
        return {}
    return {k: {"example_index": examples[k].numpy().astype(np.int32), "example_recon": recon[k]}
            for k in last}


# --- trained models for figures ------------------------------------------------------
def _model_path(store: ResultsStore, c: RunConfig) -> Path:
    return store.models_dir / f"{c.key()}-e{c.epochs}.pt"


def save_model(store: ResultsStore, c: RunConfig, state: dict) -> None:
    path = _model_path(store, c)
    tmp = path.with_suffix(".tmp")
    with writing(store.path):
        store.models_dir.mkdir(parents=True, exist_ok=True)
        torch.save(state, tmp)
        tmp.replace(path)


def trained_model(config: RunConfig, store: ResultsStore | None = None,
                  device: str | None = None) -> torch.nn.Module:
    """The trained autoencoder of ``config`` (K = 1, eval mode), training it if not kept yet."""
    store = store or ResultsStore()
    path = _model_path(store, config)
    if not path.exists() and not store.has(config):
        run_configs([config], store, device=device, keep_models=True, progress=False)
    if not path.exists():  # results were stored by a run that did not keep its weights
        model = train_autoencoders([config], [split_for(config)[1]], pick_device(device))
        save_model(store, config, member_state(model, 0))
    data = split_for(config)[0]
    model = build_model(config.model, data.shape, [config.seed], config.hidden, config.latent_dim)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def example_reconstructions(config: RunConfig, store: ResultsStore | None = None,
                            n_normal: int = 8, train: bool = True):
    """(normal, normal_recon, anomalous, anomalous_recon) of the fixed example test images
    (:func:`aeutils.data.example_indices`): images uint8, reconstructions float in [0, 1].

    Read from the results store, which keeps them at each run's last epoch, so figures
    render from shipped results without training. Runs stored without them are retrained
    (``trained_model``) when ``train`` is true, else a ``FileNotFoundError`` says so.
    """
    store = store or ResultsStore()
    data = split_for(config)[0]
    test_x, labels = test_subset(data, config.max_test)
    try:
        kept = store.load_scores(config.key(), config.epochs)
        idx, recon = kept["example_index"], kept["example_recon"].astype(np.float32) / 255
    except (FileNotFoundError, KeyError):
        if not train:
            raise FileNotFoundError(f"the results store {store.path} keeps no reconstructions "
                                    f"for {config.model}/{config.loss} class "
                                    f"{config.normal_class}; run with train=True") from None
        idx = example_indices(labels, config.normal_class).numpy()
        recon = reconstruct(trained_model(config, store), test_x[idx])
    idx = torch.as_tensor(idx, dtype=torch.long)
    n = min(n_normal, int((labels[idx] == config.normal_class).sum()))
    n_all = int((labels[idx] == config.normal_class).sum())
    return test_x[idx[:n]], recon[:n], test_x[idx[n_all:]], recon[n_all:]


@torch.no_grad()
def reconstruct(model: torch.nn.Module, x_uint8: torch.Tensor) -> np.ndarray:
    """Reconstructions (N×C×H×W float in [0, 1]) of uint8 images by a K = 1 model."""
    dev = next(model.parameters()).device
    recon, _ = model(to_float(x_uint8, dev).unsqueeze(0))
    return recon[0].cpu().numpy()
