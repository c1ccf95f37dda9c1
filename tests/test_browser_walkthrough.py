"""The JupyterLab walkthrough in a real browser (``tests/browser_walkthrough.py``).

Marked ``browser`` and deselected by default (it needs Chromium, its driver and selenium,
and takes a minute): run it by hand or in CI with ``pytest -m browser``. Without those
it is skipped, naming what to install."""

from __future__ import annotations

import browser_walkthrough as walk  # tests/ is on sys.path under pytest's default import mode
import pytest


@pytest.mark.browser
def test_the_notebook_runs_all_cells_in_headless_chromium(tmp_path):
    argv = ["--screenshot", str(tmp_path / "walkthrough.png")]
    problem = walk.missing(walk.parse_args(argv))
    if problem:
        pytest.skip(problem)
    assert walk.main(argv) == 0
    assert (tmp_path / "walkthrough.png").stat().st_size > 0
