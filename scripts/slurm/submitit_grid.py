"""Run a profile's grid on SLURM through submitit: one array task per shard, then one job
that merges the shard tables and runs the derived (selection) blocks unsharded.

    pip install submitit        # not a dependency of aeutils; any environment the nodes see
    python scripts/slurm/submitit_grid.py --profile smoke --shards 4 --out /tmp/aeutils-submitit

The tasks call ``aeutils``'s own CLI entry point (``aeutils.cli.main.main``) in the
interpreter that runs this script, so it must be importable on the compute nodes (a
shared filesystem, the same virtualenv). On a GPU cluster: ``--gpus 1 --device cuda``
(plus ``--partition`` as your site requires). The merged table ends up in
``OUT/merged/results.jsonl``; submitit's logs and pickles in ``OUT/submitit/``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path


def run_grid(argv: list[str]) -> str:
    """One ``aeutils`` CLI call on a compute node; raises on a non-zero exit."""
    os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("SLURM_CPUS_PER_TASK", "1"))
    from aeutils.cli.main import main

    print("aeutils " + " ".join(argv), flush=True)
    rc = main(argv)
    if rc:
        raise RuntimeError(f"aeutils {' '.join(argv)} exited with {rc}")
    return argv[argv.index("--results") + 1] if "--results" in argv else ""


def merge_and_finish(output: str, inputs: list[str], grid_argv: list[str]) -> str:
    """Merge the shard tables into ``output``, then run the profile unsharded on it
    (only what the shards could not train: derived blocks)."""
    from aeutils.experiments.store import ResultsStore

    added = ResultsStore(output).merge(inputs)
    print(f"merged {added} new records into {output}", flush=True)
    return run_grid([*grid_argv, "--results", output])


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
    p.add_argument("grid_args", nargs="*",
                   help="more `aeutils grid` arguments, after --, e.g. -- --dataset-map ...")
    a = p.parse_args(argv)

    out = Path(a.out).resolve()
    shard_dir = out / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    common = ["grid", "--profile", a.profile, "--no-progress", *a.grid_args]
    if a.device:
        common += ["--device", a.device]

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
    shard_argvs = [[*common, "--shard", f"{i}/{a.shards}", "--results", t]
                   for i, t in enumerate(tables)]
    jobs = ex.map_array(run_grid, shard_argvs)
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
