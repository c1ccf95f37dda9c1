"""aeutils.cli.studies.run_proxy_study (``studies/proxy_study.py``): trains a block on a
stand-in dataset and studies the criteria."""

import json
import math

from aeutils.cli.studies import run_proxy_study


def test_proxy_study_trains_the_block_on_the_other_dataset_and_studies_every_criterion(
        synthetic_folder, tmp_path):
    out = run_proxy_study(f"folder:{synthetic_folder}", "smoke", "main", "mnist",
                      str(tmp_path / "r.jsonl"), workers=1)
    rows = {r["strategy"]: r for r in out["rows"]}
    # the pooled criterion and each kind that the tiny validation split drew
    assert "label-free" in rows and len(rows) >= 4
    assert set(rows) <= {"label-free", "label-free-noise", "label-free-blur",
                         "label-free-patch", "label-free-mix", "label-free-flip"}
    for r in rows.values():
        assert r["candidates"] == 3 * 2 * 2  # smoke main: 3 models × 2 losses × 2 checkpoints
        assert 0 <= r["test_auc"] <= 1 and r["gap_single"] >= -1e-12
        # undefined (NaN) where a criterion is constant over the candidates
        assert math.isnan(r["spearman"]) or -1 <= r["spearman"] <= 1
    json.dumps(out, default=float)  # what the tool writes
