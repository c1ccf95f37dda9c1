"""Executed notebooks as Markdown a reader can browse in the repository.

An HTML export embeds every figure again (base64); here each figure a notebook saved
(its output carries :data:`aeutils.notebook.FIGURE_METADATA`) becomes a link to the PNG
already committed under the figure folder, so a published notebook costs kilobytes.
Tables (pandas' HTML) and printed text are kept; any other image output is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .notebook import FIGURE_METADATA, REPO_ROOT

MAX_TEXT_LINES = 40  # a longer printed output is cut, with a note


def _text(text: str | list[str]) -> str:
    text = "".join(text) if isinstance(text, list) else text
    lines = text.rstrip("\n").splitlines()
    if len(lines) > MAX_TEXT_LINES:
        lines = lines[:MAX_TEXT_LINES] + [f"… ({len(lines) - MAX_TEXT_LINES} more lines)"]
    return "```text\n" + "\n".join(lines) + "\n```"


def _output(out: dict, figures: Path, folder: Path) -> str | None:
    """One output as Markdown, or None when there is nothing worth showing."""
    if out.get("output_type") == "stream":  # warnings (stderr) are not part of the story
        text = "".join(out["text"])
        return _text(text) if out.get("name") != "stderr" and text.strip() else None
    if out.get("output_type") == "error":
        return _text(f"{out['ename']}: {out['evalue']}")
    data, meta = out.get("data", {}), out.get("metadata", {})
    if FIGURE_METADATA in meta:
        png = Path(os.path.relpath(figures / f"{meta[FIGURE_METADATA]}.png", folder))
        return f"![{meta[FIGURE_METADATA]}]({png.as_posix()})"
    for mime in ("text/markdown", "text/html"):
        if mime in data:
            return "".join(data[mime]).strip()
    if "text/plain" in data and not any(m.startswith("image/") for m in data):
        return _text(data["text/plain"])
    return None


def notebook_markdown(path: str | os.PathLike, figures: Path, folder: Path) -> str:
    """The executed notebook ``path`` as Markdown, figures linked relative to ``folder``."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            if "injected-parameters" in cell.metadata.get("tags", []):
                parts.append("Parameters of this run:\n\n```python\n" + cell.source + "\n```")
                continue
            parts.append("```python\n" + cell.source + "\n```")
            parts.extend(p for p in (_output(o, figures, folder) for o in cell.outputs) if p)
    return _portable("\n\n".join(parts) + "\n")


def _portable(text: str) -> str:
    """Machine-specific paths made portable: the checkout's root becomes relative, the
    data folder ``$AEUTILS_DATA``, so a render on another machine gives the same text."""
    from ..data.datasets import data_root

    text = text.replace(f"{data_root().resolve()}/", "$AEUTILS_DATA/")
    return text.replace(f"{REPO_ROOT}/", "")


def publish_notebooks(executed: Sequence[Path], folder: str | os.PathLike,
                      figures: Path) -> list[Path]:
    """Write ``<folder>/<notebook>.md`` for each executed notebook and ``<folder>/README.md``,
    an index with each notebook's title; files are rewritten only when their text changes."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in executed:
        target = folder / f"{Path(path).stem}.md"
        _write_if_changed(target, notebook_markdown(path, figures.resolve(), folder))
        written.append(target)
    index = ["# The notebooks, executed", "",
             f"Rendered from the results behind `{_rel(figures)}` by "
             "`make figures PROFILE=thesis`; figures link the committed PNGs.", ""]
    for page in sorted(folder.glob("[0-9][0-9]_*.md")):
        title = next((ln[2:].strip() for ln in page.read_text(encoding="utf-8").splitlines()
                      if ln.startswith("# ")), page.stem)
        index.append(f"- [{title}]({page.name})")
    _write_if_changed(folder / "README.md", "\n".join(index) + "\n")
    return written


def _rel(path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return Path(path).name


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
