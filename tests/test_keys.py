"""Results keys name what produced a record: resolved defaults, data by content, code versions."""

from __future__ import annotations

import shutil

import pytest

from aeutils import registry
from aeutils.config import RunConfig, config_key
from aeutils.experiments.runs import run_configs
from aeutils.experiments.store import ResultsStore


def test_changed_model_default_changes_the_key(monkeypatch):
    cfg = RunConfig(dataset="mnist", model="basic", loss="mse", epochs=1)
    before = cfg.key()
    monkeypatch.setitem(registry.DEFAULT_HIDDEN, "basic", (64,))
    after = RunConfig(dataset="mnist", model="basic", loss="mse", epochs=1).key()
    assert before != after
    # and an explicit hidden equal to the default hashes like the default
    assert RunConfig(dataset="mnist", model="basic", hidden=(64,), epochs=1).key() == after


def test_changed_baseline_default_and_version_change_the_key(monkeypatch):
    c = RunConfig(dataset="mnist", model="deep-svdd", epochs=2)
    k0 = c.key()
    monkeypatch.setitem(registry.BASELINE_OPTIONS, "deep-svdd",
                        {**registry.BASELINE_OPTIONS["deep-svdd"], "pretrain_epochs": 3})
    k1 = RunConfig(dataset="mnist", model="deep-svdd", epochs=2).key()
    monkeypatch.setitem(registry.VERSIONS, "baseline:deep-svdd", 99)
    k2 = RunConfig(dataset="mnist", model="deep-svdd", epochs=2).key()
    assert len({k0, k1, k2}) == 3
    # a version of an unrelated component leaves the key alone
    monkeypatch.setitem(registry.VERSIONS, "model:conv", 99)
    assert RunConfig(dataset="mnist", model="deep-svdd", epochs=2).key() == k2


def test_score_is_keyed_only_where_it_matters():
    base = RunConfig(loss="mse")
    assert base.key() == base.replace(score="loss").key()
    bce = RunConfig(loss="bce+ssim")
    assert bce.key() != bce.replace(score="loss").key()
    knn = RunConfig(model="knn")
    assert knn.key() == knn.replace(loss="bce").key() == knn.replace(score="loss").key()


def test_folder_key_follows_content_not_path(synthetic_folder, tmp_path):
    copy = tmp_path / "elsewhere" / "same-images"
    shutil.copytree(synthetic_folder, copy)
    a = RunConfig(dataset=f"folder:{synthetic_folder}")
    b = RunConfig(dataset=f"folder:{copy}")
    assert a.key() == b.key()
    victim = next((copy / "train").rglob("*.png"))
    victim.write_bytes(next((copy / "test").rglob("*.png")).read_bytes())
    from aeutils.data import datasets as data

    data._IDENTITY.clear()
    assert RunConfig(dataset=f"folder:{copy}").key() != a.key()


def test_record_key_recomputes_from_the_record(synthetic_folder, tmp_path):
    cfg = RunConfig(dataset=f"folder:{synthetic_folder}", model="basic", loss="bce",
                    epochs=1, batch_size=16)
    store = ResultsStore(tmp_path / "r.jsonl")
    rec = run_configs([cfg], store, progress=False)[0]
    fields = {f: rec[f] for f in RunConfig().to_dict() if f in rec}
    assert config_key(fields, rec["dataset_id"]) == rec["key"] == cfg.key()
    assert rec["commit"] and "dirty" in rec
    # a new implementation version makes the stored record stale: the config runs again
    assert store.has(cfg)
    registry.VERSIONS["train"] += 1
    try:
        stale = RunConfig(dataset=f"folder:{synthetic_folder}", model="basic", loss="bce",
                          epochs=1, batch_size=16)
        assert not store.has(stale)
        assert config_key(fields, rec["dataset_id"]) != rec["key"]
    finally:
        registry.VERSIONS["train"] -= 1


@pytest.mark.parametrize("bad", [dict(model="knn", extra={"trees": 3}),
                                 dict(model="conv", hidden=(8, 16, 32)),
                                 dict(score="raw"), dict(val_fraction=0.0)])
def test_bad_options_are_refused(bad):
    from aeutils.config import ConfigError

    with pytest.raises(ConfigError):
        RunConfig(**bad)


@pytest.mark.parametrize("model, option, value", [("deep-svdd", "lr_drop_svdd", 50),
                                                  ("anogan", "search_precision", "bf16")])
def test_options_added_later_are_keyed_only_when_set(monkeypatch, model, option, value):
    """Deep SVDD's learning-rate drops and AnoGAN's search precision came after runs had
    been stored: unset, they leave the key as the registry without them computed it; set,
    they change it."""
    plain = RunConfig(dataset="mnist", model=model, epochs=2)
    now = plain.key()
    assert plain.replace(extra={option: None}).key() == now
    assert plain.replace(extra={option: value}).key() != now
    if model == "deep-svdd":
        assert (plain.replace(extra={"lr_drop_pretrain": 250}).key()
                != plain.replace(extra={"lr_drop_svdd": 250}).key())
    later = registry.KEYED_WHEN_SET[model]
    assert option in later
    before = {k: v for k, v in registry.BASELINE_OPTIONS[model].items() if k not in later}
    monkeypatch.setitem(registry.BASELINE_OPTIONS, model, before)
    monkeypatch.setitem(registry.KEYED_WHEN_SET, model, ())
    old = config_key(plain.to_dict(), "mnist-id")
    monkeypatch.undo()
    assert config_key(plain.to_dict(), "mnist-id") == old
