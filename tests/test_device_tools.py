"""aeutils.experiments.agreement (``python -m aeutils digest``, ``studies/device_agreement.py``), the
``ship`` command and ``scripts/device_grid.sh``: what lets a store trained on another
machine be merged, checked against this one, and shipped."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aeutils.cli.main import main
from aeutils.config import ConfigError, RunConfig
from aeutils.experiments import agreement
from aeutils.experiments.runs import run_configs
from aeutils.experiments.store import ResultsStore

ROOT = Path(__file__).resolve().parent.parent


def test_the_digest_names_the_images_and_changes_with_one_pixel(synthetic_folder, tmp_path,
                                                                capsys):
    import shutil

    from aeutils.data import datasets as data

    digest = agreement.dataset_digest
    copy = tmp_path / "copy"
    shutil.copytree(synthetic_folder, copy)
    a, b = digest(f"folder:{synthetic_folder}"), digest(f"folder:{copy}")
    assert a.split()[1:] == b.split()[1:]  # the same images under another path: same line
    img = sorted(copy.rglob("*.png"))[0]
    pixels = np.array(Image.open(img))
    pixels[0, 0] = 255 - pixels[0, 0]
    Image.fromarray(pixels).save(img)
    data._MEMORY.clear()
    data._IDENTITY.clear()  # a process memoises identities; a new one would not
    changed = digest(f"folder:{copy}")
    assert changed.split()[1] != a.split()[1] and changed.split()[2] != a.split()[2]


def test_the_digest_cli_fails_on_another_line(synthetic_folder, capsys):
    assert main(["digest", f"folder:{synthetic_folder}", "--expect", "not this"]) == 1
    line = capsys.readouterr().out.strip()
    assert main(["digest", f"folder:{synthetic_folder}", "--expect", line]) == 0


def test_agreement_of_runs_retrained_on_the_same_arithmetic_is_exact(synthetic_folder, tmp_path):
    tool = agreement
    configs = [RunConfig(dataset=f"folder:{synthetic_folder}", model="basic", loss="mse",
                         normal_class=c, epochs=3, checkpoints=(1, 2), batch_size=16)
               for c in range(2)]
    store = ResultsStore(tmp_path / "gpu.jsonl")
    run_configs(configs, store, progress=False)
    # Pretend an accelerator trained them: the CPU retrains 2 of the 3 epochs.
    lines = [dict(json.loads(line), device="cuda") for line in store.path.read_text().splitlines()]
    store.path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    store = ResultsStore(store.path)
    # A block that stores only the last epoch of the same run (same key) adds nothing to compare.
    last_only = [replace(c, checkpoints=()) for c in configs]
    assert {c.key() for c in last_only} == {c.key() for c in configs}
    res = tool.compare_group(store, configs + last_only, 2, ResultsStore(tmp_path / "cpu.jsonl"))
    assert res["runs"] == 2 and res["pairs"] == 4  # 2 classes × epochs {1, 2}
    assert res["mean_diff"] == 0 and res["max_abs_diff"] == 0
    assert set(res["per_epoch"]) == {"1", "2"}
    with pytest.raises(ConfigError, match="no run of the group has a checkpoint"):
        tool.compare_group(store, last_only, 2, ResultsStore(tmp_path / "cpu2.jsonl"))


def test_agreement_names_a_group_without_accelerator_runs(tmp_path):
    tool = agreement
    with pytest.raises(ConfigError, match="dataset/model/loss/contamination"):
        tool.accelerator_runs(ResultsStore(tmp_path / "r.jsonl"), "smoke", "mnist/basic")
    with pytest.raises(ConfigError, match="trained on an accelerator"):
        tool.accelerator_runs(ResultsStore(tmp_path / "r.jsonl"), "smoke", "mnist/basic/mse/0")


def test_ship_leaves_the_scores_of_runs_in_training(tmp_path, capsys):
    store = ResultsStore(tmp_path / "r.jsonl")
    store.append([{"key": "a", "epoch": 2, "auc": 0.5}])
    store.save_scores("a", 2, np.zeros(4), np.array([0, 1, 0, 1]))
    store.save_scores("b", 1, np.zeros(4), np.array([0, 1, 0, 1]))  # its group still trains
    named, pending = store.shippable()
    assert [p.name for p in named] == ["r.jsonl", "a-e2.npz"]
    assert [p.name for p in pending] == ["b-e1.npz"]
    assert main(["ship", "--results", str(store.path)]) == 0
    assert capsys.readouterr().out.split() == [str(p) for p in named]


def test_device_grid_script_names_its_steps_and_datasets(tmp_path):
    """scripts/device_grid.sh (a grid on a GPU machine) refuses what it cannot do, saying why,
    and writes nothing into the checkout when it does."""
    import subprocess

    script = str(ROOT / "scripts/device_grid.sh")
    before = (ROOT / ".devdata").exists()
    bad = subprocess.run(["bash", script, "train"], capture_output=True, text=True)
    assert bad.returncode == 2 and "pack [DATASET ...] | run [grid options] | merge DIR" in bad.stderr
    env = {"PATH": "/usr/bin:/bin", "AEUTILS_DATA": str(tmp_path)}
    unknown = subprocess.run(["bash", script, "pack", "svhn"], capture_output=True, text=True,
                             env=env)
    assert unknown.returncode == 2 and "not svhn" in unknown.stderr and "cifar10" in unknown.stderr
    merge = subprocess.run(["bash", script, "merge"], capture_output=True, text=True, env=env)
    assert merge.returncode != 0 and "usage: device_grid.sh merge DIR" in merge.stderr
    assert (ROOT / ".devdata").exists() == before, "a refused pack wrote .devdata/"


_FAKE_COSTS = '''
"""Deterministic group estimates for the device script's test: conv groups cost far more
than any budget of the first call, every other group one second."""
import importlib.abc
import importlib.util
import sys


class _Patch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "aeutils.experiments.estimate":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            module.group_seconds = lambda group, device=None: (
                1e4 if group[0].model == "conv" else 1.0)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Patch())
'''


def _write_idx_mnist(root: Path, n_train: int = 30, n_test: int = 6) -> None:
    """A tiny MNIST in torchvision's raw format (synthetic bars, conftest.class_images)."""
    from conftest import class_images

    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        x = np.concatenate([class_images(n, c, seed=seed)[:, 0] for c in range(10)])
        y = np.repeat(np.arange(10, dtype=np.uint8), n)
        (raw / f"{split}-images-idx3-ubyte").write_bytes(
            np.array([2051, len(x), 28, 28], ">u4").tobytes() + x.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(
            np.array([2049, len(y)], ">u4").tobytes() + y.tobytes())


@pytest.mark.filterwarnings("ignore:block 'selection-flips' selects nothing")  # 3 val images
@pytest.mark.long(seconds=50)
def test_device_grid_runs_within_a_budget_resumes_and_merges(tmp_path, monkeypatch):
    """scripts/device_grid.sh end to end on the CPU, smoke profile, tiny MNIST: pack; a run
    whose budget leaves the (costly) conv groups out; merge; a second run from a copy of the
    merged store that trains the rest (conv, then the selection blocks that needed it);
    merge again: every run of the profile stored once, with the score files of its records."""
    import os
    import shutil
    import subprocess
    import sys

    from aeutils.experiments.grid import profile_configs
    from aeutils.experiments.runs import pending

    data, shim = tmp_path / "data", tmp_path / "shim"
    _write_idx_mnist(data)
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(_FAKE_COSTS)
    (tmp_path / "whl").mkdir()
    (tmp_path / "whl/piq-0-py3-none-any.whl").write_bytes(b"")  # pack downloads none
    home = tmp_path / "home/results.jsonl"
    env = {**os.environ, "AEUTILS_DATA": str(data), "PYTHON": sys.executable,
           "PYTHONPATH": f"{shim}:{ROOT}", "PROFILE": "smoke", "DEVICE": "cpu", "WORKERS": "1",
           "DEVDATA": str(tmp_path / "devdata"), "WHEELS": str(tmp_path / "whl"),
           "WORK": str(tmp_path / "work")}

    def script(*args, **extra):
        res = subprocess.run(["bash", str(ROOT / "scripts/device_grid.sh"), *args],
                             env={**env, **extra}, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    script("pack", "mnist")
    first = tmp_path / "device1/results.jsonl"
    script("run", OUT=str(tmp_path / "out1"), STORE=str(first), BUDGET="200")
    log = (tmp_path / "out1/grid.log").read_text()
    assert "budget: " in log and "left for a later call" in log, log
    models = {r["model"] for r in ResultsStore(tmp_path / "out1/results.jsonl").records()}
    assert "conv" not in models and {"basic", "vae", "knn", "deep-svdd"} <= models
    wrong = subprocess.run(["bash", str(ROOT / "scripts/device_grid.sh"), "merge",
                            str(tmp_path / "out1")], env={**env, "PROFILE": "compare"},
                           capture_output=True, text=True)
    assert wrong.returncode == 2 and "holds runs of profile smoke" in wrong.stderr
    script("merge", str(tmp_path / "out1"), STORE=str(home))
    second = tmp_path / "device2/results.jsonl"  # a fresh copy of the checkout's store
    second.parent.mkdir()
    shutil.copy(home, second)
    script("run", OUT=str(tmp_path / "out2"), STORE=str(second), BUDGET="10000000")
    script("merge", str(tmp_path / "out2"), STORE=str(home))
    monkeypatch.setenv("AEUTILS_DATA", str(data))  # the keys name the same pixels here
    store = ResultsStore(home)
    configs = profile_configs("smoke", store=store)
    assert not pending(configs, store)
    assert any(c.model == "conv" for c in configs)
    assert len(configs) > len(profile_configs("smoke"))  # selection blocks ran too
    pairs = [(r["key"], r["epoch"]) for r in store.records()]
    assert len(pairs) == len(set(pairs)) == len(ResultsStore(second).records())
    named, left = store.shippable()  # the table and one final score file per run
    assert not left and len(named) - 1 == len({c.key() for c in configs})
