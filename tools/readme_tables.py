"""Rewrite the README's generated blocks from the numbers files that the notebooks wrote.

A generated block sits between ``<!-- generated: NAME ARG -->`` and
``<!-- end generated -->``; NAME is one of :data:`RENDERERS`. So the README's result
tables are never typed by hand: after ``make figures PROFILE=thesis`` run

    python tools/readme_tables.py           # rewrite README.md in place
    python tools/readme_tables.py --check   # exit 1 if README.md is out of date (the tests do)

Every block begins with the ``numbers-from`` marker that ``tests/test_readme_numbers.py``
checks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- generated: (?P<spec>[^>]*?) -->\n)(?P<body>.*?)(<!-- end generated -->)",
                   re.S)


def _fmt(x, places: int = 4) -> str:
    return "" if x is None else f"{x:.{places}f}"


def _config(model, loss) -> str:
    return f"{model}/{loss}" if model else "–"


def thesis_table(dataset: str) -> str:
    """The thesis's best-per-class table beside the ``thesis`` profile's (notebook 04)."""
    path = "figures/thesis/numbers/04_evaluation_numbers.json"
    numbers = json.loads((ROOT / path).read_text())
    rows = numbers.get(dataset, {}).get("thesis_table")
    if not rows:
        return f"*No run of the `thesis` profile on this dataset is stored yet* (`{path}`).\n"
    out = [f"<!-- numbers-from: {path} -->",
           "| class | thesis: config | thesis AUC | thesis acc. | here: config | AUC | Δ AUC "
           "| acc. | Δ acc. | balanced acc. | status |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(
            f"| {r['class']} | {_config(r['thesis_model'], r['thesis_loss'])} "
            f"| {_fmt(r['thesis_auc'])} | {_fmt(r['thesis_accuracy'])} "
            f"| {_config(r['our_model'], r['our_loss'])} | {_fmt(r['our_auc'])} "
            f"| {_fmt(r['delta_auc'])} | {_fmt(r['our_accuracy'])} | {_fmt(r['delta_accuracy'])} "
            f"| {_fmt(r['our_balanced_accuracy'])} | {r['status']} |")
    return "\n".join(out) + "\n"


def progress(profile: str) -> str:
    """How many runs of ``profile`` its shipped store holds, in all and per block (notebook 04)."""
    runs = json.loads((ROOT / f"figures/{profile}/numbers/04_evaluation_numbers.json").read_text())["runs"]
    blocks = ", ".join(f"`{name}` {b['stored']}/{b['runs']}" for name, b in runs["blocks"].items())
    return (f"{runs['stored']} of the {runs['runs']} runs are stored, every one with all its "
            f"checkpoints ({blocks}).\n")


RENDERERS: dict[str, Callable[..., str]] = {"thesis-table": thesis_table, "progress": progress}


def render(text: str) -> str:
    """``text`` with every generated block rewritten."""
    def one(m: re.Match) -> str:
        name, *args = m.group("spec").split()
        if name not in RENDERERS:
            raise SystemExit(f"unknown generated block {name!r}; valid: {', '.join(RENDERERS)}")
        return m.group(1) + RENDERERS[name](*args) + m.group(4)

    return BLOCK.sub(one, text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of date")
    p.add_argument("--readme", default=str(ROOT / "README.md"))
    a = p.parse_args(argv)
    path = Path(a.readme)
    text = path.read_text()
    new = render(text)
    if a.check:
        if new != text:
            print(f"{path} is out of date: run python tools/readme_tables.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(new)
    print(f"{path}: {len(BLOCK.findall(text))} generated blocks rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
