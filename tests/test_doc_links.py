"""Every relative link and picture of README.md and docs/*.md leads somewhere.

A link to a file must name one the repository holds, and a ``#fragment`` must be the
anchor of a heading of its target (GitHub's rule: lower case, punctuation dropped, spaces
to hyphens), so moving a section or deleting a picture breaks the test, not the reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found, fenced = set(), False
    for line in path.read_text().splitlines():
        fenced ^= line.startswith("```")
        m = None if fenced else HEADING.match(line)
        if m:
            found.add(anchor(m.group(1)))
    return found


def broken_links(path: Path) -> list[str]:
    """The links of ``path`` that lead to no file, or to no heading of their file."""
    out = []
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a URL: not checked offline
        file, _, fragment = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            out.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            out.append(f"{target}: no heading with that anchor in {dest.name}")
    return out


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_and_heading(path):
    assert not broken_links(path), f"{path.name}: " + "; ".join(broken_links(path))


def test_the_check_finds_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "b.md").write_text("# Top\n\n## The `thesis` profile's runs\n")
    a = tmp_path / "a.md"
    a.write_text("[ok](b.md#the-thesis-profiles-runs) [self](#intro) ![gone](fig.png)\n"
                 "[bad](b.md#nowhere) [web](https://example.org/x)\n\n# Intro\n")
    assert broken_links(a) == ["fig.png: no such file",
                               "b.md#nowhere: no heading with that anchor in b.md"]
