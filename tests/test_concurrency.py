"""Two real processes on one results store, and a grid killed with SIGKILL at random moments."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from aeutils.config import RunConfig
from aeutils.experiments.store import ResultsStore

SCRIPT = """
import json, sys
import aeutils.runtime
aeutils.runtime.tune_malloc()  # a script that trains, as the grid's processes do
import aeutils.experiments.runs as ex
from aeutils.config import RunConfig
from aeutils.experiments.grid import run_grid
from aeutils.experiments.store import ResultsStore
folder, table, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
configs = [RunConfig(dataset="folder:" + folder, model=m, loss="mse", normal_class=c,
                     epochs=epochs, batch_size=16)
           for m in ("basic", "vae") for c in range(6)]
trained, real = [], ex._run_group
def spy(group, *a, **k):
    trained.extend(c.key() for c in group)
    return real(group, *a, **k)
ex._run_group = spy
run_grid(configs, ResultsStore(table), max_group=2, progress=False)
print(json.dumps(trained))
"""


def _configs(folder, epochs):
    return [RunConfig(dataset=f"folder:{folder}", model=m, loss="mse", normal_class=c,
                      epochs=epochs, batch_size=16) for m in ("basic", "vae") for c in range(6)]


def _spawn(folder, table, epochs, env):
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(folder), str(table), str(epochs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _check_table(table, configs):
    lines = table.read_text().split("\n")
    assert lines[-1] == "", "the table ends with a torn line"
    rows = [json.loads(line) for line in lines[:-1]]  # every line parses: none torn
    pairs = [(r["key"], r["epoch"]) for r in rows]
    assert len(pairs) == len(set(pairs)), "a (key, epoch) record is stored twice"
    store = ResultsStore(table)
    assert all(store.has(c) for c in configs), "a configuration is missing"


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "AEUTILS_CACHE": str(tmp_path / "cache"), "AEUTILS_DEVICE": "cpu",
            "OMP_NUM_THREADS": "1"}


@pytest.mark.long(seconds=14)
def test_two_processes_never_train_the_same_configuration(synthetic_folder, tmp_path, env):
    table = tmp_path / "store" / "results.jsonl"
    subprocess.run([sys.executable, "-c", "from aeutils.config import RunConfig;"
                    f"RunConfig(dataset='folder:{synthetic_folder}').key();"
                    "from aeutils.data import load_dataset;"
                    f"load_dataset('folder:{synthetic_folder}')"], env=env, check=True)
    procs = [_spawn(synthetic_folder, table, 3, env) for _ in range(2)]
    trained = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        trained.append(json.loads(out.splitlines()[-1]))
    configs = _configs(synthetic_folder, 3)
    _check_table(table, configs)
    a, b = set(trained[0]), set(trained[1])
    assert not a & b, f"both processes trained {sorted(a & b)}"
    assert a | b == {c.key() for c in configs}
    assert len(trained[0]) + len(trained[1]) == len(configs)
    assert not list((table.parent / "results.jsonl.claims").iterdir()), "claims left behind"


@pytest.mark.long(seconds=20)
def test_grid_killed_at_random_moments_resumes_to_a_complete_table(synthetic_folder, tmp_path,
                                                                      env):
    table = tmp_path / "store" / "results.jsonl"
    rng = random.Random(0)
    for _ in range(5):
        p = _spawn(synthetic_folder, table, 4, env)
        time.sleep(rng.uniform(1.5, 4.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
    p = _spawn(synthetic_folder, table, 4, env)
    out, err = p.communicate(timeout=180)
    assert p.returncode == 0, err
    _check_table(table, _configs(synthetic_folder, 4))
