"""The results store: one tidy record per (configuration, checkpoint epoch).

Records live in a JSON-Lines file (``AEUTILS_RESULTS``, default
``results/results.jsonl``). Each run's records are appended with a single
``write`` of whole lines followed by ``fsync``; a run killed mid-write leaves
at most one partial last line, which readers ignore and the next writer cuts
off. So the table is never corrupted and a crash loses at most the run in
flight. Records are keyed by :meth:`RunConfig.key` plus ``epoch``; merging and
re-appending are idempotent (a (key, epoch) pair is stored once).

Beside the table, ``scores/<key>-e<epoch>.npz`` keeps the test scores and
labels of each record (for ROC curves and histograms; at a run's last epoch also
the reconstructions of a few fixed test images), and ``models/`` the weights of
runs asked to keep them. ``keep_scores`` decides how much: ``"all"`` (float32, every
checkpoint: a working store), ``"final"`` (float16, last epoch of each run only: a
store that is shipped in the repository, see ``results/<profile>/``) or ``"none"``.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import socket
from collections.abc import Collection, Iterable
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: appends are still single writes, but unlocked
    fcntl = None

import numpy as np
import pandas as pd

from .. import settings
from ..config import RunConfig
from ..errors import StoreError
from ..files import atomic_write
from ..provenance import ROOT
from ..registry import ConfigError


def default_path() -> Path:
    return settings.path("AEUTILS_RESULTS")


def _parse_lines(blob: bytes) -> tuple[list[dict], int]:
    """The records of whole lines, and how many non-blank lines are not records (not UTF-8,
    not JSON, or without ``key`` and ``epoch``): skipped, and counted for the user."""
    out, skipped = [], 0
    for line in blob.split(b"\n"):
        if not line.strip():
            continue
        try:
            r = json.loads(line.decode("utf-8"))
            int(r["epoch"]), str(r["key"])
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError, KeyError, ValueError):
            skipped += 1
            continue
        out.append(r)
    return out, skipped


# errno → (what happened, what to do), for the one-line errors of a table that cannot be written
_WRITE_ADVICE = {
    errno.ENOSPC: ("the disk is full", "free space, or pass --results to a table on another disk"),
    errno.EDQUOT: ("the disk quota is exceeded",
                   "free space, or pass --results to a table on another disk"),
    errno.EROFS: ("read-only file system", "pass --results to a writable path"),
    errno.EACCES: ("permission denied (read-only folder)", "pass --results to a writable path"),
    errno.EPERM: ("operation not permitted (read-only folder)",
                  "pass --results to a writable path"),
}


@contextmanager
def writing(table: Path):
    """Turn an ``OSError`` while writing the table ``table`` or a file beside it into a
    :class:`StoreError` of one line naming the file and what to do. Nothing is torn: the
    table is only ever appended whole lines (see the module doc)."""
    try:
        yield
    except StoreError:
        raise
    except OSError as exc:
        what, advice = _WRITE_ADVICE.get(exc.errno, (exc.strerror or str(exc),
                                                      "pass --results to another path"))
        where = f"results table {table}"
        if exc.filename and Path(exc.filename) != Path(table):
            where += f" (writing {exc.filename})"
        raise StoreError(f"cannot write {where}: {what}; {advice}") from None


class ResultsStore:
    """Append-only table of run records on disk (see module doc)."""

    KEEP_SCORES = ("all", "final", "none")

    def __init__(self, path: str | os.PathLike | None = None, keep_scores: str = "all") -> None:
        if keep_scores not in self.KEEP_SCORES:
            raise ConfigError(f"unknown keep_scores {keep_scores!r}; valid choices: "
                              f"{', '.join(self.KEEP_SCORES)}")
        self.path = Path(path) if path is not None else default_path()
        if self.path.is_dir():
            raise ConfigError(f"the results table {self.path} is a directory; give a file "
                              f"path such as {self.path / 'results.jsonl'}")
        self.keep_scores = keep_scores
        self._records: list[dict] = []
        self._index: dict[str, set[int]] = {}
        self._stamp: tuple | None = None
        self.skipped = 0  # lines of the table that are not records, at the last read
        self.skipped_merging = 0  # such lines in the tables of the last merge

    # --- reading -------------------------------------------------------------------
    def _refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._records, self._index, self._stamp = [], {}, None
            return
        stamp = (st.st_size, st.st_mtime_ns)
        if stamp == self._stamp:
            return
        try:
            blob = self.path.read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read results table {self.path}: {exc.strerror or exc}; "
                             "check its permissions, or pass --results to another table") from None
        if not blob.endswith(b"\n"):
            blob = blob[: blob.rfind(b"\n") + 1]  # ignore a partial last line
        self._records, self._index = [], {}
        records, self.skipped = _parse_lines(blob)
        for r in records:
            self._add(r)
        self._stamp = stamp

    def _add(self, r: dict) -> bool:
        epochs = self._index.setdefault(r["key"], set())
        if int(r["epoch"]) in epochs:
            return False
        epochs.add(int(r["epoch"]))
        self._records.append(r)
        return True

    def records(self) -> list[dict]:
        self._refresh()
        return list(self._records)

    def table(self) -> pd.DataFrame:
        """All records as a DataFrame (one row per configuration and epoch)."""
        return pd.DataFrame(self.records())

    def epochs_done(self, key: str) -> set[int]:
        self._refresh()
        return set(self._index.get(key, ()))

    def missing_epochs(self, config: RunConfig) -> list[int]:
        """Checkpoint epochs of ``config`` not yet stored."""
        done = self.epochs_done(config.key())
        return [e for e in config.eval_epochs if e not in done]

    def has(self, config: RunConfig) -> bool:
        return not self.missing_epochs(config)

    def get(self, config: RunConfig, epoch: int | None = None) -> list[dict]:
        """Stored records of ``config`` (at ``epoch`` only, if given), by epoch."""
        key = config.key()
        rows = [r for r in self.records() if r["key"] == key
                and (epoch is None or int(r["epoch"]) == epoch)]
        return sorted(rows, key=lambda r: r["epoch"])

    # --- writing -------------------------------------------------------------------
    def append(self, records: Iterable[dict]) -> int:
        """Atomically append records not yet stored; returns how many were new."""
        self._refresh()
        new = [r for r in records if int(r["epoch"]) not in self._index.get(r["key"], set())]
        seen: set[tuple[str, int]] = set()
        new = [r for r in new if not ((r["key"], int(r["epoch"])) in seen
                                      or seen.add((r["key"], int(r["epoch"]))))]
        if not new:
            return 0
        blob = "".join(json.dumps(r, sort_keys=True, default=_json_default) + "\n" for r in new)
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    _truncate_partial_tail(fd)
                    start = os.lseek(fd, 0, os.SEEK_END)
                    try:
                        _write_all(fd, blob.encode())
                        os.fsync(fd)
                    except OSError:
                        with contextlib.suppress(OSError):  # a full disk leaves no half line
                            os.ftruncate(fd, start)
                        raise
                finally:
                    os.close(fd)
        for r in new:
            self._add(r)
        self._stamp = None  # re-read lazily; other processes may append too
        return len(new)

    def merge(self, paths: Iterable[str | os.PathLike],
              keys: Collection[str] | None = None) -> int:
        """Append every record of the stores at ``paths`` (and their score files), or only
        those of the configurations ``keys``; returns how many were new. Lines of theirs
        that are not records are counted in :attr:`skipped_merging`; a table with no
        record at all is refused."""
        paths = list(paths)
        for p in paths:
            if not Path(p).is_file():
                raise ConfigError(f"cannot merge {p}: no such results table")
        added = self.skipped_merging = 0
        for p in paths:
            other = ResultsStore(p)
            records = other.records()
            if other.skipped and not records:
                raise StoreError(f"cannot merge {p}: none of its {other.skipped} line(s) is a "
                                 "results record (not JSON, or no key and epoch)")
            if keys is not None:
                records = [r for r in records if r["key"] in keys]
            added += self.append(records)
            self.skipped_merging += other.skipped
            src = other.path.parent / "scores"
            if src.is_dir() and src.resolve() != self.scores_dir.resolve():
                with writing(self.path):
                    self.scores_dir.mkdir(parents=True, exist_ok=True)
                    for f in src.glob("*.npz"):
                        if keys is not None and f.name.rsplit("-e", 1)[0] not in keys:
                            continue
                        dst = self.scores_dir / f.name
                        if not dst.exists():
                            atomic_write(dst, f.read_bytes())
        return added

    # --- concurrency -----------------------------------------------------------------
    @contextmanager
    def _locked(self):
        """An exclusive ``flock`` on ``<table>.lock`` (no-op where fcntl is missing): two
        processes never interleave a tail cut and an append."""
        if fcntl is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock, also when the process dies

    @property
    def claims_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".claims")

    @property
    def snapshots_dir(self) -> Path:
        """Where groups in training keep their snapshots (``aeutils.experiment``)."""
        return self.path.with_name(self.path.name + ".snapshots")

    @contextmanager
    def claim(self, keys: Iterable[str]):
        """Claim runs before training them; yields the keys this process may train.

        A claim is a file ``<table>.claims/<key>`` created exclusively, holding the
        owner's machine (host name and boot id) and pid. Keys claimed by another live
        process are left out (that process trains them); a claim whose owner died
        (SIGKILL, crash) is taken over.
        Claims are released on exit. So two writers on one store (two shards, a grid
        and a notebook) never train the same configuration at once.
        """
        mine: list[str] = []
        try:
            with writing(self.path):
                self.claims_dir.mkdir(parents=True, exist_ok=True)
                with self._locked():
                    for key in dict.fromkeys(keys):
                        if self._try_claim(key):
                            mine.append(key)
            yield set(mine)
        finally:
            for key in mine:
                with contextlib.suppress(FileNotFoundError):
                    (self.claims_dir / key).unlink()

    def _try_claim(self, key: str) -> bool:
        path = self.claims_dir / key
        me = f"{_machine()} {os.getpid()}"
        for _ in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    owner = path.read_text().split()
                except FileNotFoundError:
                    continue
                if len(owner) == 2 and not _alive(*owner):
                    path.unlink(missing_ok=True)  # its owner died: take the claim over
                    continue
                return False
            with os.fdopen(fd, "w") as f:
                f.write(me)
            return True
        return False

    # --- side files ----------------------------------------------------------------
    @property
    def scores_dir(self) -> Path:
        return self.path.parent / "scores"

    @property
    def models_dir(self) -> Path:
        return self.path.parent / "models"

    def save_scores(self, key: str, epoch: int, scores, labels, final: bool = True,
                    **arrays) -> None:
        """Keep the test scores (and ``arrays``) of (key, epoch) as ``keep_scores`` says;
        ``final`` marks a run's last epoch."""
        import io

        if self.keep_scores == "none" or (self.keep_scores == "final" and not final):
            return
        dtype = np.float16 if self.keep_scores == "final" else np.float32
        buf = io.BytesIO()
        np.savez_compressed(buf, scores=np.asarray(scores, dtype=dtype),
                            labels=np.asarray(labels, dtype=np.int8), **arrays)
        with writing(self.path):
            self.scores_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(self.scores_dir / f"{key}-e{epoch}.npz", buf.getvalue())

    def load_scores(self, key: str, epoch: int) -> dict[str, np.ndarray]:
        """Test scores and labels stored for (key, epoch).

        With ``$AEUTILS_SCORES_READ`` set, the file's name is appended to that file: a
        render of the figures so records which score files they need (see
        :meth:`prune_scores`)."""
        path = self.scores_dir / f"{key}-e{epoch}.npz"
        if not path.exists():
            raise FileNotFoundError(f"no stored scores for {key} at epoch {epoch} ({path})")
        trace = settings.get("AEUTILS_SCORES_READ")
        if trace:
            with open(trace, "a", encoding="utf-8") as f:
                f.write(path.name + "\n")
        with np.load(path) as z:
            return {k: z[k] for k in z.files}

    def score_files(self) -> list[tuple[Path, str, int]]:
        """Every stored score file as (path, key, epoch), named as :meth:`save_scores` names them."""
        out = []
        for path in sorted(self.scores_dir.glob("*.npz")):
            key, _, epoch = path.stem.rpartition("-e")
            out.append((path, key, int(epoch)))
        return out

    def orphan_score_files(self) -> list[Path]:
        """Score files that no record names: a group in training writes them at each
        checkpoint but appends its records only when it ends (never shipped alone)."""
        stored = {(r["key"], int(r["epoch"])) for r in self.records()}
        return [f for f, key, epoch in self.score_files() if (key, epoch) not in stored]

    def shippable(self) -> tuple[list[Path], list[Path]]:
        """(the table and the score files its records name, score files of runs still in
        training): what to commit of a store whose grid may still run. A group in training
        writes its score files at each checkpoint but appends its records only when it
        ends; those files wait for a later commit (a shipped score file needs its record)."""
        pending = self.orphan_score_files()
        return [self.path, *(f for f, _, _ in self.score_files() if f not in pending)], pending

    def prune_scores(self, keep: set[str], written_before: float) -> tuple[int, int]:
        """Delete the score files not named in ``keep`` and last written before
        ``written_before`` (a time.time() stamp: files a running grid writes meanwhile
        stay). Returns (files removed, bytes freed).

        For a store to ship: ``keep`` is what a render of every figure read. Records
        are untouched, so the store still resumes and compares; a figure that picks a
        best run only ever picks a newer one as the grid grows, and new runs keep their
        files until the next render has seen them.
        """
        removed = freed = 0
        if not self.scores_dir.exists():
            return 0, 0
        for path in sorted(self.scores_dir.glob("*.npz")):
            st = path.stat()
            if path.name not in keep and st.st_mtime < written_before:
                path.unlink()
                removed, freed = removed + 1, freed + st.st_size
        return removed, freed


