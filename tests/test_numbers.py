"""The typed records of the numbers files: what the notebooks write loads, what lacks a
field fails in one line naming the file and the field."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from aeutils.report import numbers as nums
from aeutils.report.findings import findings

ROOT = Path(__file__).resolve().parent.parent
LOADERS = {"01_data": nums.load_data, "02_models": nums.load_models,
           "03_training": nums.load_training, "04_evaluation": nums.load_evaluation,
           "05_comparison": nums.load_comparison, "06_your_own_data": nums.load_own_data}


def _reads_as(value, raw, where: str) -> None:
    """Every field ``value`` (a record, or a part of one) names holds what ``raw``, the
    file's dict, holds under its key: nothing renamed, dropped or converted on the way."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            got, key = getattr(value, f.name), f.metadata.get("key", f.name)
            if "rest" in f.metadata:
                for k, v in got.items():
                    _reads_as(v, raw[k], f"{where}.{k}")
            elif key in raw:
                _reads_as(got, raw[key], f"{where}.{key}")
    elif isinstance(value, dict):
        assert len(value) == len(raw), where
        for (k, v), (rk, rv) in zip(value.items(), raw.items()):
            assert k == rk or float(k) == float(rk), f"{where}: key {k!r} is {rk!r}"
            _reads_as(v, rv, f"{where}.{rk}")
    elif isinstance(value, tuple):
        assert len(value) == len(raw), where
        for i, (v, rv) in enumerate(zip(value, raw)):
            _reads_as(v, rv, f"{where}[{i}]")
    else:
        assert value == raw and isinstance(value, bool) == isinstance(raw, bool), \
            f"{where}: {value!r} is {raw!r}"


def test_every_shipped_numbers_file_loads_and_reads_the_same_as_its_dict():
    folders = sorted({p.parent.parent for p in ROOT.glob("figures/*/numbers/*_numbers.json")})
    assert folders
    for folder in folders:
        for notebook, load in LOADERS.items():
            if not nums.numbers_path(folder, notebook).exists():
                continue
            record = load(folder)
            assert isinstance(record, nums.RECORDS[notebook])
            raw = json.loads(nums.numbers_path(folder, notebook).read_text())
            _reads_as(record, raw, str(nums.numbers_path(folder, notebook)))
            assert findings(record, notebook) == findings(raw, notebook)


def test_a_record_that_reads_a_value_wrong_is_caught():
    raw = {"label": "M", "baseline_classes": {"knn [one-vs-rest]": 6},
           "baseline_auc_by_epoch": {"knn [one-vs-rest]": {"10": 0.9}}}
    record = nums.ComparisonSet.parse(raw)
    _reads_as(record, raw, "numbers")
    for wrong in (dataclasses.replace(record, baseline_classes={"knn [one-vs-rest]": 7}),
                  dataclasses.replace(record, baseline_auc_by_epoch={"knn [one-vs-rest]": {
                      20: 0.9}})):
        with pytest.raises(AssertionError, match="knn"):
            _reads_as(wrong, raw, "numbers")


def _evaluation(tmp_path: Path, change) -> Path:
    raw = {"profile": "p", "settings": "s", "mnist": {
        "label": "MNIST", "thesis_table": [{"class": "0", "thesis_auc": 0.9, "our_auc": 0.95}],
        "auc_vs_epoch": {"vae/mse": {"1": 0.9, "10": 0.95}}}}
    change(raw)
    folder = tmp_path / "render"
    (folder / "numbers").mkdir(parents=True)
    (folder / "numbers" / "04_evaluation_numbers.json").write_text(json.dumps(raw))
    return folder


def test_a_missing_field_is_named_with_its_file_in_one_line(tmp_path):
    folder = _evaluation(tmp_path, lambda raw: None)
    ev = nums.load_evaluation(folder)
    assert ev.datasets["mnist"].auc_vs_epoch == {"vae/mse": {1: 0.9, 10: 0.95}}  # typed keys
    assert ev.datasets["mnist"].thesis_table[0].class_ == "0"
    folder = _evaluation(tmp_path / "a", lambda raw: raw["mnist"]["thesis_table"][0].pop("class"))
    with pytest.raises(nums.NumbersError) as err:
        nums.load_evaluation(folder)
    said = str(err.value)
    assert said == (f"{folder}/numbers/04_evaluation_numbers.json: mnist.thesis_table[0]: "
                    f"missing field 'class'") and "\n" not in said
    folder = _evaluation(tmp_path / "b", lambda raw: raw.pop("settings"))
    with pytest.raises(nums.NumbersError, match="04_evaluation_numbers.json: missing field "
                                                "'settings'"):
        nums.load_evaluation(folder)
    folder = _evaluation(tmp_path / "c", lambda raw: raw["mnist"].update(
        mean_auc_best_single="high"))
    with pytest.raises(nums.NumbersError, match=r"mnist.mean_auc_best_single: expected float, "
                                                r"got 'high'"):
        nums.load_evaluation(folder)
    with pytest.raises(FileNotFoundError):
        nums.load_comparison(folder)


def test_a_notebooks_dict_parses_as_its_written_file_does():
    """In a notebook the numbers are numpy values with int keys; in the file, JSON."""
    live = {"mnist": {"label": "MNIST", "best_per_class": {
        0: {"config": "vae/mse", "auc": np.float64(0.99)}},
        "auc_vs_contamination": {"basic/bce": {0.0: np.float32(0.9), 10.0: float("nan")}},
        "measured_classes": np.int64(1)}}
    with pytest.raises(nums.NumbersError, match=r"auc_vs_contamination.basic/bce.10.0: "
                                                r"expected float, got None"):
        nums.EvaluationNumbers.parse(live)
    live["mnist"]["auc_vs_contamination"]["basic/bce"][10.0] = 0.8
    parsed = nums.EvaluationNumbers.parse(live)
    assert parsed == nums.EvaluationNumbers.parse(json.loads(json.dumps(nums.plain(live))))
    assert parsed.datasets["mnist"].best_per_class["0"].auc == 0.99
    assert parsed.datasets["mnist"].measured_classes == 1


def test_measured_rows_and_picks_read_by_attribute():
    c = nums.ComparisonSet.parse({"label": "M", "mean_auc": {
        "AE best single config (vae/mse) [one-vs-rest]": 0.97, "knn [leave-one-out]": 0.6,
        "AE, label-free selection: conv/ssim, epoch 200 (seeds 1, 2, 3) [one-vs-rest]": 0.95},
        "ensemble": [{"strategy": "ensemble-validation", "epoch": e, "auc": a, "members": 15,
                      "classes": 10} for e, a in ((20, 0.9), (200, 0.96))]})
    rows = c.rows()
    assert [(r.kind, r.protocol, r.autoencoder) for r in rows] == [
        ("AE best single config", "one-vs-rest", True), ("knn", "leave-one-out", False),
        ("AE, label-free selection", "one-vs-rest", True)]
    assert c.ensemble_of().epoch == 200 and c.pick("label-free") is None
