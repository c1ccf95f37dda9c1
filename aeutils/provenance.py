"""Which code produced a result: the git commit of the checkout and whether it was dirty.

Records and figures are stamped with :func:`git_state`. "Dirty" means uncommitted
changes to the files that produce numbers or pictures (the library, the notebooks,
``pyproject.toml``), not to result stores or figures, which every run rewrites.
Computed once per process: a long grid keeps running the code it started with.
A copy of a checkout without ``.git`` (a cluster node, a GPU machine) names
its commit in ``AEUTILS_COMMIT``; its dirtiness is then unknown (``None``).
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from . import settings

ROOT = Path(__file__).resolve().parent.parent
CODE_PATHS = ("aeutils", "notebooks", "pyproject.toml")


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=20, cwd=ROOT)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def git_state() -> dict[str, object]:
    """``{"commit": short sha or "unknown", "dirty": bool or None}`` for this checkout."""
    head = _git("rev-parse", "--short", "HEAD")
    if not head:
        return {"commit": settings.get("AEUTILS_COMMIT") or "unknown", "dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
    return {"commit": head.strip(), "dirty": None if status is None else bool(status.strip())}


def stamp() -> str:
    """The commit, with ``+dirty`` when the code had uncommitted changes."""
    s = git_state()
    return f"{s['commit']}+dirty" if s["dirty"] else str(s["commit"])