def on_accelerator(record: dict) -> bool:
    """Whether a record's run trained on an accelerator (``cuda``, ``cuda:1``, ``mps``);
    records from before the ``device`` field trained on the CPU."""
    return str(record.get("device") or "cpu").split(":")[0] != "cpu"


def shipped_path(profile: str) -> Path:
    """Where the repository ships the results store of ``profile``."""
    return ROOT / "results" / profile / "results.jsonl"


def compare_stores(mine: ResultsStore, shipped: ResultsStore, tolerance: float = 1e-3,
                   metric: str = "auc") -> dict:
    """Configuration by configuration (key and epoch), ``metric`` of ``mine`` against
    ``shipped``: how many agree within ``tolerance``, which differ, which are missing.

    The same code on the same kind of machine gives the same numbers up to float
    noise (thread scheduling, BLAS kernels), far below the default tolerance.
    """
    theirs = {(r["key"], int(r["epoch"])): r for r in shipped.records()}
    ours = {(r["key"], int(r["epoch"])): r for r in mine.records()}
    both = sorted(set(theirs) & set(ours))
    diffs = {k: abs(float(ours[k][metric]) - float(theirs[k][metric])) for k in both}
    differ = [k for k, d in diffs.items() if not d <= tolerance]
    return {"compared": len(both), "agree": len(both) - len(differ),
            "max_abs_diff": max(diffs.values(), default=0.0), "tolerance": tolerance,
            "differ": [{"key": k, "epoch": e, "model": ours[(k, e)]["model"],
                        "loss": ours[(k, e)].get("loss"), "class": ours[(k, e)]["normal_class"],
                        "mine": ours[(k, e)][metric], "shipped": theirs[(k, e)][metric]}
                       for k, e in differ],
            "only_shipped": len(set(theirs) - set(ours)), "only_mine": len(set(ours) - set(theirs))}


@functools.lru_cache(maxsize=1)
def _machine() -> str:
    """This machine in a claim: host name and boot id, since containers and copied
    checkouts often share a host name (``vm``, ``localhost``) while their pids do not."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/{boot}"


def _alive(host: str, pid: str) -> bool:
    """Whether the claim owner ``pid`` on ``host`` still runs (other machines: assume so).
    A claim written before claims named the boot (host name alone) is checked here."""
    if host not in (_machine(), socket.gethostname()):
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a write may be short)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(f"write to the results table returned {n}")
        view = view[n:]


def _truncate_partial_tail(fd: int) -> None:
    """Cut a partial last line left by a killed writer, so the next line starts clean."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return
    chunk = min(size, 1 << 20)
    os.lseek(fd, size - chunk, os.SEEK_SET)
    tail = os.read(fd, chunk)
    if tail.endswith(b"\n"):
        return
    cut = tail.rfind(b"\n")
    os.ftruncate(fd, size - chunk + cut + 1 if cut >= 0 else size - chunk)




def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
