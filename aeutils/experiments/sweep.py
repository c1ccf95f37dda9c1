"""The grid as one object: what ``python -m aeutils grid`` does, for scripts and studies.

    from aeutils.experiments.sweep import Grid

    Grid("quick", workers=2).run()     # resumable: trains only what the store lacks
    Grid("thesis", order="priority", budget=3600).run()   # MNIST first, cheapest first
    Grid("quick", datasets=["mnist"]).dry_run()           # runs and machine-hours only

A :class:`Grid` holds a profile's selection (blocks, logical datasets, replacements, one
shard of many), how it trains (group size, processes, order, budget, precision, device)
and where it stores (the results table, which scores it keeps). Worker processes are
spawned: each imports torch afresh with its share of the cores' threads, applies
:func:`aeutils.runtime.tune_malloc`, and runs the same grid on the one table, training the
groups no other has claimed (:mod:`aeutils.experiments.store`). The functions it runs live
in :mod:`aeutils.experiments.grid`; this module imports no torch, so :meth:`Grid.check`
answers at once.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..config import ConfigError
from ..errors import BadDataError, DataNotFoundError, StoreError, TrainingDivergedError
from ..registry import DEFAULT_PRECISION, PRECISIONS, choice_error
from .profiles import profile_blocks, profile_datasets

ORDERS = ("profile", "priority")
ONE_LINE_ERRORS = (ConfigError, BadDataError, DataNotFoundError, StoreError,
                   TrainingDivergedError)


class WorkerFailed(RuntimeError):
    """A worker process of a grid exited with an error; what it stored is kept."""

    def __init__(self, code: int) -> None:
        super().__init__(f"a worker exited with code {code}; what it stored is kept")
        self.code = code


@dataclass
class GridRun:
    """What :meth:`Grid.run` trained: in this process, per block (profile order) or logical
    dataset (priority order), the runs trained and the wall seconds; the runs its worker
    processes trained, and each worker's process settings (number, threads, allocator)."""

    times: dict[str, tuple[int, float]]
    by: str = "block"
    by_workers: int = 0
    workers: list[dict] = field(default_factory=list)

    def table(self) -> str:
        """The summary the command line prints: one line per block or dataset, a total."""
        lines = [f"{self.by:<26}{'trained':>8}{'seconds':>10}"]
        lines += [f"{name:<26}{n:>8}{s:>10.1f}" for name, (n, s) in self.times.items()]
        lines.append(f"{'total':<26}{sum(n for n, _ in self.times.values()):>8}"
                     f"{sum(s for _, s in self.times.values()):>10.1f}")
        return "\n".join(lines)


