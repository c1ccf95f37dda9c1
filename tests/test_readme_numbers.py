"""Every number in a README results table is in a numbers file that code wrote.

A table is checked when a marker ``<!-- numbers-from: path [path …] -->`` stands on
the line before it (paths relative to the repository root: JSON files, or folders of
them). Every decimal number in the table (two or more decimals) must equal, at the
printed precision, some number in those files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"<!--\s*numbers-from:\s*(.+?)\s*-->")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+\.\d{2,}(?![\w.])")


def _json_numbers(value) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _json_numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in _json_numbers(v)]
    return []


def _files(spec: str) -> list[Path]:
    out = []
    for part in spec.split():
        p = ROOT / part
        out.extend(sorted(p.glob("*.json")) if p.is_dir() else [p])
    return out


def checked_tables(text: str) -> list[tuple[str, list[str]]]:
    """(marker spec, table lines) for every marked table of a Markdown text."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = MARKER.search(line)
        if not m:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("|"):
            j += 1
        table = []
        while j < len(lines) and lines[j].startswith("|"):
            table.append(lines[j])
            j += 1
        out.append((m.group(1), table))
    return out


def missing_numbers(text: str) -> list[str]:
    problems = []
    for spec, table in checked_tables(text):
        files = _files(spec)
        absent = [f for f in files if not f.exists()]
        if absent or not files:
            problems.append(f"numbers file(s) {absent or spec} do not exist")
            continue
        known = [x for f in files for x in _json_numbers(json.loads(f.read_text()))]
        for row in table:
            for token in NUMBER.findall(row):
                places = len(token.split(".")[1])
                value = float(token)
                if not any(round(x, places) == value or abs(x - value) < 0.6 * 10 ** -places
                           for x in known):
                    problems.append(f"{token} (in {row.strip()[:60]}…) is in none of {spec}")
    return problems


def test_readme_numbers_come_from_numbers_files():
    text = (ROOT / "README.md").read_text()
    assert checked_tables(text), "the README marks no table with <!-- numbers-from: … -->"
    assert not missing_numbers(text), "\n".join(missing_numbers(text))


def test_the_check_catches_a_number_no_code_wrote(tmp_path, monkeypatch):
    numbers = tmp_path / "n.json"
    numbers.write_text(json.dumps({"auc": 0.95731, "nested": [{"x": 12.5}]}))
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    good = "<!-- numbers-from: n.json -->\n| a | b |\n|---|---|\n| 0.9573 | 12.50 |\n"
    assert missing_numbers(good) == []
    bad = good.replace("0.9573", "0.9574")
    assert len(missing_numbers(bad)) == 1


def test_generated_readme_blocks_are_up_to_date():
    """The README's generated tables equal what tools/readme_tables.py makes of the numbers files."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "tools/readme_tables.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    text = (ROOT / "README.md").read_text()
    assert tool.BLOCK.search(text), "the README has no generated block"
    assert tool.render(text) == text, "README.md is out of date: run python tools/readme_tables.py"
