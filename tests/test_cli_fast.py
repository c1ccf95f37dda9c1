"""The command line answers at once: --help and argument errors load neither torch nor
scikit-learn (nor pandas or matplotlib), and ``import aeutils`` loads none of them either,
while the public API still imports by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import aeutils
import aeutils.cli.main

HEAVY = ("torch", "sklearn", "pandas", "matplotlib")
ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter: this test process has imported torch long ago.
PROBE = """
import json, sys
import aeutils
light = [m for m in HEAVY if m in sys.modules]
from aeutils.cli.main import COMMANDS, main
cases = [["--help"], *[[c, "--help"] for c in COMMANDS], ["nope"],
         ["run", "--model", "resnet"], ["run", "--loss", "l1"], ["run", "--epochs", "abc"],
         ["run", "--dataset", "imagenet"], ["run", "--checkpoints", "1,9", "--epochs", "2"],
         ["grid", "--profile", "nope"], ["grid", "--keep-scores", "some"],
         ["grid", "--profile", "smoke", "--dataset", "cifar10"],
         ["reproduce", "--profile", "nope"]]
codes = []
for argv in cases:
    try:
        codes.append(main(argv))
    except SystemExit as exit_:
        codes.append(exit_.code)
print(json.dumps({"import": light, "codes": codes,
                  "loaded": [m for m in HEAVY if m in sys.modules]}))
"""


def _probe(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_help_and_argument_errors_load_nothing_heavy():
    result = _probe(PROBE.replace("HEAVY", repr(HEAVY)))
    assert result["import"] == [], f"import aeutils loaded {result['import']}"
    assert result["loaded"] == [], f"--help / argument errors imported {result['loaded']}"
    n_help = len(aeutils.cli.main.COMMANDS) + 1
    help_codes, error_codes = result["codes"][:n_help], result["codes"][n_help:]
    assert set(help_codes) == {0} and 0 not in error_codes and None not in error_codes


def test_the_public_api_still_imports_by_name():
    """``from aeutils import …`` resolves each public name through the lazy ``__getattr__``
    (in this process: a fresh interpreter importing torch would only add its import time)."""
    from aeutils import AutoEncoderDetector, ResultsStore, run  # noqa: F401

    for name in aeutils.__all__:
        assert getattr(aeutils, name) is not None, name
    assert set(aeutils.__all__) <= set(dir(aeutils))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        aeutils.nope  # noqa: B018
