"""The allocator settings of aeutils.runtime are in force in every process that imports aeutils."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from aeutils import runtime

# Re-allocate a 48 MiB tensor ten times in a fresh process that imported aeutils' grid
# path (as every grid and notebook process does; ``import aeutils`` alone is lazy and loads
# no module that allocates), and count the minor page faults. Without the settings every
# round trip maps fresh pages.
PROBE = ("import resource, torch, aeutils, aeutils.grid\n"
         "torch.empty(48 << 18).fill_(1)\n"
         "b = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
         "for _ in range(10): torch.empty(48 << 18).fill_(1)\n"
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - b, "
         "aeutils.runtime.describe())\n")
PAGES = (48 << 20) // resource.getpagesize()


def _probe(**env) -> tuple[int, str]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         env={**os.environ, **env}, check=True)
    faults, how = out.stdout.split(" ", 1)
    return int(faults), how.strip()


@pytest.mark.skipif(runtime._libc() is None, reason="not glibc: the C library's defaults stay")
def test_large_blocks_are_reused_not_faulted_in_again():
    faults, how = _probe(AEUTILS_MALLOC="")
    assert how.startswith("glibc tuned")
    assert faults < 3 * PAGES, f"{faults} page faults for 10 re-allocations of {PAGES} pages"


@pytest.mark.skipif(runtime._libc() is None, reason="not glibc")
def test_the_opt_out_restores_the_churn():
    faults, how = _probe(AEUTILS_MALLOC="system")
    assert how.startswith("system defaults")
    assert faults > 5 * PAGES  # so the test above would catch settings not in force
