"""No decimal number in README.md or docs/*.md is typed by hand.

Every number with a decimal point in the documents' prose and hand-laid tables must equal,
at the precision it is printed with, a value that code wrote into a numbers file
(``figures/*/numbers/*.json``, ``benchmarks/results/*.json``, ``results/*/*.json``), or be
one the thesis or the literature publishes: those are read from
``aeutils/report/reference.py``, the one place that holds them, never listed here.

Not scanned: generated blocks (``python -m aeutils tables`` writes them from the numbers
files, and ``tests/test_readme_numbers.py`` checks them), fenced code, inline code
(commands, file names, parameter values), link targets and section numbers
(``## 2.1 Setup``). Version strings (``2.14.1``) are not decimal numbers. Signs are ignored
(a fall is written in words); a number followed by ``%`` may also be a fraction in a
numbers file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from aeutils.report import reference

ROOT = Path(__file__).resolve().parent.parent
NUMBERS_FILES = ("figures/*/numbers/*.json", "benchmarks/results/*.json", "results/*/*.json")
GENERATED_START, GENERATED_END = "<!-- generated:", "<!-- end generated -->"
# A decimal: not part of a longer dotted string (a version, a file name) nor of a word.
DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d+(?:e[-+]?\d+)?)(?![\w]|\.\d)(\s?%)?")
HIDDEN = re.compile(r"`[^`]*`|\]\([^)]*\)|<!--.*?-->|^#+\s+[\d.]+\s")
PLACES = range(1, 7)


def documents(root: Path = ROOT) -> list[Path]:
    """README.md and docs/*.md (not the executed notebooks under docs/notebooks/)."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def _values(value) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _values(v)]
    if isinstance(value, list):
        return [x for v in value for x in _values(v)]
    return []


def written_by_code(root: Path = ROOT) -> list[float]:
    """Every number of every numbers file the project's code writes."""
    return [x for pattern in NUMBERS_FILES for f in sorted(root.glob(pattern))
            for x in _values(json.loads(f.read_text()))]


def quoted_by_the_thesis_and_literature() -> list[float]:
    """The published numbers the documents may quote: the thesis's tables (per class, AVG
    row, the mean it states) and every comparison or literature row with its mean, as
    fractions (the papers' percentages are converted by ``reference``)."""
    values = list(reference.THESIS_BEST_MEAN_AUC.values())
    for ds in reference.CLASS_NAMES:
        best = reference.thesis_best_per_class(ds)
        values += [*best["accuracy"], *best["auc"]]
        single = reference.thesis_best_single(ds)
        values += [single["accuracy"], single["auc"]]
        rows = reference.wide(reference.reference_rows(ds), ds)
        values += [x for x in rows[[*reference.CLASS_NAMES[ds], "mean"]].to_numpy().ravel()]
    values += list(reference.literature_means()["mean_auc"])
    return values


def printed_forms(values: list[float]) -> set[str]:
    """Each value as it prints at 1–6 decimals, and as a percentage (``19.5 %``)."""
    forms = set()
    for x in values:
        forms.update(f"{abs(x):.{p}f}" for p in PLACES)
        forms.update(f"{abs(x) * 100:.{p}f} %" for p in PLACES)
    return forms


def prose(text: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines a reader meets as typed: outside fenced code and
    generated blocks, with inline code, link targets and comments blanked."""
    out, fenced, generated = [], False, False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if line.startswith(GENERATED_START):
            generated = True
        if not (fenced or generated):
            out.append((number, HIDDEN.sub(" ", line)))
        if GENERATED_END in line:
            generated = False
    return out


def _canonical(token: str) -> str | None:
    """A token as the numbers files print it at its own precision (``5.3e-5`` → 0.000053)."""
    if "e" not in token:
        return token
    value = float(token)
    places = len(token.split("e")[0].split(".")[1]) - int(token.split("e")[1])
    return f"{value:.{places}f}" if places in PLACES else None


def untraced(text: str, known: set[str]) -> list[tuple[int, str]]:
    """(line, number) of every decimal in ``text``'s prose that no known value prints as."""
    found = []
    for number, line in prose(text):
        for m in DECIMAL.finditer(line):
            token = _canonical(m.group(1))
            if not (token in known or m.group(2) and f"{token} %" in known):
                found.append((number, m.group(1) + (m.group(2) or "")))
    return found


def test_every_decimal_in_the_documents_comes_from_code_or_a_quoted_source():
    known = printed_forms(written_by_code() + quoted_by_the_thesis_and_literature())
    problems = [f"{path.relative_to(ROOT)}:{line}: {token}"
                for path in documents() for line, token in untraced(path.read_text(), known)]
    assert not problems, ("numbers typed by hand (in no numbers file, not quoted from the "
                          "thesis or the literature):\n" + "\n".join(problems))


def test_the_scan_finds_a_typed_number_and_skips_what_it_should(tmp_path):
    (tmp_path / "figures/p/numbers").mkdir(parents=True)
    (tmp_path / "figures/p/numbers/n.json").write_text(json.dumps({"auc": 0.97264,
                                                                   "share": [0.055]}))
    known = printed_forms(written_by_code(tmp_path))
    text = "\n".join([
        "The VAE reaches 0.9726 (5.5 % of it), with torch 2.14.1.",   # 1: all traced
        "It took 19.5 CPU-hours.",                                     # 2: typed
        "```", "pip install piq==0.8.0 1.25", "```",                  # 3-5: code
        "Run `python x.py --lr 0.123` ([a](f_0.75.png)).",            # 6: inline code, link
        "<!-- generated: x -->", "| 0.1111 |", "<!-- end generated -->",  # 7-9: generated
        "A fall of −0.9726, and 0.97 at two places; 4.2e-3 is not there.",  # 10
        "## 2.1 Setup at 0.12",                                        # 11: numbered heading
    ])
    assert untraced(text, known) == [(2, "19.5"), (10, "4.2e-3"), (11, "0.12")]


def test_the_thesis_and_literature_numbers_come_from_the_reference_tables():
    """The exceptions are the reference module's numbers: the thesis's mean of its MNIST
    rows, an AVG row, a quoted GANomaly mean (leave-one-out, as the thesis quotes it) and
    Ruff et al.'s Deep SVDD mean."""
    known = printed_forms(quoted_by_the_thesis_and_literature())
    assert {"0.9505", "0.6643", "0.9346", "0.5767", "0.7946", "0.948", "0.648"} <= known
    assert "0.9726" not in known
