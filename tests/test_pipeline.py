"""End to end: config → data → train → score → store, the CLI and the grid runner."""

import os

import pytest

from aeutils.cli.main import main
from aeutils.config import RunConfig
from aeutils.experiments.grid import block_group, parse_shard, profile_configs, run_grid, shard
from aeutils.experiments.runs import run_configs
from aeutils.experiments.store import ResultsStore


def cfgs(folder, **kw):
    base = dict(dataset=f"folder:{folder}", model="basic", loss="mse", epochs=2,
                checkpoints=(1,), batch_size=16)
    base.update(kw)
    return [RunConfig(normal_class=c, **base) for c in range(3)]


def test_run_stores_and_reuses(synthetic_folder, monkeypatch):
    store = ResultsStore()
    out = run_configs(cfgs(synthetic_folder), store, progress=False)
    assert len(out) == 3 and all(0 <= r["auc"] <= 1 for r in out)
    assert len(store.records()) == 6  # 3 runs × epochs {1, 2}
    r = out[0]
    for field in ("key", "epoch", "dataset", "model", "loss", "seed", "auc", "ap", "accuracy",
                  "oracle_accuracy", "train_seconds", "device", "torch", "aeutils", "loss_curve",
                  "threads", "cpu_seconds", "cpu"):
        assert field in r
    assert 0 < r["cpu_seconds"] and r["threads"] >= 1 and r["cpu"] and r["cpu"] != "unknown"
    import aeutils.experiments.runs as ex

    def boom(*a, **k):
        raise AssertionError("stored configs must not be retrained")

    monkeypatch.setattr(ex, "train_autoencoders", boom)
    again = run_configs(cfgs(synthetic_folder), store, progress=False)
    assert [x["auc"] for x in again] == [x["auc"] for x in out]
    assert store.load_scores(r["key"], 2)["scores"].shape == (120,)


