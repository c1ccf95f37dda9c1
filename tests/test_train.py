import math

import pytest
import torch

from aeutils import registry
from aeutils.config import RunConfig
from aeutils.data import make_split
from aeutils.detectors.networks import BasicAE
from aeutils.detectors.training import (
    MaskedAdam,
    TrainingDivergedError,
    member_state,
    train_autoencoders,
)


def test_masked_adam_matches_torch_adam():
    torch.manual_seed(0)
    w0 = torch.randn(1, 5, 3)
    a, b = torch.nn.Parameter(w0.clone()), torch.nn.Parameter(w0.clone())
    mine, ref = MaskedAdam([a], lr=1e-2), torch.optim.Adam([b], lr=1e-2)
    for _ in range(20):
        g = torch.randn_like(w0)
        a.grad, b.grad = g.clone(), g.clone()
        mine.step([True])
        ref.step()
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_masked_adam_leaves_inactive_members_alone():
    p = torch.nn.Parameter(torch.ones(2, 3))
    opt = MaskedAdam([p], lr=0.1)
    p.grad = torch.ones(2, 3)
    opt.step([True, False])
    assert (p[0] < 1).all() and (p[1] == 1).all()


@pytest.mark.parametrize("model,loss", [("basic", "bce"), ("conv", "mse+ssim"), ("vae", "mse")])
def test_batched_equals_sequential(grey_data, model, loss):
    """Three one-class models trained as one ensemble equal the same three trained alone."""
    cfgs = [RunConfig(dataset="mnist", model=model, loss=loss, normal_class=c, epochs=e,
                      batch_size=16, seed=s, contamination=cont)
            for c, e, s, cont in [(0, 2, 0, 0.0), (1, 3, 1, 50.0), (2, 2, 2, 0.0)]]
    splits = [make_split(grey_data, c.normal_class, contamination=c.contamination, seed=c.seed)
              for c in cfgs]
    assert len({len(s.train_x) for s in splits}) > 1  # ragged sizes exercise the masking
    dev = torch.device("cpu")
    batched = train_autoencoders(cfgs, splits, dev)
    for k, (c, s) in enumerate(zip(cfgs, splits)):
        alone = train_autoencoders([c], [s], dev)
        for name, p in member_state(alone, 0).items():
            torch.testing.assert_close(member_state(batched, k)[name], p, rtol=1e-4, atol=1e-5,
                                       msg=lambda m, n=name, k=k: f"member {k} {n}: {m}")


def test_checkpoints_and_loss_decreases(grey_data):
    cfg = RunConfig(model="basic", loss="mse", epochs=6, checkpoints=(2, 4), batch_size=8)
    seen = []

    def on_checkpoint(epoch, members, model, infos):
        seen.append(epoch)
        curve = infos[0]["loss_curve"]
        assert len(curve) == epoch

    train_autoencoders([cfg], [make_split(grey_data, 0)], torch.device("cpu"), on_checkpoint)
    assert seen == [2, 4, 6]


def test_diverging_loss_stops_with_clear_error(grey_data, monkeypatch):
    import aeutils.detectors.training as tr

    real_build = tr.build_model

    def nan_model(*a, **k):  # weights that make the loss NaN from the first step
        m = real_build(*a, **k)
        with torch.no_grad():
            next(m.parameters()).fill_(math.nan)
        return m

    monkeypatch.setattr(tr, "build_model", nan_model)
    cfg = RunConfig(model="basic", loss="mse", epochs=3, batch_size=8)
    with pytest.raises(TrainingDivergedError, match="lower learning rate"):
        train_autoencoders([cfg], [make_split(grey_data, 0)], torch.device("cpu"))


def test_seeded_training_is_deterministic(grey_data):
    cfg = RunConfig(model="vae", loss="bce", epochs=2, batch_size=8)
    s = make_split(grey_data, 0)
    a = member_state(train_autoencoders([cfg], [s], torch.device("cpu")), 0)
    b = member_state(train_autoencoders([cfg], [s], torch.device("cpu")), 0)
    assert all(torch.equal(a[n], b[n]) for n in a)


