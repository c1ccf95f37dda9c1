"""Seed noise behind the thesis-protocol tables: spread per cell, pooled per class, marks."""

from __future__ import annotations

import pandas as pd
import pytest

from aeutils.report.thesis import (
    best_per_class,
    class_noise,
    compare_with_thesis,
    config_seed_means,
    mark_seed_noise,
    seed_spread,
)


def _rows(model, loss, aucs_by_seed):
    return [{"key": f"{model}{loss}{c}{s}", "model": model, "loss": loss, "normal_class": c,
             "seed": s, "epoch": 200, "auc": a, "contamination": 0.0,
             "protocol": "one-vs-rest", "dataset_id": "mnist", "dataset": "mnist"}
            for s, aucs in aucs_by_seed.items() for c, a in enumerate(aucs)]


@pytest.fixture
def records():
    ten = lambda v: [v] * 10  # noqa: E731
    rows = (_rows("vae", "mse", {0: ten(0.97), 1: ten(0.96), 2: ten(0.98)})      # std 0.01
            + _rows("basic", "bce+ssim", {0: ten(0.99), 1: ten(0.99), 2: ten(0.99)})  # std 0
            + _rows("conv", "mse", {0: ten(0.995)}))                               # one seed
    return pd.DataFrame(rows)


def test_spread_pooled_and_avg(records):
    spread = seed_spread(records, "mnist")
    assert set(spread["config"]) == {"vae/mse", "basic/bce+ssim"}  # one-seed configs left out
    vae = spread[spread["config"] == "vae/mse"]
    assert vae["std"].iloc[0] == pytest.approx(0.01) and vae["count"].iloc[0] == 3
    assert class_noise(spread)[0] == pytest.approx((0.01 ** 2 / 2) ** 0.5)
    avg = config_seed_means(records, "mnist", "vae/mse")
    assert avg == {"mean": pytest.approx(0.97), "std": pytest.approx(0.01), "seeds": 3}
    assert config_seed_means(records, "mnist", "conv/mse") == {}


def test_marks_use_own_std_else_pooled(records):
    seed0 = records[records["seed"] == 0]
    best = best_per_class(seed0, "mnist")       # conv/mse (one seed) wins every class
    table = compare_with_thesis(best, "mnist", {"model": "conv", "loss": "mse", "auc": 0.995})
    spread = seed_spread(records, "mnist")
    marked = mark_seed_noise(table, best, spread, avg={"mean": 0.97, "std": 0.01, "seeds": 3})
    classes = marked.iloc[:10]
    assert set(classes["noise_from"]) == {"pooled"}
    expected = (classes["delta_auc"].abs() > 2 * classes["seed_std"]).tolist()
    assert classes["beyond_noise"].tolist() == expected
    avg_row = marked[marked["class"].str.startswith("AVG")].iloc[0]
    assert avg_row["noise_from"] == "own" and avg_row["seed_std"] == pytest.approx(0.01)
    # With the chosen configuration seeded, its own std is used.
    best_vae = best_per_class(records[records["model"] == "vae"], "mnist")
    own = mark_seed_noise(compare_with_thesis(best_vae, "mnist"), best_vae, spread)
    assert set(own.iloc[:10]["noise_from"]) == {"own"}
    assert own.iloc[0]["seed_mean_auc"] == pytest.approx(0.97)
