"""The priority order of a budgeted grid: MNIST first, cheapest groups first, and the
budget's bookkeeping (the device script's test runs it end to end)."""

from __future__ import annotations

import math

from aeutils.config import RunConfig
from aeutils.experiments import estimate, grid
from aeutils.experiments.grid import Block, Budget, prioritized, priority_datasets


def test_mnist_comes_before_cifar10_whatever_the_profile_says(monkeypatch):
    assert priority_datasets("thesis") == ["mnist", "cifar10"]
    monkeypatch.setitem(grid.PROFILES, "backwards", [
        Block("a", datasets=("cifar10", "folder:x")), Block("b", datasets=("mnist",))])
    assert priority_datasets("backwards") == ["mnist", "cifar10", "folder:x"]


def test_groups_go_cheapest_first_and_untimed_ones_last(monkeypatch):
    cost = {"conv": 30.0, "basic": 1.0, "vae": 5.0, "knn": math.nan}
    monkeypatch.setattr(estimate, "group_seconds", lambda g, device=None: cost[g[0].model])
    configs = [RunConfig(model=m, normal_class=c) for m in cost for c in (0, 1)]
    cache: dict = {}
    ranked = prioritized(configs, max_group=10, cache=cache)
    assert [g[0].model for _, g in ranked] == ["basic", "vae", "conv", "knn", "knn"]
    assert [len(g) for _, g in ranked] == [2, 2, 2, 1, 1]
    monkeypatch.setattr(estimate, "group_seconds", lambda *a, **k: 1 / 0)
    assert prioritized(configs, cache=cache) == ranked  # each group is timed once


def test_the_budget_scales_estimates_by_what_groups_took():
    b = Budget(100.0)
    assert 99 < b.left() <= 100 and b.need(10.0) == 10.0 and b.need(math.nan) == 0.0
    b.spent(10.0, 20.0)  # this machine runs at half the estimated speed
    b.spent(math.nan, 3.0)
    assert b.need(10.0) == 20.0 and b.need(math.nan) == 3.0
    assert Budget(None).left() == math.inf
