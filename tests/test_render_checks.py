"""A render that cannot work says why in one line before any notebook runs: a store that
holds none of the profile's runs, a damaged score file."""

from __future__ import annotations

import numpy as np
import pytest

from aeutils.cli.main import main
from aeutils.cli.reproduce import NotebookError, damaged_score_files, reproduce
from aeutils.experiments.grid import profile_configs
from aeutils.experiments.store import ResultsStore


@pytest.fixture
def datasets(synthetic_folder, synthetic_rgb_folder):
    return [f"mnist=folder:{synthetic_folder}", f"cifar10=folder:{synthetic_rgb_folder}"]


def _render(tmp_path, datasets, results):
    return reproduce(profile="smoke", datasets=datasets, render=True, results=str(results),
                     figures=str(tmp_path / "figs"), output=str(tmp_path / "out"))


def test_a_store_without_the_profiles_runs_is_named(tmp_path, datasets, capsys):
    store = ResultsStore(tmp_path / "other" / "results.jsonl")
    store.append([{"key": "not-a-smoke-run", "epoch": 1, "auc": 0.5, "model": "basic",
                   "dataset_label": "MNIST"}])
    with pytest.raises(NotebookError) as err:
        _render(tmp_path, datasets, store.path)
    msg = str(err.value)
    assert "\n" not in msg and "holds none of the" in msg and "profile 'smoke'" in msg
    assert "1 records on MNIST" in msg and "--results" in msg and "make reproduce" in msg
    assert not (tmp_path / "out" / "timings.json").exists(), "a notebook ran"
    with pytest.raises(NotebookError, match="no results table at"):
        _render(tmp_path, datasets, tmp_path / "missing" / "results.jsonl")
    # the command line: one line on stderr, exit 2
    argv = ["reproduce", "--profile", "smoke", "--render", "--results", str(store.path),
            "--figures", str(tmp_path / "figs"), "--output", str(tmp_path / "out")]
    for d in datasets:
        argv += ["--dataset", d]
    assert main(argv) == 2
    err_text = capsys.readouterr().err.strip()
    assert err_text.startswith("error: the results store") and "\n" not in err_text


def test_a_damaged_score_file_is_named(tmp_path, datasets, synthetic_folder,
                                       synthetic_rgb_folder):
    configs = profile_configs("smoke", {"mnist": f"folder:{synthetic_folder}",
                                        "cifar10": f"folder:{synthetic_rgb_folder}"})
    store = ResultsStore(tmp_path / "mine" / "results.jsonl")
    keys = [c.key() for c in configs[:2]]
    store.append([{"key": k, "epoch": 1, "auc": 0.5, "model": "basic"} for k in keys])
    store.save_scores(keys[0], 1, np.arange(4.0), np.array([0, 1, 0, 1]), final=True)
    assert damaged_score_files(store) == []
    store.save_scores(keys[1], 1, np.arange(4.0), np.array([0, 1, 0, 1]), final=True)
    broken = store.scores_dir / f"{keys[1]}-e1.npz"
    broken.write_bytes(broken.read_bytes()[:20])  # cut short, as an interrupted copy
    with pytest.raises(NotebookError) as err:
        _render(tmp_path, datasets, store.path)
    msg = str(err.value)
    assert "\n" not in msg and "1 score file(s)" in msg and str(broken) in msg
    assert "BadZipFile" in msg and "git checkout --" in msg
    assert not (tmp_path / "out" / "timings.json").exists(), "a notebook ran"
