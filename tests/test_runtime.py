"""The allocator settings of aeutils.runtime are in force in every process that imports aeutils."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from aeutils import runtime

# Re-allocate a 48 MiB tensor twenty times in a fresh process that imported aeutils' grid
# path (as every grid and notebook process does; ``import aeutils`` alone is lazy and loads
# no module that allocates), and count the rounds that fault the block's pages in afresh.
# Without the settings every round maps fresh pages (20 of 20, measured); with them the
# block is reused, after a few early rounds whose number depends on what else the process
# allocated meanwhile (0-7 measured, more under load): so rounds are counted, not faults.
ROUNDS = 20
PROBE = ("import resource, torch, aeutils, aeutils.experiments.grid\n"
         "torch.empty(48 << 18).fill_(1)\n"
         "faults = []\n"
         f"for _ in range({ROUNDS}):\n"
         "    b = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
         "    torch.empty(48 << 18).fill_(1)\n"
         "    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - b)\n"
         "print(*faults, '|', aeutils.runtime.describe())\n")
PAGES = (48 << 20) // resource.getpagesize()


def _probe(**env) -> tuple[int, str]:
    """(rounds that faulted in at least half the block's pages, the allocator settings)."""
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         env={**os.environ, **env}, check=True)
    faults, how = out.stdout.split("|", 1)
    return sum(int(f) > PAGES // 2 for f in faults.split()), how.strip()


@pytest.mark.skipif(runtime._libc() is None, reason="not glibc: the C library's defaults stay")
def test_large_blocks_are_reused_not_faulted_in_again():
    rounds, how = _probe(AEUTILS_MALLOC="")
    assert how.startswith("glibc tuned")
    assert rounds <= ROUNDS // 2, f"{rounds} of {ROUNDS} re-allocations faulted the block in"


@pytest.mark.skipif(runtime._libc() is None, reason="not glibc")
def test_the_opt_out_restores_the_churn():
    rounds, how = _probe(AEUTILS_MALLOC="system")
    assert how.startswith("system defaults")
    assert rounds >= ROUNDS - 2  # so the test above would catch settings not in force
