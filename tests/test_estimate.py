"""The dry-run estimate: what it counts and that it times every kind of run."""

import math

from aeutils.cli.main import main
from aeutils.config import RunConfig
from aeutils.data import split_for
from aeutils.experiments.estimate import BaselineCost, GroupCost, estimate


def _ae(folder, **kw):
    base = dict(dataset=f"folder:{folder}", model="basic", loss="mse", epochs=3,
                checkpoints=(1, 3), batch_size=16)
    return [RunConfig(normal_class=c, **{**base, **kw}) for c in range(3)]


def test_autoencoder_groups_count_steps_and_scored_images(synthetic_folder):
    configs = _ae(synthetic_folder) + _ae(synthetic_folder, loss="bce")
    costs = estimate(configs, max_group=10)
    assert [type(c) for c in costs] == [GroupCost, GroupCost]
    assert [c.members for c in costs] == [3, 3]
    splits = [split_for(c)[1] for c in configs[:3]]
    n_train = max(len(s.train_x) for s in splits)
    assert costs[0].steps == 3 * math.ceil(n_train / 16)
    s = splits[0]
    assert costs[0].scored == 2 * (len(s.test_x) + len(s.val_x) + len(s.synth_x))
    assert all(c.step_seconds > 0 and c.image_seconds > 0 and c.seconds > c.training_seconds
               for c in costs)


def test_baselines_are_timed_once_per_setting(synthetic_folder):
    ds = f"folder:{synthetic_folder}"
    svdd = [RunConfig(dataset=ds, model="deep-svdd", normal_class=0, epochs=4, checkpoints=(2, 4),
                      batch_size=16, seed=s, extra={"pretrain_epochs": 3}) for s in (0, 1)]
    knn = RunConfig(dataset=ds, model="knn", normal_class=0)
    costs = estimate([*svdd, knn])
    assert all(isinstance(c, BaselineCost) for c in costs) and len(costs) == 3
    assert costs[0] is costs[1]  # the second seed is not timed again
    assert all(c.training_seconds > 0 and c.scoring_seconds > 0 for c in costs)


def test_dry_run_times_baselines_too(synthetic_folder, tmp_path, capsys):
    import json

    out = tmp_path / "est.json"
    assert main(["grid", "--profile", "smoke", "--block", "baselines", "--dataset-map",
                 f"mnist=folder:{synthetic_folder}", "--results", str(tmp_path / "r.jsonl"),
                 "--dry-run", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "not timed" not in printed
    block = json.loads(out.read_text())["blocks"][0]
    assert block["to_train"] == 4 and block["groups"] == 4 and block["hours"] > 0


def test_an_epoch_is_never_free_when_timing_noise_hides_it():
    from aeutils.experiments.estimate import _increment

    assert _increment(3.0, 2.0) == 1.0
    assert _increment(1.9, 2.0) == 2.0  # noise: bounded by the shorter fit, not zero


def test_feature_encoders_are_timed_per_image_and_pay_the_test_set_once(synthetic_folder,
                                                                        tmp_path):
    import pytest

    pytest.importorskip("efficientnet_lite_pytorch")
    ds = f"folder:{synthetic_folder}"
    configs = [RunConfig(dataset=ds, model="pretrained-knn", normal_class=c, epochs=1,
                         checkpoints=(1,), extra={"image_size": 32}) for c in (0, 1)]
    first, second = estimate(configs)
    s = split_for(configs[0])[1]
    per_image = first.training_seconds / len(s.train_x)
    assert first.scoring_seconds == pytest.approx(
        per_image * (len(s.test_x) + len(s.val_x) + len(s.synth_x)))
    assert first.shared == pytest.approx(per_image * len(s.test_x))
    s2 = split_for(configs[1])[1]
    per_image2 = second.training_seconds / len(s2.train_x)
    assert second.shared == 0  # class 1 reads the test set's features from the cache
    assert second.scoring_seconds == pytest.approx(per_image2 * (len(s2.val_x) + len(s2.synth_x)))
    assert not list((tmp_path / "cache" / "features").glob("*.npy"))  # timing cached nothing


def test_a_latent_search_is_timed_short_and_scaled_to_its_length(synthetic_folder, monkeypatch):
    """AnoGAN's scoring is timed at SEARCH_PROBE_STEPS steps and scaled by its real length:
    its cost is linear in the steps."""
    import pytest

    from aeutils.experiments import estimate as est

    seen = []

    def one_ms_per_image(group, x):
        seen.append(group.detectors[0].iterations)
        return 0.001 * len(x)

    monkeypatch.setattr(est, "_timed_score", one_ms_per_image)
    c = RunConfig(dataset=f"folder:{synthetic_folder}", model="anogan", normal_class=0, epochs=1,
                  checkpoints=(1,), batch_size=16, latent_dim=8,
                  extra={"iterations": 500, "ndf": 8})
    (cost,) = est.estimate([c])
    assert set(seen) == {est.SEARCH_PROBE_STEPS}
    s = split_for(c)[1]
    scored = len(s.test_x) + len(s.val_x) + len(s.synth_x)
    assert cost.scoring_seconds == pytest.approx(500 / est.SEARCH_PROBE_STEPS * 0.001 * scored)
