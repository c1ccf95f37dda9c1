"""Run the notebooks in order with papermill, for one profile, and export them to HTML.

``reproduce()`` injects ``profile``, ``mnist``, ``cifar10``, ``results``,
``figures`` and ``numbers_dir`` into each notebook's ``parameters`` cell, runs
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
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path


class NotebookError(RuntimeError):
    """A notebook failed; the message names it, the cell and the error, on one line."""


def repo_root() -> Path:
    """The checkout holding the ``aeutils`` package (its parent folder)."""
    return Path(__file__).resolve().parent.parent


def notebook_paths(only: Sequence[str] | None = None) -> list[Path]:
    """``notebooks/*.ipynb`` in name order (only names containing one of ``only``)."""
    paths = sorted((repo_root() / "notebooks").glob("*.ipynb"))
    if only:
        paths = [p for p in paths if any(o in p.name for o in only)]
    return paths


def _absolute(path: str | os.PathLike) -> str:
    return str(Path(path).expanduser().resolve())


@contextmanager
def _env(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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


def reproduce(profile: str = "quick", mnist: str = "mnist", cifar10: str = "cifar10",
              only: Sequence[str] | None = None, figures: str = "figures",
              output: str = "build/notebooks", results: str | None = None) -> dict[str, float]:
    """Execute the notebooks for ``profile``; returns notebook name → wall seconds.

    Paths are taken relative to the caller's working directory and passed to the
    kernels as absolute paths (the kernels run in the repository root). Dataset
    names are passed unchanged: they are part of the results' configuration keys.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .grid import profile_blocks

    profile_blocks(profile)  # an unknown profile fails here, with the valid choices
    paths = notebook_paths(only)
    if not paths:
        raise NotebookError(f"no notebooks under {repo_root() / 'notebooks'} match {only!r}")
    out_dir = Path(output).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    params = {"profile": profile, "mnist": mnist, "cifar10": cifar10,
              "results": _absolute(results) if results else None,
              "figures": _absolute(figures), "numbers_dir": str(out_dir)}
    env = {"AEUTILS_FIGURES": params["figures"]}
    if os.environ.get("AEUTILS_DATA"):
        env["AEUTILS_DATA"] = _absolute(os.environ["AEUTILS_DATA"])
    timings: dict[str, float] = {}
    with _env(**env):
        for path in paths:
            executed = out_dir / path.name
            t0 = time.perf_counter()
            try:
                papermill.execute_notebook(str(path), str(executed), parameters=params,
                                           kernel_name="python3", cwd=str(repo_root()),
                                           progress_bar=False)
            except PapermillExecutionError as exc:
                _export_html(executed)
                raise NotebookError(
                    f"{path.name} failed in cell [{exc.exec_count}]: {exc.ename}: "
                    f"{_one_line(exc.evalue)} (executed copy: {executed})") from None
            finally:
                timings[path.name] = round(time.perf_counter() - t0, 2)
                (out_dir / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")
            _export_html(executed)
            print(f"{path.name:<24} {timings[path.name]:8.1f} s", flush=True)
    print(f"{'total':<24} {sum(timings.values()):8.1f} s  -> {out_dir}", flush=True)
    return timings
