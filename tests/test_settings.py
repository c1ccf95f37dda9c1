"""One settings home: every AEUTILS_* variable is in aeutils.settings' table, only that
module reads the environment for one, it reads at call time, and the documents' table is
the one it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aeutils import settings

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"\bAEUTILS_[A-Z_]+[A-Z]\b")
# A read of one variable: environ.get("AEUTILS_…"), getenv("AEUTILS_…") or environ["AEUTILS_…"]
# not followed by an assignment (a module may still hand a value to a process it starts).
READ = re.compile(r"""(environ\.get|getenv)\(\s*["']AEUTILS_|environ\[["']AEUTILS_\w+["']\](?!\s*=[^=])""")
TEXTS = ("aeutils", "tests", "scripts", "benchmarks", "studies", "docs", "notebooks")


def _texts():
    for top in TEXTS:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in {".py", ".md", ".ipynb", ".sh", ".sbatch"} and \
                    "docs/notebooks" not in path.as_posix():
                yield path
    yield from (ROOT / "README.md", ROOT / "Makefile")


def test_every_variable_the_repository_names_is_in_the_table():
    named = {n for p in _texts() for n in NAME.findall(p.read_text(errors="replace"))}
    assert named - set(settings.SETTINGS) == set(), "add them to aeutils/settings.py"
    assert set(settings.SETTINGS) - named == set(), "settings no code or document names"


def test_only_the_settings_module_reads_the_environment_for_them():
    readers = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "aeutils").rglob("*.py"))
               if p.name != "settings.py"
               for i, line in enumerate(p.read_text().splitlines(), 1) if READ.search(line)]
    assert readers == []
    assert READ.search('x = os.environ.get("AEUTILS_DATA", "data")')  # the pattern catches
    assert READ.search('os.environ["AEUTILS_DATA"]') and \
        not READ.search('os.environ["AEUTILS_FIGURES"] = str(figures)')


def test_values_are_read_when_asked(monkeypatch, tmp_path):
    from aeutils.data.catalog import cache_dir, data_root
    from aeutils.experiments.store import default_path

    monkeypatch.setenv("AEUTILS_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("AEUTILS_RESULTS", "")  # empty counts as unset: the default
    assert data_root() == tmp_path / "d" and default_path() == Path("results/results.jsonl")
    monkeypatch.delenv("AEUTILS_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "aeutils"
    monkeypatch.setenv("AEUTILS_SNAPSHOT_SECONDS", "0")
    assert settings.number("AEUTILS_SNAPSHOT_SECONDS") == 0.0
    monkeypatch.setenv("AEUTILS_SNAPSHOT_SECONDS", "soon")
    with pytest.raises(ValueError, match="AEUTILS_SNAPSHOT_SECONDS='soon' is not a number"):
        settings.number("AEUTILS_SNAPSHOT_SECONDS")
    with pytest.raises(KeyError, match="not an aeutils setting"):
        settings.get("AEUTILS_" + "NOPE")


def test_overridden_restores_what_was_there(monkeypatch):
    monkeypatch.setenv("AEUTILS_FIGURES", "mine")
    monkeypatch.delenv("AEUTILS_COMMIT", raising=False)
    with settings.overridden(AEUTILS_FIGURES="other", AEUTILS_COMMIT="abc1234"):
        assert (settings.get("AEUTILS_FIGURES"), settings.given("AEUTILS_COMMIT")) == \
            ("other", "abc1234")
    assert settings.get("AEUTILS_FIGURES") == "mine" and settings.given("AEUTILS_COMMIT") is None


def test_the_documented_table_is_the_one_it_prints():
    assert settings.markdown() in (ROOT / "docs" / "usage.md").read_text(), \
        "paste `python -m aeutils.settings` into docs/usage.md (Environment variables)"
