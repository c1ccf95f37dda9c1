import numpy as np
import pandas as pd
import pytest

from aeutils.config import RunConfig
from aeutils.selection import candidates, seed_summary, select, selected_configs, thesis_style_best


def fake_records(rng, poison_test: bool = False) -> pd.DataFrame:
    rows = []
    for model, loss, val_level in [("basic", "mse", 0.90), ("conv", "bce", 0.95), ("vae", "ssim", 0.80)]:
        for epoch in (5, 10):
            cfg = RunConfig(model=model, loss=loss, epochs=10)
            for c in range(10):
                r = cfg.to_dict()
                r.update(key=cfg.key(), epoch=epoch, normal_class=c, dataset_id="mnist",
                         val_auc=val_level + 0.01 * (epoch == 10) + rng.normal(0, 0.001),
                         # test AUC anti-correlated with validation: a test-reader would pick vae
                         auc=1.5 - val_level + rng.normal(0, 0.001),
                         accuracy=0.5, oracle_accuracy=0.5)
                rows.append(r)
    df = pd.DataFrame(rows)
    if poison_test:
        for col in ("auc", "accuracy", "oracle_accuracy"):
            df[col] = np.nan
    return df


def test_selection_uses_validation_only():
    rng = np.random.default_rng(0)
    df = fake_records(rng)
    choice = select(df, "mnist")
    assert (choice["model"], choice["loss"], choice["epoch"]) == ("conv", "bce", 10)
    # Removing or poisoning every test metric changes nothing: selection never reads them.
    assert select(fake_records(np.random.default_rng(0), poison_test=True), "mnist") == choice
    assert select(df.drop(columns=["auc", "accuracy", "oracle_accuracy"]), "mnist") == choice
    assert "auc" not in candidates(df, "mnist").columns


def test_selected_configs_and_summary():
    choice = select(fake_records(np.random.default_rng(1)), "mnist")
    cfgs = selected_configs(choice, classes=(0, 1), seeds=(0, 1, 2))
    assert len(cfgs) == 6 and {c.epochs for c in cfgs} == {10} and {c.model for c in cfgs} == {"conv"}
    recs = [{"normal_class": c.normal_class, "seed": c.seed, "auc": 0.9 + 0.01 * c.seed} for c in cfgs]
    s = seed_summary(recs).set_index("normal_class")
    assert s.loc["all", "mean"] == pytest.approx(0.91) and s.loc["all", "count"] == 3


def test_thesis_style_best_reads_test():
    df = fake_records(np.random.default_rng(2))
    cfgs = [RunConfig(model=m, loss=lo, epochs=10) for m, lo in [("basic", "mse"), ("conv", "bce"), ("vae", "ssim")]]
    best = thesis_style_best(df, cfgs)
    assert len(best) == 10 and set(best.model) == {"vae"}
