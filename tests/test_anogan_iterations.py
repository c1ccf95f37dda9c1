"""studies/anogan_iterations.py in its quick mode on a synthetic image folder: one search
read at several step counts, each the score of a search that long; a rerun resumes."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from aeutils import studies
from aeutils.config import RunConfig
from aeutils.data import split_for
from aeutils.detectors import training_group
from aeutils.detectors.metrics import evaluate

SCRIPT = Path(__file__).resolve().parents[1] / "studies" / "anogan_iterations.py"


def _run(monkeypatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    runpy.run_path(str(SCRIPT), run_name="__main__")


def test_stratified_subset_keeps_every_class_share():
    labels = np.repeat(np.arange(10), [100] * 9 + [1000])
    idx = studies.stratified_subset(labels, 190, seed=0)
    assert len(idx) == 190 and (np.diff(idx) > 0).all()
    assert np.bincount(labels[idx]).tolist() == [10] * 9 + [100]
    np.testing.assert_array_equal(idx, studies.stratified_subset(labels, 190, seed=0))
    assert len(studies.stratified_subset(labels, 5000, seed=0)) == len(labels)


def test_anogan_iteration_study_quick_mode(synthetic_folder, tmp_path, monkeypatch, capsys):
    dataset = f"folder:{synthetic_folder}"
    out_path = tmp_path / "anogan.json"
    args = ["--quick", "--datasets", dataset, "--classes", "2", "--test-images", "40",
            "--json", str(out_path)]
    _run(monkeypatch, *args)
    assert "| AUC @1 | AUC @2 | AUC @5 |" in capsys.readouterr().out
    out = json.loads(out_path.read_text())
    row = out["datasets"][dataset]["classes"][0]
    assert out["steps"] == [1, 2, 5] and "--quick" in out["command"]
    assert row["class"] == 2 and row["test_images"] == 40 and row["anomalies"] == 36
    assert row["train_images"] == 36 and len(row["generator_loss"]) == 2  # 40 less a tenth
    assert set(row["auc"]) == {"1", "2", "5"} and all(0 <= a <= 1 for a in row["auc"].values())
    means = [row["mean_loss_normal"][k] + row["mean_loss_anomalous"][k] for k in ("1", "2", "5")]
    assert means[0] > means[1] > means[2]  # the search lowers the loss
    # the loss after 2 steps of the 5-step search is the score of a 2-step search
    settings = runpy.run_path(str(SCRIPT))["QUICK"]  # as the script passes them
    cfg = RunConfig(dataset=dataset, model="anogan", normal_class=2, seed=0,
                    **settings["settings"], extra={**settings["extra"], "iterations": 2})
    data, split = split_for(cfg)
    idx = torch.as_tensor(studies.stratified_subset(data.test_y.numpy(), 40, 0))
    group = training_group([cfg])
    group.fit([split.train_x])
    det = group.detectors[0]
    scores = det.decision_function(split.test_x[idx])
    assert evaluate(scores, split.test_y[idx].numpy())["auc"] == pytest.approx(row["auc"]["2"])
    # a rerun with the same settings keeps the stored row instead of training again
    monkeypatch.setattr(studies, "anogan_iteration_curve",
                        lambda *a, **k: pytest.fail("the stored row was re-run"))
    _run(monkeypatch, *args)
    assert json.loads(out_path.read_text())["datasets"][dataset]["classes"] == [row]


def test_anogan_precision_study_quick_mode(synthetic_folder, tmp_path, monkeypatch, capsys):
    """One training, two searches (float32, bfloat16) on the same networks: both AUCs,
    their rank agreement; a rerun keeps the stored row."""
    script = SCRIPT.with_name("anogan_precision.py")
    out_path = tmp_path / "precision.json"
    args = ["--quick", "--datasets", f"folder:{synthetic_folder}", "--classes", "2",
            "--test-images", "40", "--json", str(out_path)]
    monkeypatch.setattr(sys, "argv", [str(script), *args])
    runpy.run_path(str(script), run_name="__main__")
    assert "| AUC @1 fp32 / bf16 | AUC @5 fp32 / bf16 | Spearman @5 |" in capsys.readouterr().out
    out = json.loads(out_path.read_text())
    row = out["datasets"][f"folder:{synthetic_folder}"]["classes"][0]
    assert out["steps"] == [1, 5] and set(row["auc"]) == {"fp32", "bf16"}
    assert all(set(a) == {"1", "5"} for a in row["auc"].values())
    assert set(row["search_seconds"]) == {"fp32", "bf16"}
    assert all(-1 <= r <= 1 for r in row["spearman"].values())
    assert 0 < row["max_relative_difference"]["5"] < 0.5  # another path, not another model
    assert set(out["datasets"][f"folder:{synthetic_folder}"]["mean_auc"]) == {"fp32", "bf16"}
    monkeypatch.setattr(studies, "anogan_precision_check",
                        lambda *a, **k: pytest.fail("the stored row was re-run"))
    runpy.run_path(str(script), run_name="__main__")
    assert json.loads(out_path.read_text())["datasets"][f"folder:{synthetic_folder}"][
        "classes"] == [row]
