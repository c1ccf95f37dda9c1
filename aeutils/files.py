"""Atomic file writes: the one way aeutils replaces a file on disk.

Caches, score files, numbers files and figures are read by other processes (a grid's
workers, a render beside a grid) and must never be seen half written: each is written
to a temporary name in the same folder, then renamed over the target, which POSIX makes
atomic. On failure (a full disk, a kill) the temporary file is removed, so no torn or
stray file is left behind. A leaf module: it imports nothing from aeutils.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    For writers that want a path (``torch.save``, ``np.save``): whatever they write
    there becomes ``path`` only when the block ends without an exception.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically."""
    with replacing(path) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
