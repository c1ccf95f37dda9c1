"""The supported Pythons are true: what the code needs (read by vermin from its syntax and
library calls) is what ``requires-python`` promises and what ruff checks against."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VERMIN = str(Path(sys.executable).with_name("vermin"))  # the console script (no python -m)
CODE = ["aeutils", "tests", "studies", "benchmarks", "scripts"]


def _setting(name: str) -> str:
    """A ``name = "value"`` line of pyproject.toml (tomllib would need Python 3.11)."""
    return re.search(rf'^{name} = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)[1]


def _promised() -> tuple[int, int]:
    major, minor = re.fullmatch(r">=(\d+)\.(\d+)", _setting("requires-python")).groups()
    return int(major), int(minor)


def test_ruff_checks_against_the_oldest_python_promised():
    major, minor = _promised()
    assert _setting("target-version") == f"py{major}{minor}"


def test_no_code_needs_a_newer_python_than_promised():
    pytest.importorskip("vermin")
    major, minor = _promised()
    done = subprocess.run([VERMIN, "--no-tips", "--violations",
                           f"-t={major}.{minor}-", *CODE], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_the_oldest_promised_python_is_needed():
    """requires-python is not lower than the code needs: one version older fails vermin
    (zip(strict=) in the training loop needs 3.10)."""
    pytest.importorskip("vermin")
    major, minor = _promised()
    done = subprocess.run([VERMIN, "--no-tips", "--violations",
                           f"-t={major}.{minor - 1}-", "aeutils"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode != 0, done.stdout[-2000:]
