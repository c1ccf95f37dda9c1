"""Run a profile's grid on SLURM through submitit: one array task per shard, then one job
that merges the shard tables and runs the derived (selection) blocks unsharded.

    pip install submitit        # not a dependency of aeutils; any environment the nodes see
    python scripts/slurm/submitit_grid.py --profile smoke --shards 4 --out /tmp/aeutils-submitit

Each task runs the grid object that ``python -m aeutils grid`` runs
(:class:`aeutils.experiments.sweep.Grid`, one shard of it) in the interpreter that runs this
script, so aeutils must be importable on the compute nodes (a shared filesystem, the same
virtualenv). On a GPU cluster: ``--gpus 1 --device cuda`` (plus ``--partition`` as your
site requires). The merged table ends up in ``OUT/merged/results.jsonl``; submitit's logs
and pickles in ``OUT/submitit/``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from aeutils.experiments.store import ResultsStore
from aeutils.experiments.sweep import Grid
from aeutils.registry import DEFAULT_PRECISION, PRECISIONS


def run_grid(grid: Grid) -> str:
    """``grid`` on a compute node (its malloc tuned, one thread per CPU of the task);
    returns its table. Raises if it fails."""
    os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("SLURM_CPUS_PER_TASK", "1"))
    from aeutils import runtime

    runtime.tune_malloc()
    print(f"aeutils {grid}", flush=True)
    grid.run()
    return str(grid.results)


def merge_and_finish(output: str, inputs: list[str], grid: Grid) -> str:
    """Merge the shard tables into ``output``, then run the profile unsharded on it
    (only what the shards could not train: derived blocks)."""
    added = ResultsStore(output).merge(inputs)
    print(f"merged {added} new records into {output}", flush=True)
    return run_grid(replace(grid, shard=None, results=output))


class _OnceFilter(logging.Filter):
    """Let submitit's "Bypassing sacct error" warning through once: on a cluster without
    accounting (sacct fails) submitit polls its result files instead, every few seconds."""

    seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "Bypassing sacct error" not in record.getMessage():
            return True
        if _OnceFilter.seen:
            return False
        _OnceFilter.seen = True
        record.msg = f"{record.msg} (no SLURM accounting? repeats of this warning are hidden)"
        return True


def _add_grid_options(p: argparse.ArgumentParser) -> None:
    """The grid's own options (those of ``python -m aeutils grid`` that a shard takes)."""
    p.add_argument("--block", action="append", help="only these blocks of the profile")
    p.add_argument("--dataset", action="append", metavar="NAME",
                   help="only these datasets of the profile (repeatable)")
    p.add_argument("--dataset-map", action="append", metavar="NAME=DATASET", default=[],
                   type=_pair, help="replace a dataset, e.g. cifar10=folder:data/cifar10-jpeg")
    p.add_argument("--max-group", type=int, default=10, help="models trained at once")
    p.add_argument("--keep-scores", default="all", choices=ResultsStore.KEEP_SCORES)
    p.add_argument("--precision", default=DEFAULT_PRECISION, choices=PRECISIONS)


def _pair(text: str) -> str:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"NAME=DATASET, got {text!r}")
    return text


def main(argv: list[str] | None = None) -> int:
    import submitit

    for handler in logging.getLogger("submitit").handlers + logging.getLogger().handlers:
        handler.addFilter(_OnceFilter())

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="smoke")
    p.add_argument("--shards", type=int, default=4)
    p.add_argument("--out", default="/tmp/aeutils-submitit", help="tables, logs and pickles")
    p.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    p.add_argument("--timeout-min", type=int, default=12 * 60)
    p.add_argument("--cpus-per-task", type=int, default=1)
    p.add_argument("--mem-gb", type=int, default=8)
    p.add_argument("--gpus", type=int, default=0, help="GPUs per shard (--gres=gpu:N)")
    p.add_argument("--partition", default=None)
    p.add_argument("--cluster", default=None,
                   help="submitit cluster: slurm, local or debug (default: slurm if found)")
    _add_grid_options(p)
    a = p.parse_args(argv)

    out = Path(a.out).resolve()
    shard_dir = out / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    common = Grid(a.profile, blocks=a.block, datasets=a.dataset,
                  dataset_map=dict(m.split("=", 1) for m in a.dataset_map),
                  max_group=a.max_group, keep_scores=a.keep_scores, precision=a.precision,
                  device=a.device, progress=False)
    common.check()  # a wrong option fails here, not on the nodes

    ex = submitit.AutoExecutor(folder=out / "submitit" / "%j", cluster=a.cluster)
    params = dict(name=f"aeutils-{a.profile}", timeout_min=a.timeout_min,
                  cpus_per_task=a.cpus_per_task, mem_gb=a.mem_gb,
                  slurm_array_parallelism=a.shards)
    if a.gpus:
        params["gpus_per_node"] = a.gpus
    if a.partition:
        params["slurm_partition"] = a.partition
    ex.update_parameters(**params)
    print(f"submitit executor: {ex.cluster}", flush=True)

    t0 = time.perf_counter()
    tables = [str(shard_dir / f"shard-{i}.jsonl") for i in range(a.shards)]
    shards = [replace(common, shard=(i, a.shards), results=t) for i, t in enumerate(tables)]
    jobs = ex.map_array(run_grid, shards)
    print(f"submitted {len(jobs)} shards: {', '.join(j.job_id for j in jobs)}", flush=True)
    for i, job in enumerate(jobs):
        job.result()  # raises (with the task's traceback) if the shard failed
        print(f"  shard {i}/{a.shards} done (job {job.job_id}, {time.perf_counter() - t0:.0f} s)",
              flush=True)
    present = [t for t in tables if Path(t).is_file()]  # an empty shard writes no table

    merged = str(out / "merged" / "results.jsonl")
    finish = ex.submit(merge_and_finish, merged, present, common)
    print(f"submitted merge + derived blocks: {finish.job_id}", flush=True)
    finish.result()
    print(f"done in {time.perf_counter() - t0:.0f} s -> {merged}", flush=True)
    for job in [*jobs, finish]:
        tail = (job.stdout() or "").strip().splitlines()[-1:]
        state = job.state  # UNKNOWN without accounting (sacct); the result came back anyway
        print(f"  {job.job_id}: {'' if state == 'UNKNOWN' else state + '; '}"
              f"{tail[0] if tail else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