@dataclass
class Grid:
    """A profile's grid and how to train it; :meth:`run` trains what the store lacks.

    ``blocks``: only these blocks; ``datasets``: only these logical datasets of the profile
    (a machine that holds one trains its part); ``dataset_map``: logical name → dataset
    loaded in its place (e.g. ``{"cifar10": "folder:data/cifar10-jpeg"}``); ``shard``:
    ``"i/n"`` or ``(i, n)``, this share of the groups; ``max_group``: models trained at once;
    ``workers``: processes sharing the cores and the table; ``order``: ``profile`` (block by
    block) or ``priority`` (MNIST before CIFAR-10, then the cheapest groups first, timed on
    this machine); ``budget``: with ``priority``, seconds of wall time from the start after
    which no group starts whose estimate exceeds what is left; ``keep_scores``: ``all``,
    ``final`` or ``none`` (:class:`~aeutils.experiments.store.ResultsStore`); ``results``:
    the table (default ``$AEUTILS_RESULTS``); ``progress``: bars, else one line per group.
    """

    profile: str = "quick"
    blocks: Sequence[str] | None = None
    datasets: Sequence[str] | None = None
    dataset_map: Mapping[str, str] = field(default_factory=dict)
    shard: str | tuple[int, int] | None = None
    max_group: int = 10
    workers: int = 1
    order: str = "profile"
    budget: float | None = None
    precision: str = DEFAULT_PRECISION
    device: str | None = None
    keep_scores: str = "all"
    results: str | os.PathLike | None = None
    progress: bool = True

    def check(self) -> None:
        """Refuse settings that cannot run, each in one line, before anything is loaded."""
        profile_blocks(self.profile, self.blocks)  # an unknown profile or block
        if self.max_group < 1:
            raise ConfigError(f"--max-group must be at least 1, got {self.max_group}")
        if self.workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {self.workers}")
        if self.order not in ORDERS:
            raise choice_error("order", self.order, ORDERS)
        if self.precision not in PRECISIONS:
            raise choice_error("precision", self.precision, PRECISIONS)
        if self.budget is not None and self.order != "priority":
            raise ConfigError("--budget needs --order priority (the order that estimates "
                              "each group)")
        if self.budget is not None and self.budget <= 0:
            raise ConfigError(f"--budget must be a positive number of seconds, got "
                              f"{self.budget:g}")
        if self.order == "priority" and self.shard:
            raise ConfigError("--order priority runs the whole profile; --shard deals its "
                              "groups round-robin instead: give one")
        if self.datasets:  # from the profiles alone: an argument error loads no trainer
            valid = profile_datasets(self.profile, self.blocks)
            for d in self.datasets:
                if d not in valid:
                    raise choice_error(f"--dataset of profile {self.profile!r}", d, valid)

    def run(self) -> GridRun:
        """Train what the store lacks: in worker processes first when ``workers`` > 1, then
        here (derived blocks whose source a worker finished, groups no worker could claim).
        Prints what the grid holds, one line per finished group (or bars), and a summary.
        Raises :class:`WorkerFailed` if a worker failed (what it stored is kept)."""
        started = time.monotonic()
        store, shard_of, configs, todo = self._open()
        print(self._summary(store, configs, todo))
        by_workers, workers = 0, []
        left = self._budget_left(started)
        if self.workers > 1 and todo and (left is None or left > 0):
            by_workers, workers = self._run_workers(store, configs, todo, left)
        from .store import writing

        out = GridRun(self._train(store, shard_of, started),
                      "dataset" if self.order == "priority" else "block", by_workers, workers)
        with writing(store.path):
            store.path.parent.mkdir(parents=True, exist_ok=True)
            store.path.touch()  # a shard with nothing to train still leaves a table to merge
        print(out.table())
        return out

    def estimate(self, on_block: Callable[[dict], None] | None = None) -> dict:
        """Train nothing: per block, its runs, those to train, their groups and the
        machine-hours of training and scoring them, timed on this machine (``on_block`` is
        called with each block's row as it is timed)."""
        store, shard_of, _, _ = self._open()
        return self._estimate(store, shard_of, on_block)

    def dry_run(self, json_path: str | os.PathLike | None = None) -> dict:
        """:meth:`estimate`, printed as the command line's ``--dry-run`` prints it (and
        written to ``json_path`` when given)."""
        import json
        from pathlib import Path

        store, shard_of, configs, todo = self._open()
        print(self._summary(store, configs, todo))
        print(f"{'block':<26}{'runs':>6}{'to train':>9}{'groups':>7}{'est. hours':>11}")
        out = self._estimate(store, shard_of, lambda r: print(
            f"{r['block']:<26}{r['runs']:>6}{r['to_train']:>9}{r['groups']:>7}"
            f"{r['hours']:>11.2f}", flush=True))
        print(f"{'total':<26}{'':>6}{'':>9}{'':>7}{out['total_hours']:>11.2f}  machine-hours "
              f"of training and scoring, timed on this machine ({out['threads']} threads; "
              "baselines: one run each at scale, groups: batched autoencoder runs + baseline "
              "runs)")
        if json_path:
            Path(json_path).parent.mkdir(parents=True, exist_ok=True)
            Path(json_path).write_text(json.dumps(out, indent=1) + "\n")
        return out

    # --- the steps -------------------------------------------------------------------
    def _open(self):
        """Check, pick the device, open the store: (store, shard, every run, runs to train)."""
        self.check()  # before the trainers load: an argument error answers at once
        from ..detectors.training import pick_device
        from .grid import parse_shard
        from .store import ResultsStore

        pick_device(self.device)  # an unknown or absent device fails before anything else
        store = ResultsStore(self.results, keep_scores=self.keep_scores)
        shard_of = parse_shard(self.shard) if isinstance(self.shard, str) else self.shard
        if shard_of and not 0 <= shard_of[0] < shard_of[1]:
            raise ConfigError(f"shard {shard_of[0]}/{shard_of[1]}: need 0 <= i < n")
        configs = self._configs(store, shard_of)
        from .runs import pending

        return store, shard_of, configs, pending(configs, store)

    def _configs(self, store, shard_of, blocks: Sequence[str] | None = None) -> list:
        """The grid's runs (of ``blocks``, default all chosen), this shard's, each once."""
        from .grid import profile_configs, shard

        configs = profile_configs(self.profile, self.dataset_map, blocks or self.blocks,
                                  store=store, only_datasets=self._only(),
                                  precision=self.precision)
        if shard_of:
            configs = shard(configs, *shard_of, self.max_group)
        return list({c.key(): c for c in configs}.values())  # blocks may share runs

    def _only(self) -> list[str] | None:
        return None if self.datasets is None else list(self.datasets)

    def _summary(self, store, configs: list, todo: list) -> str:
        return (f"profile {self.profile}: {len(configs)} runs, {len(configs) - len(todo)} "
                f"stored, {len(todo)} to train -> {store.path} (+ validation-selected runs "
                "once their search is complete)")

    def _budget_left(self, started: float) -> float | None:
        """Seconds left of the budget (None without one), counted from ``started``."""
        return None if self.budget is None else self.budget - (time.monotonic() - started)

    def _train(self, store, shard_of, started: float) -> dict[str, tuple[int, float]]:
        """The grid in this process: in profile order, or in priority order within the
        budget."""
        from .grid import run_priority, run_profile

        common = dict(device=self.device, max_group=self.max_group, progress=self.progress,
                      log=not self.progress, only_datasets=self._only(),
                      precision=self.precision)
        if self.order == "priority":
            left = self._budget_left(started)
            return run_priority(self.profile, self.dataset_map, store, self.blocks,
                                budget=None if left is None else max(left, 0.0), **common)
        return run_profile(self.profile, self.dataset_map, store, self.blocks, shard_of,
                           **common)

    def _run_workers(self, store, configs: list, todo: list,
                     left: float | None) -> tuple[int, list[dict]]:
        """``workers`` spawned processes run this grid on one table, splitting the cores'
        threads; each trains the groups no other has claimed. Returns the runs they trained
        and their reports; raises :class:`WorkerFailed` with the first failure's code."""
        import multiprocessing

        from ..runtime import cores
        from .runs import pending

        threads = max(1, cores() // self.workers)
        one = replace(self, workers=1, results=str(store.path), progress=False, budget=left)
        print(f"{self.workers} workers x {threads} thread(s), one line per finished group",
              flush=True)
        t0 = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no torch state
        pipes = [ctx.Pipe(duplex=False) for _ in range(self.workers)]
        procs = [ctx.Process(target=_work, args=(one, i + 1, threads, send),
                             name=f"aeutils-grid-worker-{i + 1}")
                 for i, (_, send) in enumerate(pipes)]
        try:
            for p in procs:
                p.start()
            for _, send in pipes:
                send.close()  # the workers hold their ends
            for p in procs:
                p.join()
        except KeyboardInterrupt:  # stop every worker, not just this process
            for p in procs:
                p.terminate()
            raise
        reports = [{**(recv.recv() if recv.poll() else {"number": i + 1}),
                    "exit_code": p.exitcode} for i, ((recv, _), p) in enumerate(zip(pipes, procs))]
        trained = len(todo) - len(pending(configs, store))
        print(f"workers: {trained} runs trained in {time.perf_counter() - t0:.1f} s")
        failed = [r["exit_code"] for r in reports if r["exit_code"]]
        if failed:
            raise WorkerFailed(failed[0])
        return trained, reports

    def _estimate(self, store, shard_of, on_block: Callable[[dict], None] | None) -> dict:
        """Per block: runs, runs to train, groups, and machine-hours timed on this machine."""
        import platform

        import torch

        from .estimate import estimate
        from .runs import pending

        rows = []
        for block in profile_blocks(self.profile, self.blocks):
            configs = self._configs(store, shard_of, [block.name])
            todo = pending(configs, store)
            costs = estimate(todo, self.max_group, self.device)
            rows.append({"block": block.name, "runs": len(configs), "to_train": len(todo),
                         "groups": len(costs), "hours": sum(g.seconds for g in costs) / 3600,
                         "training_hours": sum(g.training_seconds for g in costs) / 3600})
            if on_block:
                on_block(rows[-1])
        return {"profile": self.profile, "machine": platform.processor() or platform.machine(),
                "threads": torch.get_num_threads(), "torch": torch.__version__,
                "blocks": rows, "total_hours": sum(r["hours"] for r in rows)}


def _work(grid: Grid, number: int, threads: int, report) -> None:
    """One worker process of :meth:`Grid.run`: this process's settings first (the malloc
    tuning, its share of threads, its number for the progress lines), reported back on
    ``report``, then the grid; an error a user can fix ends it with one line and code 2."""
    from .. import runtime, settings

    runtime.tune_malloc()  # before torch allocates anything
    settings.put("AEUTILS_WORKER", str(number))
    import torch

    torch.set_num_threads(threads)
    report.send({"number": number, "threads": torch.get_num_threads(),
                 "allocator": runtime.describe()})
    report.close()
    try:
        grid.run()
    except ONE_LINE_ERRORS as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        sys.exit(2)
