import pytest

from aeutils.config import ConfigError, RunConfig


@pytest.mark.parametrize("field,value,match", [
    ("dataset", "imagenet", "valid choices: mnist"),
    ("model", "resnet", "valid choices: basic, conv, vae"),
    ("loss", "l1", "valid choices: mse, bce, ssim"),
    ("protocol", "all", "valid choices: one-vs-rest, leave-one-out"),
    ("contamination", 101, "0-100"),
    ("contamination", -1, "0-100"),
    ("epochs", 0, "at least 1"),
])
def test_bad_values_name_the_choices(field, value, match):
    with pytest.raises(ConfigError, match=match):
        RunConfig(**{field: value})


def test_key_is_stable_and_ignores_epochs_and_checkpoints():
    a = RunConfig(epochs=10, checkpoints=(1, 5))
    b = RunConfig(epochs=200, checkpoints=[5, 1, 1])
    assert a.key() == b.key()
    assert a.key() != RunConfig(seed=1).key()
    assert RunConfig.from_dict(a.to_dict()) == a


def test_eval_epochs_include_last_and_drop_later():
    assert RunConfig(epochs=10, checkpoints=(1, 5, 20)).eval_epochs == (1, 5, 10)


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ConfigError, match="unknown config field"):
        RunConfig.from_dict({"epoch": 3})


def test_one_shot_baselines_are_evaluated_once():
    knn = RunConfig(model="knn", epochs=2, checkpoints=(1, 2))
    assert knn.eval_epochs == (2,)
    assert RunConfig(model="deep-svdd", epochs=2, checkpoints=(1, 2)).eval_epochs == (1, 2)
