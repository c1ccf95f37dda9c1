"""The grid as one object (aeutils.experiments.sweep.Grid): what the command line, the
studies and the SLURM script run, none of them through an argument list."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from aeutils.config import ConfigError
from aeutils.experiments.sweep import Grid

ROOT = Path(__file__).resolve().parent.parent
# An argument list that runs the grid: ["grid", …] handed to the CLI's main, or
# [python, "-m", "aeutils", "grid", …] handed to a process.
GRID_ARGV = re.compile(r"""\[\s*["']grid["']\s*,|["']aeutils["']\s*,\s*["']grid["']""")


def test_no_code_builds_an_argument_list_to_run_the_grid():
    assert not GRID_ARGV.search('out["grid"]["mean_auc_last"]')  # a key, no argument list
    for old in ('cli(["grid", *args])', 'common = ["grid", "--profile", a.profile]',
                'args = [sys.executable, "-m", "aeutils", "grid", "--profile", a.profile]'):
        assert GRID_ARGV.search(old), old  # the pattern catches each way it was done
    sources = [p for top in ("aeutils", "studies", "scripts", "benchmarks")
               for p in (ROOT / top).rglob("*.py")]
    builders = [f"{p.relative_to(ROOT)}:{i}" for p in sources
                for i, line in enumerate(p.read_text().splitlines(), 1)
                if GRID_ARGV.search(line)]
    assert builders == []


@pytest.mark.parametrize("options, phrase", [
    ({"profile": "nope"}, "valid choices: smoke"),
    ({"blocks": ["nope"]}, "valid choices: main"),
    ({"order": "cheap"}, "valid choices: profile, priority"),
    ({"precision": "fp16"}, "valid choices: fp32"),
    ({"workers": 0}, "--workers must be at least 1"),
    ({"budget": 60}, "needs --order priority"),
    ({"order": "priority", "budget": -1}, "positive"),
    ({"order": "priority", "shard": (0, 2)}, "give one"),
    ({"datasets": ["cifar10"]}, "valid choices: mnist"),
])
def test_check_refuses_what_cannot_run_in_one_line(options, phrase):
    with pytest.raises(ConfigError, match=re.escape(phrase)) as err:
        Grid(**{"profile": "smoke", **options}).check()
    assert "\n" not in str(err.value)


def test_a_shard_out_of_range_is_refused_before_training(tmp_path):
    with pytest.raises(ConfigError, match=re.escape("need 0 <= i < n")):
        Grid("smoke", shard=(2, 2), results=tmp_path / "r.jsonl").run()
    assert not (tmp_path / "r.jsonl").exists()


def test_a_grid_travels_to_other_processes():
    """Worker processes and submitit's jobs receive the grid pickled."""
    grid = Grid("quick", blocks=["main"], dataset_map={"cifar10": "folder:x"}, shard=(1, 4),
                workers=2, order="profile", keep_scores="final", progress=False)
    assert pickle.loads(pickle.dumps(grid)) == grid


def test_the_dry_run_trains_nothing_and_counts_each_block(synthetic_folder, tmp_path, capsys):
    grid = Grid("smoke", blocks=["contamination"], results=tmp_path / "r.jsonl",
                dataset_map={"mnist": f"folder:{synthetic_folder}"})
    out = grid.dry_run(tmp_path / "estimate.json")
    assert [(b["block"], b["runs"], b["to_train"]) for b in out["blocks"]] == \
        [("contamination", 6, 6)]
    assert out["total_hours"] > 0 and (tmp_path / "estimate.json").is_file()
    assert not (tmp_path / "r.jsonl").exists()
    printed = capsys.readouterr().out
    assert "profile smoke: 6 runs, 0 stored, 6 to train" in printed and "machine-hours" in printed
