"""Run the notebooks in order with papermill, for one profile, and export them to HTML.

``reproduce()`` injects ``profile``, ``datasets`` (a list of logical names or
``logical=actual``), ``results``, ``figures`` (numbers files go to ``<figures>/numbers``,
committed with the figures, so every number the documents quote is in a file a notebook
wrote), ``train`` and ``progress`` into each notebook's ``parameters`` cell, runs
it with the repository root as working directory, writes the executed copy
and its HTML export to ``output`` (default ``build/notebooks/``), prints its wall time and records all
times in ``timings.json`` there. A failing notebook stops the batch with a
:class:`NotebookError` whose one-line message names the notebook and the cell.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

from .. import settings
from .notebook import DEFAULT_DATASETS, REPO_ROOT, dataset_map


class NotebookError(RuntimeError):
    """A notebook failed; the message names it, the cell and the error, on one line."""


def repo_root() -> Path:
    """The checkout holding the ``aeutils`` package (its parent folder)."""
    return REPO_ROOT


def notebook_paths(only: Sequence[str] | None = None) -> list[Path]:
    """``notebooks/*.ipynb`` in name order (only names containing one of ``only``)."""
    paths = sorted((repo_root() / "notebooks").glob("*.ipynb"))
    if only:
        paths = [p for p in paths if any(o in p.name for o in only)]
    return paths


def _absolute(path: str | os.PathLike) -> str:
    return str(Path(path).expanduser().resolve())


def _export_html(notebook: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    exporter.log.setLevel(logging.ERROR)  # not "alternative text is missing" for every plot
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    html = notebook.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html


def _one_line(text: object) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else ""


def _resolved(datasets: Iterable[str] | str) -> dict[str, str]:
    """Logical name → what the kernels load: resolved here (offline CIFAR-10 copy), with
    folders made absolute (relative to the caller; the kernels run elsewhere)."""
    from ..data.datasets import FOLDER_PREFIX, resolve_dataset

    out = {}
    for logical, actual in dataset_map(datasets).items():
        actual = resolve_dataset(actual)
        if actual.startswith(FOLDER_PREFIX):
            actual = FOLDER_PREFIX + _absolute(actual[len(FOLDER_PREFIX):])
        out[logical] = actual
    return out


def _dataset_params(datasets: Iterable[str] | str) -> list[str]:
    """The ``datasets`` parameter for the kernels: ``logical=actual`` entries (:func:`_resolved`)."""
    return [logical if actual == logical else f"{logical}={actual}"
            for logical, actual in _resolved(datasets).items()]


def _execute(path: Path, executed: Path, params: dict) -> None:
    """Run one notebook with papermill; a failure becomes a one-line :class:`NotebookError`."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        declared = papermill.inspect_notebook(str(path))  # no "unknown parameter"
        papermill.execute_notebook(
            str(path), str(executed), kernel_name="python3",
            parameters={k: v for k, v in params.items() if k in declared},
            cwd=str(repo_root()), progress_bar=False,
            # the kernel's own log (e.g. "running over TCP without encryption",
            # irrelevant for a local batch run) stays out of the terminal
            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except PapermillExecutionError as exc:
        _export_html(executed)
        raise NotebookError(
            f"{path.name} failed in cell [{exc.exec_count}]: {exc.ename}: "
            f"{_one_line(exc.evalue)} (executed copy: {executed})") from None


def reproduce(profile: str = "quick", datasets: Iterable[str] | str = DEFAULT_DATASETS,
              only: Sequence[str] | None = None, figures: str = "figures",
              output: str = "build/notebooks", results: str | None = None,
              render: bool = False, prune: bool = False,
              publish: str | None = None) -> dict[str, float]:
    """Execute the notebooks for ``profile``; returns notebook name → wall seconds.

    *Reproduce* (default): the notebooks train what the user's results store lacks;
    at the end, if the repository ships a store for ``profile`` (``results/<profile>/``),
    the runs both stores hold are compared and a verdict printed and written to
    ``<figures>/numbers/reproduction_verdict_numbers.json``
    (:func:`aeutils.experiments.verdict.compare`). *Render* (``render=True``): the notebooks
    read the
    shipped store (or ``results``) and train nothing, so every figure and table of a
    published profile is redrawn in minutes.

    ``datasets``: logical names or ``logical=actual`` (:func:`aeutils.notebook.dataset_map`).
    ``prune=True`` (with ``render``, all notebooks) then deletes the store's score files
    that no figure read. ``publish``: a folder that receives a Markdown copy of each
    executed notebook whose figures link the PNGs under ``figures`` (:mod:`aeutils.publish`).
    Paths are taken relative to the caller's working directory and passed to the
    kernels as absolute paths (the kernels run in the repository root).
    """
    from ..experiments.profiles import PROFILES
    from ..registry import choice_error

    if profile not in PROFILES:  # checked before the slow imports below, as are the others
        raise choice_error("profile", profile, PROFILES)
    dataset_map(datasets)  # a malformed entry fails here too, before papermill
    if prune and (not render or only):
        raise NotebookError("pruning needs a render of every notebook: give --render and "
                            "no --only")
    paths = notebook_paths(only)
    if not paths:
        raise NotebookError(f"no notebooks under {repo_root() / 'notebooks'} match {only!r}")
    from ..experiments.store import shipped_path

    out_dir = Path(output).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    shipped = shipped_path(profile)
    if render:
        results = _render_store(profile, datasets, results, shipped)
    params = {"profile": profile, "datasets": _dataset_params(datasets),
              "results": _absolute(results) if results else None,
              "figures": _absolute(figures), "train": not render, "progress": False}
    started = time.time()
    timings = _run_all(paths, params, out_dir, prune, every_notebook=not only)
    _summary(timings, out_dir, Path(params["figures"]))
    if prune:
        _prune(results, out_dir, started)
    if publish:
        from .publish import publish_notebooks

        written = publish_notebooks([out_dir / p.name for p in paths], publish,
                                    Path(params["figures"]))
        print(f"published {len(written)} notebooks as Markdown in {publish}", flush=True)
    if not render and shipped.exists():
        _report_comparison(results, shipped, Path(params["figures"]))
    return timings


def _render_store(profile: str, datasets: Iterable[str] | str, results: str | None,
                  shipped: Path) -> str:
    """The store a render reads (``results``, else the shipped one), checked (:func:`check_render`)."""
    if not results:
        if not shipped.exists():
            raise NotebookError(f"no shipped results for profile {profile!r} ({shipped}); "
                                f"render a store of your own with --results")
        results = str(shipped)
    check_render(profile, datasets, results)
    return results


def check_render(profile: str, datasets: Iterable[str] | str, results: str | None) -> None:
    """Before a render: the store holds runs of ``profile`` on ``datasets`` and every score
    file of it opens; otherwise a one-line :class:`NotebookError` that names what is missing
    or damaged and what to do, instead of an error deep inside a notebook."""
    from ..experiments.grid import profile_configs
    from ..experiments.store import ResultsStore

    store = ResultsStore(results)
    train = f"train them first (make reproduce PROFILE={profile})"
    if not store.path.exists():
        raise NotebookError(f"no results table at {store.path}: render the store that holds "
                            f"the {profile} runs (--results), or {train}")
    resolved = _resolved(datasets)
    wanted = {c.key() for c in profile_configs(profile, resolved)}
    records = store.records()
    if not wanted & {r["key"] for r in records}:
        held = sorted({str(r.get("dataset_label") or r.get("dataset")) for r in records})
        raise NotebookError(
            f"the results store {store.path} holds none of the {len(wanted)} runs of profile "
            f"{profile!r} on {', '.join(resolved.values())} (it holds {len(records)} records"
            f"{' on ' + ', '.join(held) if held else ''}): render the store they were "
            f"trained into (--results), or {train}")
    damaged = damaged_score_files(store)
    if damaged:
        path, why = damaged[0]
        raise NotebookError(
            f"{len(damaged)} score file(s) of {store.path} cannot be read, e.g. {path} "
            f"({why}): restore them from where the store came from (a shipped store: "
            f"git checkout -- {store.scores_dir}), or delete them and retrain their runs")


def damaged_score_files(store) -> list[tuple[Path, str]]:
    """The store's score files that do not open as the archives it writes, each with why."""
    import zipfile

    damaged = []
    for path, _, _ in store.score_files():
        try:
            with zipfile.ZipFile(path) as z:
                bad = z.testzip()
            if bad is not None:
                damaged.append((path, f"checksum of {bad} wrong"))
        except (OSError, zipfile.BadZipFile) as exc:
            damaged.append((path, f"{type(exc).__name__}: {exc}"))
    return damaged


def _run_all(paths: list[Path], params: dict, out_dir: Path, prune: bool,
             every_notebook: bool = False) -> dict[str, float]:
    """Execute ``paths`` in order, tailing the kernels' progress; times in ``timings.json``.
    ``every_notebook``: afterwards drop the figures that none of them saved."""
    progress_file = out_dir / "progress.log"
    progress_file.write_text("")
    saved = out_dir / "figures-saved.txt"
    saved.write_text("")
    env = {"AEUTILS_FIGURES": params["figures"], "AEUTILS_PROGRESS_FILE": str(progress_file),
           "AEUTILS_FIGURES_SAVED": str(saved)}
    if prune:
        (out_dir / "scores-read.txt").write_text("")
        env["AEUTILS_SCORES_READ"] = str(out_dir / "scores-read.txt")
    if settings.given("AEUTILS_DATA"):
        from ..data.catalog import data_root

        env["AEUTILS_DATA"] = str(data_root())
    timings: dict[str, float] = {}
    with settings.overridden(**env):
        for i, path in enumerate(paths, 1):
            executed = out_dir / path.name
            t0 = time.perf_counter()
            print(f"[{time.strftime('%H:%M:%S')}] notebook {i}/{len(paths)}: {path.name} ...",
                  flush=True)
            try:
                with _tail(progress_file, prefix=f"  {path.stem}: "):
                    _execute(path, executed, params)
            finally:
                timings[path.name] = round(time.perf_counter() - t0, 2)
                (out_dir / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")
            _export_html(executed)
            print(f"[{time.strftime('%H:%M:%S')}] {path.name} done in "
                  f"{timings[path.name]:.1f} s", flush=True)
    if every_notebook:
        from ..plots import drop_figures

        dropped = drop_figures(set(saved.read_text().split()), params["figures"])
        if dropped:
            print(f"dropped {len(dropped)} figures no notebook drew: {', '.join(dropped)}",
                  flush=True)
    return timings


def _prune(results: str | None, out_dir: Path, started: float) -> None:
    """Delete the store's score files that no figure of this render read."""
    from ..experiments.store import ResultsStore

    store = ResultsStore(results)
    keep = set((out_dir / "scores-read.txt").read_text().split())
    removed, freed = store.prune_scores(keep, started)
    print(f"pruned {store.scores_dir}: {removed} score files no figure read removed "
          f"({freed / 1e6:.1f} MB), {len(keep)} kept", flush=True)


@contextmanager
def _tail(path: Path, prefix: str = "", every: float = 1.0):
    """Print lines appended to ``path`` while the block runs (progress from a kernel)."""
    import threading

    stop = threading.Event()
    offset = path.stat().st_size if path.exists() else 0

    def follow():
        nonlocal offset
        while True:
            done = stop.wait(every)
            with open(path, encoding="utf-8") as f:
                f.seek(offset)
                chunk = f.read()
                offset = f.tell()
            for line in chunk.splitlines():
                print(prefix + line, flush=True)
            if done:
                return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _summary(timings: dict[str, float], out_dir: Path, figures: Path) -> None:
    """Time per notebook, what was written, and where."""
    from ..plots import read_manifest

    print(f"\n{'notebook':<24} {'seconds':>8}")
    for name, seconds in timings.items():
        print(f"{name:<24} {seconds:8.1f}")
    print(f"{'total':<24} {sum(timings.values()):8.1f}")
    tables = sorted((figures / "tables").glob("*.md")) if (figures / "tables").is_dir() else []
    print(f"figures: {len(read_manifest(figures))} (PNG + PDF) in {figures}; tables: "
          f"{len(tables)} (Markdown + LaTeX) in {figures / 'tables'}")
    print(f"numbers files (every number the documents quote): {figures / 'numbers'}")
    print(f"executed notebooks (.ipynb + .html): {out_dir}", flush=True)


VERDICT = "reproduction_verdict"  # <figures>/numbers/reproduction_verdict_numbers.json


def _report_comparison(results: str | None, shipped: Path, figures: Path) -> None:
    """Print the verdict on the user's store against the shipped one (three levels, the
    one-line verdict first: :func:`aeutils.experiments.verdict.compare`) and write it to
    ``<figures>/numbers/reproduction_verdict_numbers.json``."""
    from ..experiments.store import ResultsStore
    from ..experiments.verdict import compare
    from ..report import write_numbers
    from .notebook import numbers_folder

    mine = ResultsStore(results)
    if mine.path.resolve() == shipped.resolve():
        return
    verdict = compare(mine, ResultsStore(shipped))
    print("\n".join(verdict.lines), flush=True)
    write_numbers(verdict.numbers, VERDICT, numbers_folder(figures))