def test_fused_and_public_adam_give_the_same_trajectory(grey_data, monkeypatch):
    """The private fused kernel (when it works) and the public fallback train alike."""
    from aeutils.detectors import training as tr

    if not tr._fused_adam_works():  # e.g. torch 2.2 has the kernel, but not on the CPU
        pytest.skip(f"torch {torch.__version__}: the fused kernel is not usable, the public path runs")
    cfg = RunConfig(model="basic", loss="mse", epochs=2, batch_size=16)
    s = make_split(grey_data, 0)
    fused = member_state(train_autoencoders([cfg], [s], torch.device("cpu")), 0)
    monkeypatch.setattr(tr.MaskedAdam, "_fused_ok", False)
    plain = member_state(train_autoencoders([cfg], [s], torch.device("cpu")), 0)
    for name in fused:
        torch.testing.assert_close(fused[name], plain[name], rtol=1e-4, atol=1e-6)


def test_a_missing_or_changed_fused_kernel_falls_back(monkeypatch):
    from aeutils.detectors import training as tr

    monkeypatch.delattr(torch, "_fused_adam_")
    assert not tr._fused_adam_works()

    def wrong(*a, **k):
        raise TypeError("unexpected keyword argument")

    monkeypatch.setattr(torch, "_fused_adam_", wrong, raising=False)
    assert not tr._fused_adam_works()


def test_scoring_no_images_gives_empty_scores():
    from aeutils.detectors.networks import build_model
    from aeutils.detectors.training import score_images

    net = build_model("basic", (1, 8, 8), [0, 1])
    empty = torch.zeros(0, 1, 8, 8, dtype=torch.uint8)
    out = score_images(net, "mse", [empty, empty], torch.device("cpu"))
    assert [s.shape for s in out] == [(0,), (0,)]


class MarkedAE(BasicAE):
    """A toy model with rules of its own: it records the noise the training step asks it
    for and receives, and carries a constant penalty of 1 per image."""

    def noise(self, gens, active, batch):
        self.asked.append(list(active))
        return torch.zeros(len(gens), batch, 1)

    def forward(self, x, noise=None):
        recon, _ = super().forward(x)
        if self.training:
            self.given.append(noise)
        return recon, torch.ones(x.shape[:2])


def test_the_training_step_reads_the_models_own_rules(grey_data, monkeypatch):
    """The loop names no model: it draws the noise the model asks for, on the steps where
    each member has images, hands it over, and adds the model's penalty to the loss."""
    monkeypatch.setitem(registry.AUTOENCODERS, "marked", MarkedAE)
    monkeypatch.setitem(registry.METHODS, "marked", registry.AUTOENCODER_DETECTOR)
    monkeypatch.setitem(registry.DEFAULT_HIDDEN, "marked", registry.DEFAULT_HIDDEN["basic"])
    monkeypatch.setattr(MarkedAE, "asked", [], raising=False)
    monkeypatch.setattr(MarkedAE, "given", [], raising=False)
    splits = [make_split(grey_data, 0), make_split(grey_data, 1, contamination=50.0)]
    sizes = [len(s.train_x) for s in splits]
    assert sizes[0] < sizes[1]
    cfgs = [RunConfig(model=m, loss="mse", epochs=2, batch_size=16, seed=k, normal_class=k)
            for k, m in enumerate(("marked", "marked"))]
    train_autoencoders(cfgs, splits, torch.device("cpu"))
    steps = math.ceil(max(sizes) / 16)
    want = [[s * 16 < n for n in sizes] for s in range(steps)] * 2
    assert MarkedAE.asked == want and all(g.shape == (2, 16, 1) for g in MarkedAE.given)
    curves = []
    for model in ("marked", "basic"):
        train_autoencoders([c.replace(model=model) for c in cfgs], splits, torch.device("cpu"),
                           lambda e, m, model, infos: curves.append(infos[0]["loss_curve"]))
    assert curves[0] == pytest.approx([v + 1 for v in curves[1]], rel=1e-5)
