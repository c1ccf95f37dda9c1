"""RunConfig.precision: keyed only when not the default (every stored key stays valid),
trained and scored in bfloat16 on the CPU as well, never batched with another precision."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeutils.cli.main import main
from aeutils.config import ConfigError, RunConfig
from aeutils.experiments.runs import batched_groups, run_configs
from aeutils.experiments.store import ResultsStore


def test_the_default_precision_leaves_key_and_record_as_they_were():
    plain = RunConfig(dataset="mnist", model="basic", loss="bce+ssim", epochs=1)
    assert plain.precision == "fp32" and "precision" not in plain.to_dict()
    assert plain.replace(precision="fp32").key() == plain.key()
    keys = {plain.replace(precision=p).key() for p in ("fp32", "fp32-strict", "bf16")}
    assert len(keys) == 3
    assert RunConfig.from_dict(plain.replace(precision="bf16").to_dict()).precision == "bf16"
    knn = RunConfig(dataset="mnist", model="knn")  # baselines ignore it
    assert knn.replace(precision="bf16").key() == knn.key()
    with pytest.raises(ConfigError, match="valid choices: fp32, fp32-strict, bf16"):
        RunConfig(precision="fp16")


def test_precisions_train_in_separate_groups():
    configs = [RunConfig(model="basic", normal_class=c, precision=p)
               for c in (0, 1) for p in ("fp32", "bf16")]
    groups = batched_groups(configs)
    assert sorted(len(g) for g in groups) == [2, 2]
    assert all(len({c.precision for c in g}) == 1 for g in groups)


def test_bf16_aucs_agree_with_fp32_within_seed_noise(synthetic_folder, tmp_path):
    """Three classes, two fp32 seeds (their difference is the seed noise) and bf16 on the
    first seed: bf16 moves the mean AUC no further than another seed does (or 0.02)."""
    base = dict(dataset=f"folder:{synthetic_folder}", model="basic", loss="mse", epochs=3,
                batch_size=16)
    configs = [RunConfig(normal_class=c, seed=s, precision=p, **base)
               for c in (0, 1, 2) for s, p in ((0, "fp32"), (1, "fp32"), (0, "bf16"))]
    store = ResultsStore(tmp_path / "r.jsonl")
    recs = run_configs(configs, store, progress=False)
    auc = {(r["seed"], r.get("precision", "fp32")): [] for r in recs}
    for r in recs:
        auc[(r["seed"], r.get("precision", "fp32"))].append(r["auc"])
    mean = {k: float(np.mean(v)) for k, v in auc.items()}
    noise = abs(mean[(0, "fp32")] - mean[(1, "fp32")])
    assert abs(mean[(0, "bf16")] - mean[(0, "fp32")]) <= max(2 * noise, 0.02), mean
    assert all(r.get("precision") == "bf16" for r in recs if r["seed"] == 0 and
               r["key"] in {c.key() for c in configs if c.precision == "bf16"})


def test_cli_takes_precision_and_refuses_unknown(synthetic_folder, tmp_path, capsys):
    assert main(["run", "--dataset", f"folder:{synthetic_folder}", "--epochs", "1",
                 "--batch-size", "16", "--precision", "bf16", "--results",
                 str(tmp_path / "r.jsonl"), "--no-progress"]) == 0
    rec = ResultsStore(tmp_path / "r.jsonl").records()[-1]
    assert rec["precision"] == "bf16"
    assert main(["grid", "--profile", "smoke", "--precision", "fp16"]) == 2
    assert "valid choices: fp32, fp32-strict, bf16" in capsys.readouterr().err


def test_bf16_autocast_runs_on_the_cpu():
    from aeutils.detectors.training import autocast

    with autocast(torch.device("cpu"), "bf16"):
        y = torch.ones(4, 4) @ torch.ones(4, 4)
    assert y.dtype == torch.bfloat16
    with autocast(torch.device("cpu"), "fp32"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