def test_interrupted_grid_resumes_without_loss_or_duplicates(synthetic_folder, monkeypatch):
    import aeutils.experiments.runs as ex

    configs = cfgs(synthetic_folder) + cfgs(synthetic_folder, loss="bce")
    store = ResultsStore()
    real = ex._run_group
    calls = []

    def dies_on_second_group(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(ex, "_run_group", dies_on_second_group)
    with pytest.raises(KeyboardInterrupt):
        run_grid(configs, store, progress=False)
    assert len(store.records()) == 6  # the first group survived
    monkeypatch.setattr(ex, "_run_group", real)
    assert run_grid(configs, store, progress=False) == 3  # only the lost group retrains
    recs = store.records()
    assert len(recs) == 12 and len({(r["key"], r["epoch"]) for r in recs}) == 12


def test_a_group_stopped_mid_training_resumes_from_its_snapshot(synthetic_folder, tmp_path,
                                                                monkeypatch):
    import aeutils.experiments.runs as ex

    monkeypatch.setenv("AEUTILS_SNAPSHOT_SECONDS", "0")  # a snapshot after every epoch
    configs = cfgs(synthetic_folder, model="vae", epochs=4, checkpoints=(2, 4))[:2]
    ref = ResultsStore(tmp_path / "ref.jsonl")
    run_configs(configs, ref, progress=False)

    store, real_save, saves = ResultsStore(tmp_path / "run.jsonl"), ex.GroupSnapshot.maybe_save, []

    def stopped_after_epoch_3(self, state):
        saves.append(real_save(self, state))
        if len(saves) == 3:
            raise KeyboardInterrupt  # the run is interrupted

    monkeypatch.setattr(ex.GroupSnapshot, "maybe_save", stopped_after_epoch_3)
    with pytest.raises(KeyboardInterrupt):
        run_configs(configs, store, progress=False)
    assert store.records() == [] and len(list(store.snapshots_dir.glob("*.pt"))) == 1
    monkeypatch.setattr(ex.GroupSnapshot, "maybe_save", real_save)

    import aeutils.detectors.groups as detector  # the grid trains autoencoders through it

    real_train, resumed = detector.train_autoencoders, []

    def spy(*a, resume=None, **k):
        resumed.append(resume["epoch"] if resume else None)
        return real_train(*a, resume=resume, **k)

    monkeypatch.setattr(detector, "train_autoencoders", spy)
    run_configs(configs, store, progress=False)
    assert resumed == [3]  # epochs 1-3 came from the snapshot, only epoch 4 was trained
    assert not list(store.snapshots_dir.glob("*"))  # removed once the records are stored
    want = {(r["key"], r["epoch"]): r for r in ref.records()}
    got = {(r["key"], r["epoch"]): r for r in store.records()}
    assert got.keys() == want.keys()
    for k, r in got.items():  # the same trajectory as the uninterrupted run
        assert r["auc"] == pytest.approx(want[k]["auc"], rel=1e-6)
        assert r["loss_curve"] == pytest.approx(want[k]["loss_curve"], rel=1e-6)
        assert r.get("resumed_from") == (3 if k[1] == 4 else None)


def test_a_torn_snapshot_is_ignored(synthetic_folder, tmp_path):
    from aeutils.experiments.runs import GroupSnapshot

    configs = cfgs(synthetic_folder)
    store = ResultsStore(tmp_path / "run.jsonl")
    snap = GroupSnapshot(store, configs)
    snap.path.parent.mkdir(parents=True)
    snap.path.write_bytes(b"half a pickle")  # a damaged file (disk full, a copy cut short)
    assert snap.load() is None
    run_configs(configs, store, progress=False)
    assert len(store.records()) == 6 and not snap.path.exists()


def test_records_name_the_commit_the_run_started_with(synthetic_folder, monkeypatch):
    import aeutils.experiments.runs as ex
    from aeutils import provenance

    head = ["abc1234"]
    monkeypatch.setattr(provenance, "_git", lambda *a: head[0] + "\n" if a[0] == "rev-parse"
                        else "")
    real = ex.train_autoencoders

    def commit_lands_while_training(*a, **k):
        head[0] = "def5678"
        return real(*a, **k)

    monkeypatch.setattr(ex, "train_autoencoders", commit_lands_while_training)
    provenance.git_state.cache_clear()
    try:
        out = run_configs(cfgs(synthetic_folder)[:1], ResultsStore(), progress=False)
    finally:
        provenance.git_state.cache_clear()
    assert out[0]["commit"] == "abc1234" and out[0]["dirty"] is False


def test_a_copy_without_git_names_its_commit_from_the_environment(monkeypatch):
    from aeutils import provenance

    monkeypatch.setattr(provenance, "_git", lambda *a: None)  # no .git, or no git at all
    provenance.git_state.cache_clear()
    try:
        monkeypatch.delenv("AEUTILS_COMMIT", raising=False)
        assert provenance.git_state() == {"commit": "unknown", "dirty": None}
        provenance.git_state.cache_clear()
        monkeypatch.setenv("AEUTILS_COMMIT", "abc1234")
        assert provenance.git_state() == {"commit": "abc1234", "dirty": None}
    finally:
        provenance.git_state.cache_clear()


def test_shards_partition_the_grid():
    configs = profile_configs("smoke")
    parts = [shard(configs, i, 3, max_group=2) for i in range(3)]
    keys = [c.key() for p in parts for c in p]
    assert sorted(keys) == sorted(c.key() for c in configs) and len(set(keys)) == len(keys)
    assert parse_shard("1/3") == (1, 3)


def test_cli_run_prints_metrics(synthetic_folder, capsys):
    rc = main(["run", "--dataset", f"folder:{synthetic_folder}", "--epochs", "1",
               "--batch-size", "16", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0 and "auc" in out and "key" in out


@pytest.mark.parametrize("args,msg", [
    (["--dataset", "imagenet"], "valid choices"),
    (["--model", "resnet"], "valid choices"),
    (["--loss", "l1"], "valid choices"),
    (["--protocol", "x"], "valid choices"),
    (["--contamination", "120"], "0-100"),
    (["--epochs", "0"], "at least 1"),
    (["--normal-class", "12"], "valid classes"),
])
def test_cli_bad_input_is_one_line(synthetic_folder, capsys, args, msg):
    rc = main(["run", "--dataset", f"folder:{synthetic_folder}", *args, "--no-progress"])
    errors = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln.lower()]
    assert rc == 2 and len(errors) == 1 and errors[0].startswith("error: ") and msg in errors[0]


def test_cli_grid_trains_only_the_datasets_given(synthetic_rgb_folder, tmp_path):
    """--dataset: the other dataset is never loaded (its folder does not exist); priority order,
    as a GPU machine that holds one dataset runs it (profile order passes the same filter)."""
    out = tmp_path / "r.jsonl"
    assert main(["grid", "--profile", "quick", "--block", "baselines", "--dataset", "cifar10",
                 "--dataset-map", f"cifar10=folder:{synthetic_rgb_folder}",
                 "--dataset-map", f"mnist=folder:{tmp_path / 'absent'}", "--order", "priority",
                 "--results", str(out), "--no-progress"]) == 0
    records = ResultsStore(out).records()
    assert len(records) == 10 * 5 and {r["dataset"] for r in records} == {
        f"folder:{synthetic_rgb_folder}"}


def test_cli_grid_and_merge(synthetic_folder, tmp_path, capsys):
    ds = f"mnist=folder:{synthetic_folder}"
    for i in range(2):
        assert main(["grid", "--profile", "smoke", "--block", "contamination", "--dataset-map", ds,
                     "--shard", f"{i}/2", "--results", str(tmp_path / f"s{i}/r.jsonl"),
                     "--no-progress"]) == 0
    merged = tmp_path / "all/r.jsonl"
    assert main(["merge", str(merged), str(tmp_path / "s0/r.jsonl"), str(tmp_path / "s1/r.jsonl")]) == 0
    n = len(ResultsStore(merged).records())
    assert n == 2 * 3 * 2  # 2 classes × 3 contamination levels × epochs {1, 2}
    main(["merge", str(merged), str(tmp_path / "s0/r.jsonl"), str(tmp_path / "s1/r.jsonl")])
    assert len(ResultsStore(merged).records()) == n
    capsys.readouterr()
    assert main(["grid", "--profile", "smoke", "--block", "contamination", "--dataset-map", ds,
                 "--results", str(merged), "--dry-run"]) == 0
    assert "0 to train" in capsys.readouterr().out
    # only one block's runs: a block two profiles share, or one taken out of a larger store
    one = tmp_path / "one/r.jsonl"
    assert main(["merge", str(one), str(merged), "--profile", "smoke", "--block", "main",
                 "--dataset-map", ds]) == 0
    assert not one.exists() or not ResultsStore(one).records()
    assert main(["merge", str(one), str(merged), "--profile", "smoke", "--block", "contamination",
                 "--dataset-map", ds]) == 0
    assert len(ResultsStore(one).records()) == n
    assert main(["merge", str(one), str(merged), "--block", "main"]) == 2
    assert "--block and --dataset-map need --profile" in capsys.readouterr().err


@pytest.mark.long(seconds=8)
def test_cli_grid_workers_share_one_table(synthetic_folder, tmp_path, capfd):
    """Two worker processes train a grid once between them, with the numbers one process gets."""
    ds = f"mnist=folder:{synthetic_folder}"
    common = ["grid", "--profile", "smoke", "--block", "contamination", "--dataset-map", ds,
              "--max-group", "1", "--no-progress"]
    assert main([*common, "--workers", "2", "--results", str(tmp_path / "w/r.jsonl")]) == 0
    out = capfd.readouterr().out
    assert "worker 1: " in out and "worker 2: " in out and "workers: 6 runs trained" in out
    assert main([*common, "--results", str(tmp_path / "one/r.jsonl")]) == 0
    both = [{(r["key"], r["epoch"]): r["auc"] for r in ResultsStore(tmp_path / f"{d}/r.jsonl").records()}
            for d in ("w", "one")]
    assert len(both[0]) == 2 * 3 * 2  # each (key, epoch) once: no run trained twice
    assert both[0] == both[1]


def test_help_lists_every_option(capsys):
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for opt in ("--dataset", "--model", "--loss", "--normal-class", "--protocol",
                "--contamination", "--epochs", "--checkpoints", "--seed", "--results"):
        assert opt in out


@pytest.mark.skipif(not os.path.exists(os.path.join(os.environ.get("AEUTILS_DATA", "data"),
                                                    "MNIST", "raw", "train-images-idx3-ubyte")),
                    reason="real MNIST not found under AEUTILS_DATA")
def test_real_mnist_end_to_end():
    cfg = RunConfig(dataset="mnist", model="basic", loss="bce", normal_class=0, epochs=3)
    r = run_configs([cfg], progress=False)[0]
    assert r["auc"] > 0.95 and r["n_test"] == 10000


def test_selection_blocks_rerun_each_strategys_choice_on_other_seeds(synthetic_folder,
                                                                     monkeypatch):
    from aeutils.experiments import grid
    from aeutils.experiments.grid import Block, run_profile, selection_blocks
    from aeutils.experiments.selection import REPORTED

    ds = f"folder:{synthetic_folder}"
    profile = [Block("main", datasets=(ds,), models=("basic",), losses=("mse", "bce"),
                     classes=(0, 1), epochs=2, checkpoints=(1, 2),
                     # a validation split that holds every kind of synthetic anomaly
                     settings={"batch_size": 16, "val_fraction": 0.25}),
               *selection_blocks((ds,), classes=(0, 1), seeds=(1, 2))]
    assert [b.strategy for b in profile[1:]] == list(REPORTED)
    monkeypatch.setitem(grid.PROFILES, "tiny", profile)
    store = ResultsStore()
    assert len(profile_configs("tiny", store=store)) == 4  # nothing searched: no selection yet
    times = run_profile("tiny", store=store, progress=False)
    assert times["main"][0] == 4
    for block in ("selection-label-free", "selection-flips", "selection-labelled"):
        assert block_group("tiny", block) == [block]  # no block reads as part of another
        chosen = profile_configs("tiny", blocks=[block], store=store)
        # seeds 1 and 2 only: seed 0 chose, so it is not among the reported seeds
        assert sorted((c.normal_class, c.seed) for c in chosen) == [(0, 1), (0, 2), (1, 1), (1, 2)]
        assert len({(c.loss, c.epochs) for c in chosen}) == 1  # one config per dataset
    assert sum(n for n, _ in run_profile("tiny", store=store, progress=False).values()) == 0
    with pytest.raises(Exception, match="derived"):
        profile[1].configs()


def test_profile_progress_counts_stored_runs_per_block(synthetic_folder, tmp_path):
    from aeutils import report

    datasets = {"mnist": f"folder:{synthetic_folder}"}
    store = ResultsStore(tmp_path / "r.jsonl")
    before = report.profile_progress("smoke", datasets, store)
    blocks = before["blocks"]
    assert before["stored"] == 0 and blocks["main"]["runs"] == 3 * 2 * 2
    assert (blocks["contamination"]["runs"], blocks["contamination"]["stored"]) == (6, 0)
    sel = blocks["selection-label-free"]
    assert (sel["runs"], sel["stored"]) == (0, 0)  # nothing to select from yet
    assert main(["grid", "--profile", "smoke", "--block", "contamination", "--dataset-map",
                 f"mnist=folder:{synthetic_folder}", "--results", str(store.path),
                 "--no-progress"]) == 0
    after = report.profile_progress("smoke", datasets, ResultsStore(store.path))
    cont = after["blocks"]["contamination"]
    assert (cont["runs"], cont["stored"]) == (6, 6)
    # each block says what its own runs cost: here all of it is the contamination block's
    assert cont["compute"] == after["compute"] and after["blocks"]["main"]["compute"] == \
        before["blocks"]["main"]["compute"]
    assert after["stored"] == 6 and after["runs"] == before["runs"]
    assert before["compute"]["cpu_hours"] == 0
    spent = after["compute"]
    on_cpu = spent["accelerator_runs"] == 0  # `make test` on a GPU machine trains on CUDA
    assert spent["runs_measured" if on_cpu else "accelerator_runs"] == 6
    assert spent["runs_estimated"] == 0
    assert spent["cpu_hours" if on_cpu else "accelerator_train_hours"] > 0


def test_compute_spent_takes_each_runs_largest_cpu_time_and_estimates_older_records(tmp_path):
    from aeutils.report import compute_spent

    store = ResultsStore(tmp_path / "r.jsonl")
    store.append([
        {"key": "a", "epoch": 1, "cpu_seconds": 360.0},
        {"key": "a", "epoch": 2, "cpu_seconds": 720.0},  # cumulative: the run took 720 s
        {"key": "b", "epoch": 2, "train_seconds": 900.0, "threads": 2},  # before cpu_seconds
        {"key": "c", "epoch": 2, "cpu_seconds": 3600.0},  # not asked for
        {"key": "d", "epoch": 2, "device": "cuda", "cpu_seconds": 9.0, "train_seconds": 36.0},
        {"key": "e", "epoch": 2, "device": "cpu", "cpu_seconds": 36.0, "train_seconds": 20.0},
    ])
    spent = compute_spent(store, {"a", "b", "d", "e"})
    assert spent == {"cpu_hours": (720 + 1800 + 36) / 3600, "runs_measured": 2,
                     "runs_estimated": 1, "estimated_cpu_hours": 0.5,
                     "accelerator_runs": 1, "accelerator_train_hours": 36 / 3600}
