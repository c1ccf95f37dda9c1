"""The result stores shipped in results/<profile>/ load, and their keys are today's keys.

A change to a model, loss, split, evaluation or baseline that bumps its version in
aeutils.registry makes every record it produced stale; this test then fails loudly
(re-run the profile, or revert), instead of the store serving old numbers.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from aeutils.config import RunConfig, config_key
from aeutils.experiments.store import ResultsStore

ROOT = Path(__file__).resolve().parent.parent
STORES = sorted((ROOT / "results").glob("*/results.jsonl"))
FIELDS = [f.name for f in dataclasses.fields(RunConfig)]


def _shipped_files() -> list[Path]:
    """Files under results/ that git ships: in a checkout, the tracked ones (a grid still
    running keeps the score files of finished runs untracked until ``make ship`` prunes
    them); elsewhere every file but the stores' working files (claims of running workers,
    snapshots of groups in training, lock files), which git ignores."""
    if (ROOT / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-z", "results"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode()
        return [ROOT / n for n in listed.split("\0") if n and (ROOT / n).is_file()]
    local = {d for t in STORES for d in (ResultsStore(t).claims_dir, ResultsStore(t).snapshots_dir)}
    return [f for f in (ROOT / "results").rglob("*") if f.is_file()
            and not f.name.endswith(".lock") and local.isdisjoint(f.parents)]


def test_shipped_stores_are_small():
    """A clone stays light: records plus the score files figures and ensembles read (the
    ensembles' members, float16 and without example images, are about 9 MiB of compare's
    and most of thesis's score files: 42 MiB in all when they were added)."""
    total = sum(f.stat().st_size for f in _shipped_files())
    assert total < 45 * 2**20, f"shipped results take {total / 2**20:.1f} MiB"


@pytest.mark.parametrize("table", STORES, ids=[p.parent.name for p in STORES])
def test_shipped_keys_are_what_todays_code_computes(table):
    records = ResultsStore(table).records()
    assert records, f"{table} holds no records"
    stale = []
    for r in records:
        fields = {f: r[f] for f in FIELDS if f in r}
        if config_key(fields, r["dataset_id"]) != r["key"]:
            stale.append(f"{r['model']}/{r.get('loss')} class {r['normal_class']}")
    assert not stale, (f"{len(stale)} records of {table.parent.name} were made by code whose "
                       f"version changed since (e.g. {stale[:3]}): re-run that profile")


@pytest.mark.parametrize("table", STORES, ids=[p.parent.name for p in STORES])
def test_shipped_scores_belong_to_records(table):
    orphans = ResultsStore(table).orphan_score_files()
    assert not orphans, f"{', '.join(f.name for f in orphans)} have no record"
