"""The committed numbers files are what today's code makes from the shipped stores.

Every number the README and the documents quote comes from ``figures/<profile>/numbers``;
this renders each shipped profile's notebooks from its store (training nothing) into a
temporary folder and compares the numbers files with the committed ones, so a change to
the code that moves a number, or a render that was not committed, fails here.

A render of every shipped profile takes minutes, so the test is marked ``renders``: the
default ``make test`` leaves it out and CI (``.ci/run``) runs it with ``-m renders``. It
needs the datasets (``AEUTILS_DATA``) the renders read and is skipped without them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted(p.parent.name for p in (ROOT / "figures").glob("*/numbers")
                  if (ROOT / "results" / p.parent.name / "results.jsonl").exists())


def differences(committed, made, path: str = "", rel: float = 1e-9, abs_tol: float = 0.0
                ) -> list[str]:
    """Where two numbers files differ (floats to ``rel``, JSON round trips only, or to
    ``abs_tol`` where the numbers come from training in the render itself)."""
    if isinstance(committed, dict) and isinstance(made, dict):
        out = [f"{path}/{k}: only committed" for k in committed.keys() - made.keys()]
        out += [f"{path}/{k}: only in the new render" for k in made.keys() - committed.keys()]
        for k in committed.keys() & made.keys():
            out += differences(committed[k], made[k], f"{path}/{k}", rel, abs_tol)
        return out
    if isinstance(committed, list) and isinstance(made, list) and len(committed) == len(made):
        return [d for i, (a, b) in enumerate(zip(committed, made))
                for d in differences(a, b, f"{path}[{i}]", rel, abs_tol)]
    if isinstance(committed, float) and isinstance(made, (int, float)):
        ok = math.isclose(committed, made, rel_tol=rel, abs_tol=abs_tol) or (
            math.isnan(committed) and math.isnan(made))
        return [] if ok else [f"{path}: committed {committed!r}, made {made!r}"]
    return [] if committed == made else [f"{path}: committed {committed!r}, made {made!r}"]


def test_differences_finds_moved_numbers():
    a = {"x": {"auc": 0.9, "rows": [1, 2]}, "y": "s"}
    assert differences(a, json.loads(json.dumps(a))) == []
    assert differences(a, {"x": {"auc": 0.91, "rows": [1, 2]}, "y": "s"}) == [
        "/x/auc: committed 0.9, made 0.91"]
    assert differences(a, {"x": {"auc": 0.9, "rows": [1, 2]}}) == ["/y: only committed"]


@pytest.mark.renders
@pytest.mark.parametrize("profile", PROFILES)
def test_committed_numbers_are_what_the_code_makes(profile, tmp_path):
    from aeutils.cli.reproduce import reproduce
    from aeutils.data import DataNotFoundError, load_dataset, resolve_dataset
    from aeutils.experiments.verdict import float_noise_tolerance

    try:
        for name in ("mnist", "cifar10"):
            load_dataset(resolve_dataset(name))
    except DataNotFoundError as err:
        pytest.skip(f"the {profile} render needs its datasets: {err}")
    figures = tmp_path / "figures"
    reproduce(profile=profile, render=True, figures=str(figures), output=str(tmp_path / "out"))
    committed_dir = ROOT / "figures" / profile / "numbers"
    problems = []
    for made_file in sorted((figures / "numbers").glob("*.json")):
        committed_file = committed_dir / made_file.name
        if not committed_file.exists():
            problems.append(f"{made_file.name}: not committed")
            continue
        old, new = json.loads(committed_file.read_text()), json.loads(made_file.read_text())
        noise = 0.0
        if made_file.name.startswith("06_"):  # it trains its detector during the render:
            noise = float_noise_tolerance()  # float noise across machines, also in its
            old.pop("findings", None), new.pop("findings", None)  # rounded sentences
        diff = differences(old, new, abs_tol=noise)
        problems += [f"{made_file.name}{d}" for d in diff[:10]]
    assert not problems, (f"figures/{profile}/numbers differ from what the code makes from "
                          f"results/{profile} (re-render: make figures PROFILE={profile}):\n"
                          + "\n".join(problems))
