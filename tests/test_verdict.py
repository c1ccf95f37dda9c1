"""The reproduction verdict on small synthetic stores: identical, within float noise, one
configuration shifted beyond the noise of a mean, a changed label-free pick, and a dataset
the shipped store holds under another identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aeutils.experiments.store import ResultsStore
from aeutils.experiments.verdict import compare, float_noise_tolerance, mean_noise

# test AUC and label-free criterion per configuration: vae/mse is best on test for every
# class, conv/ssim the label-free pick (re-run at seeds 1 and 2, as a selection block does)
CONFIGS = {("basic", "mse"): (0.80, 0.60), ("basic", "bce"): (0.85, 0.70),
           ("vae", "mse"): (0.90, 0.65), ("conv", "ssim"): (0.70, 0.90)}
PICKED = ("conv", "ssim")
CLASSES = (0, 1, 2)


def records(dataset_id: str = "mnist", label: str = "MNIST", dataset: str = "mnist") -> list[dict]:
    out = []
    for (model, loss), (auc, synth) in CONFIGS.items():
        for c in CLASSES:
            for seed in (0, 1, 2) if (model, loss) == PICKED else (0,):
                for epoch in (5, 10):
                    step = 0.01 * (epoch == 10) + 0.002 * seed + 0.01 * c
                    out.append({
                        "key": f"{dataset_id}-{model}-{loss}-{c}-{seed}", "epoch": epoch,
                        "auc": auc + step, "synth_auc": synth + step, "synth_auc_flip": synth,
                        "val_auc": auc, "model": model, "loss": loss, "normal_class": c,
                        "seed": seed, "dataset": dataset, "dataset_id": dataset_id,
                        "dataset_label": label, "protocol": "one-vs-rest", "contamination": 0.0,
                        "max_train": 100, "max_test": 200, "lr": 0.001, "batch_size": 128,
                        "latent_dim": 32, "hidden": [], "val_fraction": 0.1, "score": "error",
                        "extra": {}})
    return out


def store(path: Path, rows: list[dict]) -> ResultsStore:
    s = ResultsStore(path)
    s.append(rows)
    return s


@pytest.fixture
def shipped(tmp_path):
    return store(tmp_path / "shipped" / "results.jsonl",
                 records() + records("folder-sha256:0123", "CIFAR-10 (JPEG copy)",
                                     "folder:/data/cifar10-jpeg"))


def test_the_shipped_store_against_itself_is_reproduced(shipped):
    v = compare(shipped, shipped)
    assert v.summary.endswith(": reproduced") and v.numbers["verdict"] == "reproduced"
    assert v.numbers["runs"]["identical"] == 1 and v.numbers["runs"]["max_abs_diff"] == 0
    assert not any(m["beyond"] for m in v.numbers["means"])
    text = "\n".join(v.lines)
    assert "choices, MNIST: best single configuration vae/mse at epoch 10: same" in text
    assert "label-free pick conv/ssim at epoch 10: same" in text
    assert "best per class: same in 3 of 3 classes" in text
    assert "headline, CIFAR-10 (JPEG copy): best per class, picked on test" in text


def test_float_noise_sized_changes_are_reproduced_within_noise(tmp_path, shipped):
    wobble = [0.004, -0.004, 0.001, -0.002, 0.003]  # single runs move; means hardly
    rows = [{**r, "auc": r["auc"] + wobble[i % len(wobble)]}
            for i, r in enumerate(shipped.records())]
    v = compare(store(tmp_path / "mine.jsonl", rows), shipped)
    assert v.summary.endswith(": reproduced within noise"), v.summary
    runs = v.numbers["runs"]
    assert runs["identical"] == 0 and runs["max_abs_diff"] == pytest.approx(0.004)
    assert runs["median_abs_diff"] > 0 and runs["p95_abs_diff"] <= runs["max_abs_diff"]
    noise = v.numbers["mean_noise"]["tolerance"]
    assert noise == max(mean_noise().values()) and 0 < noise < float_noise_tolerance()
    assert all(abs(m["diff"]) <= m["tolerance"] for m in v.numbers["means"])


def test_one_configuration_shifted_on_every_class_differs_and_is_named(tmp_path, shipped):
    rows = [{**r, "auc": r["auc"] + (0.03 if (r["model"], r["loss"]) == ("basic", "mse") else 0)}
            for r in shipped.records()]
    v = compare(store(tmp_path / "mine.jsonl", rows), shipped)
    assert v.numbers["verdict"] == "differs"
    beyond = {(m["dataset"], m["config"], m["epoch"]) for m in v.numbers["means"] if m["beyond"]}
    assert beyond == {(d, "basic/mse", e) for d in ("MNIST", "CIFAR-10 (JPEG copy)")
                      for e in (5, 10)}
    assert "MNIST basic/mse epoch 10 (+0.0300" in v.summary
    assert "vae/mse" not in v.summary and "label-free" not in v.summary
    assert any(line.startswith("    beyond: MNIST basic/mse epoch 5") for line in v.lines)


def test_a_changed_label_free_pick_is_named(tmp_path, shipped):
    rows = [{**r, "synth_auc": r["synth_auc"] + (0.3 if (r["model"], r["loss"]) == ("basic", "bce")
                                                 and r["dataset_id"] == "mnist" else 0)}
            for r in shipped.records()]
    v = compare(store(tmp_path / "mine.jsonl", rows), shipped)
    assert v.numbers["verdict"] == "differs"
    assert "MNIST: the label-free pick" in v.summary and "CIFAR-10" not in v.summary
    text = "\n".join(v.lines)
    assert ("label-free pick: changed: yours basic/bce at epoch 10, shipped conv/ssim at epoch 10"
            in text)
    assert "label-free-flip" not in v.summary  # the flip criterion did not move
    assert "best single configuration vae/mse at epoch 10: same" in text


def test_another_dataset_identity_has_no_shipped_counterpart(tmp_path, shipped):
    mine = store(tmp_path / "mine.jsonl",
                 records() + records("cifar10", "CIFAR-10", "cifar10"))  # torchvision's
    v = compare(mine, shipped)
    assert ("  CIFAR-10: no shipped counterpart: the shipped CIFAR-10 runs use the JPEG copy"
            in v.lines)
    assert v.summary.endswith("reproduced; CIFAR-10: no shipped counterpart")
    alone = compare(store(tmp_path / "alone.jsonl", records("cifar10", "CIFAR-10")), shipped)
    assert alone.numbers["verdict"] == "nothing compared"
    assert any("the shipped CIFAR-10 runs use the JPEG copy" in line for line in alone.lines)


def test_reproduce_prints_the_verdict_and_writes_its_numbers(tmp_path, shipped, capsys):
    from aeutils.cli.reproduce import _report_comparison

    mine = store(tmp_path / "mine" / "results.jsonl", records())
    _report_comparison(str(mine.path), shipped.path, tmp_path / "figs")
    printed = capsys.readouterr().out.splitlines()
    numbers = json.loads((tmp_path / "figs" / "numbers" / "reproduction_verdict_numbers.json").read_text())
    assert printed[0].startswith("against the shipped results") and printed == numbers["lines"]
    assert numbers["verdict"] == "reproduced" and numbers["runs"]["pairs"] == len(records())


def test_the_noise_of_a_mean_is_measured_on_two_devices_and_two_hosts():
    root = Path(__file__).resolve().parent.parent
    noise = mean_noise()
    assert "results/compare/rerun_scores.json" in noise  # two CPU hosts
    assert any(k.startswith("benchmarks/results/device_agreement") for k in noise)  # GPU, CPU
    rerun = json.loads((root / "results/compare/rerun_scores.json").read_text())
    assert noise["results/compare/rerun_scores.json"] == rerun["max_abs_mean_diff"]
    assert max(map(abs, rerun["mean_diffs"].values())) == rerun["max_abs_mean_diff"]
    # a mean over classes moves far less than a single run does
    assert max(noise.values()) < float_noise_tolerance() / 5
    checks = [*(root / "benchmarks/results").glob("device_agreement*.json"),
              *(root / "results").glob("*/rerun_scores.json")]
    assert len(checks) >= 3  # every agreement check counts, the largest difference wins
    each = [float_noise_tolerance(f) for f in checks]
    assert all(x > 0 for x in each) and float_noise_tolerance() == max(each)
