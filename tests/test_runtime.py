"""The allocator settings of aeutils.runtime: importing aeutils changes nothing; the entry
points apply them (the command line, each worker process of a grid), and where applied
they are in force."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from aeutils import runtime

# Re-allocate a 48 MiB tensor twenty times in a fresh process, after ``SETUP``, and count
# the rounds that fault the block's pages in afresh. Without the settings every round maps
# fresh pages (20 of 20, measured); with them the block is reused, after a few early rounds
# whose number depends on what else the process allocated meanwhile (0-7 measured, more
# under load): so rounds are counted, not faults.
ROUNDS = 20
PROBE = ("import resource, torch, aeutils, aeutils.experiments.grid, aeutils.experiments.sweep\n"
         "SETUP\n"
         "torch.empty(48 << 18).fill_(1)\n"
         "faults = []\n"
         f"for _ in range({ROUNDS}):\n"
         "    b = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
         "    torch.empty(48 << 18).fill_(1)\n"
         "    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - b)\n"
         "print(*faults, '|', aeutils.runtime.describe())\n")
PAGES = (48 << 20) // resource.getpagesize()
# The command line, as `python -m aeutils show` runs it (a command that trains would too).
CLI = "from aeutils.cli.main import main; main(['show', '--results', TABLE])"
glibc = pytest.mark.skipif(runtime._libc() is None,
                           reason="not glibc: the C library's defaults stay")


def _probe(setup: str, tmp_path, **env) -> tuple[int, str]:
    """(rounds that faulted in at least half the block's pages, the allocator settings)."""
    setup = setup.replace("TABLE", repr(str(tmp_path / "absent" / "r.jsonl")))
    out = subprocess.run([sys.executable, "-c", PROBE.replace("SETUP", setup)],
                         capture_output=True, text=True, env={**os.environ, **env}, check=True)
    faults, how = out.stdout.rsplit("|", 1)
    return sum(int(f) > PAGES // 2 for f in faults.split()[-ROUNDS:]), how.strip()


@glibc
def test_importing_aeutils_changes_nothing(tmp_path):
    rounds, how = _probe("pass", tmp_path, AEUTILS_MALLOC="")
    assert how == "not applied"
    assert rounds >= ROUNDS - 2, f"only {rounds} of {ROUNDS} re-allocations faulted the block in"


@glibc
def test_the_command_line_applies_them_and_large_blocks_are_reused(tmp_path):
    rounds, how = _probe(CLI, tmp_path, AEUTILS_MALLOC="")
    assert how.startswith("glibc tuned")
    assert rounds <= ROUNDS // 2, f"{rounds} of {ROUNDS} re-allocations faulted the block in"


@glibc
def test_the_opt_out_keeps_the_churn(tmp_path):
    rounds, how = _probe(CLI, tmp_path, AEUTILS_MALLOC="system")
    assert how.startswith("system defaults")
    assert rounds >= ROUNDS - 2  # so the test above would catch settings not in force


@glibc
@pytest.mark.long(seconds=8)
def test_each_worker_of_a_grid_applies_them(synthetic_folder, tmp_path, monkeypatch):
    """The grid's worker processes tune their own malloc (this process, which only
    imported aeutils, stays as it was) and split the cores' threads."""
    from aeutils.experiments.store import ResultsStore
    from aeutils.experiments.sweep import Grid

    monkeypatch.setenv("AEUTILS_MALLOC", "")
    before = runtime.describe()
    done = Grid("smoke", blocks=["contamination"], max_group=1, workers=2, progress=False,
                dataset_map={"mnist": f"folder:{synthetic_folder}"},
                results=tmp_path / "r.jsonl").run()
    assert [w["number"] for w in done.workers] == [1, 2]
    assert all(w["allocator"].startswith("glibc tuned") for w in done.workers), done.workers
    assert all(w["threads"] == max(1, runtime.cores() // 2) for w in done.workers)
    assert all(w["exit_code"] == 0 for w in done.workers)
    assert done.by_workers == 6 and len(ResultsStore(tmp_path / "r.jsonl").records()) == 12
    assert runtime.describe() == before
