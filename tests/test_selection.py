import warnings

import numpy as np
import pandas as pd
import pytest

from aeutils.config import RunConfig
from aeutils.experiments.selection import (
    candidates,
    seed_summary,
    select,
    selected_configs,
    thesis_style_best,
)


def fake_records(rng, poison_test: bool = False) -> pd.DataFrame:
    rows = []
    for model, loss, val_level in [("basic", "mse", 0.90), ("conv", "bce", 0.95), ("vae", "ssim", 0.80)]:
        for epoch in (5, 10):
            cfg = RunConfig(model=model, loss=loss, epochs=10)
            for c in range(10):
                r = cfg.to_dict()
                r.update(key=cfg.key(), epoch=epoch, normal_class=c, dataset_id="mnist",
                         val_auc=val_level + 0.01 * (epoch == 10) + rng.normal(0, 0.001),
                         # label-free criterion prefers basic (another ranking again)
                         synth_auc=(0.99 if model == "basic" else 0.6) + 0.01 * (epoch == 5),
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
    cfgs = selected_configs(choice, "mnist", classes=(0, 1), seeds=(0, 1, 2))
    assert len(cfgs) == 6 and {c.epochs for c in cfgs} == {10} and {c.model for c in cfgs} == {"conv"}
    recs = [{"normal_class": c.normal_class, "seed": c.seed, "auc": 0.9 + 0.01 * c.seed} for c in cfgs]
    s = seed_summary(recs).set_index("normal_class")
    assert s.loc["all", "mean"] == pytest.approx(0.91) and s.loc["all", "count"] == 3


def test_thesis_style_best_reads_test():
    df = fake_records(np.random.default_rng(2))
    cfgs = [RunConfig(model=m, loss=lo, epochs=10) for m, lo in [("basic", "mse"), ("conv", "bce"), ("vae", "ssim")]]
    best = thesis_style_best(df, cfgs)
    assert len(best) == 10 and set(best.model) == {"vae"}


def test_strategies_pick_by_their_own_column_and_never_read_test():
    df = fake_records(np.random.default_rng(3))
    free = select(df, "mnist", by="label-free")
    assert (free["model"], free["epoch"]) == ("basic", 5)
    poisoned = fake_records(np.random.default_rng(3), poison_test=True)
    assert select(poisoned, "mnist", by="label-free") == free
    assert select(df, "mnist", by="test")["model"] == "vae"  # the test reader
    with pytest.raises(ValueError, match="valid choices"):
        select(df, "mnist", by="oracle")


def test_optimism_uses_the_same_candidates_and_seed():
    from aeutils.experiments.selection import optimism

    df = fake_records(np.random.default_rng(4))
    gap = optimism(df, "mnist").set_index("strategy")
    assert gap.loc["labelled-validation", "model"] == "conv"
    assert gap.loc["label-free", "model"] == "basic"
    assert (gap["candidates"] == 6).all()  # 3 configs × 2 checkpoint epochs
    # the test pick is vae (auc 0.7); conv scores 0.55, basic 0.6
    assert gap.loc["labelled-validation", "gap_single"] == pytest.approx(0.7 - 0.55, abs=0.01)
    assert gap.loc["label-free", "gap_single"] == pytest.approx(0.7 - 0.6, abs=0.01)
    assert (gap["gap_per_class"] >= gap["gap_single"] - 1e-9).all()


def test_proxy_study_ranks_each_label_free_criterion_against_test():
    from aeutils.experiments.selection import proxy_study

    df = fake_records(np.random.default_rng(5))
    df["synth_auc_flip"] = df["auc"]  # a perfect stand-in for the test AUC
    df["synth_auc_noise"] = -df["auc"]  # the worst one
    study = proxy_study(df, "mnist").set_index("strategy")
    # only the criteria the records carry; the others' columns are absent
    assert set(study.index) == {"label-free", "label-free-flip", "label-free-noise"}
    assert study.loc["label-free-flip", "spearman"] == pytest.approx(1.0)
    assert study.loc["label-free-flip", "gap_single"] == pytest.approx(0.0)
    assert study.loc["label-free-noise", "spearman"] == pytest.approx(-1.0)
    assert study.loc["label-free-noise", "gap_single"] > study.loc["label-free", "gap_single"]
    df["synth_auc_flip"] = 0.5  # a constant criterion ranks nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = proxy_study(df, "mnist").set_index("strategy")
    assert np.isnan(flat.loc["label-free-flip", "spearman"])


def test_a_strategy_whose_column_no_record_holds_fails_clearly():
    from aeutils.experiments.selection import CriterionMissing

    df = fake_records(np.random.default_rng(6))  # no per-kind columns
    with pytest.raises(CriterionMissing, match="synth_auc_flip"):
        select(df, "mnist", by="label-free-flip")
