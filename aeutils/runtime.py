"""Process-wide settings that make CPU training fast, applied by the entry points.

**glibc malloc keeps its memory.** A training step allocates and frees tensors of a
few MiB (activations, gradients of a K-member ensemble). glibc serves blocks above
its mmap threshold with a fresh ``mmap`` and returns them with ``munmap`` on free, and
it trims the heap top back to the OS; every step then faults the same pages in
again. Measured on a 2-core VM: about a quarter of the CPU time of a conv-AE step
went to the kernel's page-fault handler (5.4 M minor faults for 20 steps), and with
the settings below the same steps ran 1.5–2.1× faster. So :func:`tune_malloc` sets:

- ``M_MMAP_MAX`` = 0: no block is served by ``mmap``, so every block comes from the
  heap and is reused (a threshold alone is not enough: glibc caps it at 32 MiB, and a
  conv-AE step on CIFAR-10 allocates 42 MiB activations; with ``M_MMAP_MAX`` = 0 its
  training ran 1.2× and its scoring 2.7× faster than with the 32 MiB threshold);
- ``M_MMAP_THRESHOLD`` = 32 MiB, for the case that mmap is re-enabled by the environment;
- ``M_TRIM_THRESHOLD`` = 2 GiB − 1: the heap top is not handed back after every step.

The cost is that freed memory stays with the process (up to its peak use), which is a
choice for the process, not for a library it imports: so ``import aeutils`` changes
nothing, and the entry points call :func:`tune_malloc` (the command line, the notebooks'
``notebook_setup``, each worker process of a grid, the benchmarks and the studies). A
script of yours that trains calls it once, first. Other C libraries (musl, macOS,
Windows) are left alone; :func:`describe` says which applied. ``AEUTILS_MALLOC=system``
keeps the C library's defaults (for benchmarks that compare both).

Denormals are flushed to zero by the training code itself, which needs it for its results'
speed (:func:`aeutils.detectors.training.configure_device`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform

from . import settings

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 2**31 - 1

_state = {"malloc": "not applied"}


def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    return lib if hasattr(lib, "gnu_get_libc_version") else None  # only glibc has it


def tune_malloc() -> bool:
    """Apply the glibc settings above to this process, once, before it allocates much;
    True if they are in force."""
    if _state["malloc"] == "glibc tuned":
        return True
    if settings.get("AEUTILS_MALLOC") == "system":
        _state["malloc"] = "system defaults (AEUTILS_MALLOC=system)"
        return False
    lib = _libc()
    if lib is None:
        _state["malloc"] = "system defaults (not glibc)"
        return False
    lib.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = all(lib.mallopt(param, value) for param, value in (
        (M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_MMAP_MAX, 0)))
    _state["malloc"] = "glibc tuned (no mmap, no trim)" if ok else \
        "system defaults (mallopt refused)"
    return ok


def describe() -> str:
    """Which allocator settings are in force, in words."""
    return _state["malloc"]


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The processor's model name, as records name it: float results on a CPU depend on
    which kernels its instruction set selects, so two hosts of "the same" VM type can give
    runs of one key that differ by float noise."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def cores() -> int:
    """CPU cores this process may run on (its affinity where the OS says, else all)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
