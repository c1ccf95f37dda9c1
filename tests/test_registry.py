"""One home per concept: every name is registered once, with its builder, and a new
loss or baseline needs its code and one registration call to reach the CLI, the grid
and the contract test."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from test_contract import _images, check_contract

from aeutils import registry
from aeutils.cli.main import build_parser
from aeutils.config import RunConfig
from aeutils.detectors import BaseDetector, detector_class
from aeutils.experiments.grid import Block
from aeutils.experiments.runs import run_configs
from aeutils.experiments.store import ResultsStore

MUTABLE = ("AUTOENCODERS", "LOSS_TERMS", "LOSSES", "BASELINES", "METHODS", "ONE_SHOT",
           "DEFAULT_HIDDEN", "BASELINE_OPTIONS", "KEYED_WHEN_SET", "VERSIONS")


@pytest.fixture
def scratch_registry():
    """Registrations made in a test are undone afterwards (in place: modules hold the
    registry's dicts, not copies)."""
    saved = {name: copy.deepcopy(getattr(registry, name)) for name in MUTABLE}
    yield registry
    for name, value in saved.items():
        live = getattr(registry, name)
        live.clear()
        live.update(value)


def test_names_and_builders_agree():
    assert list(registry.METHODS) == [*registry.AUTOENCODERS, *registry.BASELINES]
    for name in registry.AUTOENCODERS:
        assert issubclass(registry.resolve(registry.AUTOENCODERS[name]), torch.nn.Module)
        assert registry.DEFAULT_HIDDEN[name] and f"model:{name}" in registry.VERSIONS
        assert detector_class(name).__name__ == "AutoEncoderDetector"
    for name in registry.LOSS_TERMS:
        assert callable(registry.resolve(registry.LOSS_TERMS[name]))
        assert f"loss:{name}" in registry.VERSIONS
    for name, terms in registry.LOSSES.items():
        assert set(terms) <= set(registry.LOSS_TERMS) and "+".join(terms) == name
    for name in registry.BASELINES:
        cls = detector_class(name)
        assert issubclass(cls, BaseDetector) and cls.name == name
        assert name in registry.BASELINE_OPTIONS and f"baseline:{name}" in registry.VERSIONS
    assert registry.ONE_SHOT <= set(registry.BASELINES)
    assert set(registry.KEYED_WHEN_SET) <= set(registry.BASELINES)


def test_a_name_is_registered_once(scratch_registry):
    with pytest.raises(ValueError, match="already registered"):
        registry.register_baseline("knn", "aeutils.detectors.classical:KNNBaseline", {})
    with pytest.raises(ValueError, match="already registered"):
        registry.register_loss_term("mse", "aeutils.detectors.losses:mse")
    with pytest.raises(ValueError, match="loss term"):
        registry.register_loss("mse+nothing")


def l1(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A toy loss term: mean absolute error per image."""
    return (recon - x).abs().flatten(1).mean(1)


class MeanDistance(BaseDetector):
    """A toy baseline: Euclidean distance of an image to the mean training image (pixels),
    added with one registration call to show what adding a method takes."""

    name = "toy-mean"

    def _fit_images(self, x, on_epoch=None):
        self.mean_ = x.float().div(255).mean(0)

    def _score_images(self, x):
        return (x.float().div(255) - self.mean_).flatten(1).norm(dim=1).double().numpy()


def _help(*argv: str, capsys) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--help"])
    return capsys.readouterr().out


def test_a_new_loss_and_baseline_need_one_registration_each(scratch_registry, synthetic_folder,
                                                            tmp_path, capsys):
    registry.register_loss_term("l1", l1)
    registry.register_baseline("toy-mean", MeanDistance, {}, one_shot=True)

    help_text = _help("run", capsys=capsys)  # the CLI's choices
    assert "toy-mean" in help_text and "l1" in help_text
    assert "l1" in Block("any").losses  # a grid block's default axis
    dataset = f"folder:{synthetic_folder}"
    configs = Block("toy", datasets=(dataset,), models=("basic", "toy-mean"), losses=("l1",),
                    classes=(1,), epochs=1, checkpoints=(1,)).configs()
    assert {(c.model, c.loss) for c in configs} == {("basic", "l1"), ("toy-mean", "mse")}
    store = ResultsStore(tmp_path / "r.jsonl")
    records = run_configs(configs, store, progress=False)  # the grid's one path
    assert {r["model"] for r in records} == {"basic", "toy-mean"}
    assert all(0.0 <= r["auc"] <= 1.0 for r in records)
    assert RunConfig(model="toy-mean").key() != RunConfig(model="knn").key()

    train = _images(96, False, seed=1)
    test = np.concatenate([_images(24, False, seed=2), _images(24, True, seed=3)])
    check_contract("toy-mean", train, test, np.r_[np.zeros(24), np.ones(24)])
