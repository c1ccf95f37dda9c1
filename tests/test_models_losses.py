import pytest
import torch

from aeutils.config import ConfigError, check_shape
from aeutils.detectors.losses import per_sample_loss
from aeutils.detectors.networks import build_model, n_parameters
from aeutils.registry import (
    AUTOENCODERS,
    DEFAULT_HIDDEN,
    HIDDEN_COUNT,
    LOSS_TERMS,
    LOSSES,
    MIN_SIDE,
    SIDE_MULTIPLE,
    resolve,
)


@pytest.mark.parametrize("name", list(AUTOENCODERS))
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_output_shapes_and_range(name, shape):
    m = build_model(name, shape, seeds=[0, 1])
    x = torch.rand(2, 5, *shape)
    recon, kl = m(x)
    assert recon.shape == x.shape
    assert recon.min() >= 0 and recon.max() <= 1
    assert (kl is not None) == (name == "vae")
    if kl is not None:
        assert kl.shape == (2, 5)


def test_basic_default_is_thesis_size():
    # 784-128-32-128-784 with biases
    assert n_parameters(build_model("basic", (1, 28, 28))) == 784 * 128 + 128 + 128 * 32 + 32 + 32 * 128 + 128 + 128 * 784 + 784


@pytest.mark.parametrize("name", list(AUTOENCODERS))
def test_ensemble_member_equals_single_model(name):
    big = build_model(name, (1, 28, 28), seeds=[5, 6, 7]).eval()
    one = build_model(name, (1, 28, 28), seeds=[6]).eval()
    for (n, p), (_, q) in zip(big.named_parameters(), one.named_parameters()):
        assert torch.equal(p[1], q[0]), n
    x = torch.rand(1, 4, 1, 28, 28)
    torch.testing.assert_close(big(x.expand(3, -1, -1, -1, -1))[0][1], one(x)[0][0])


def test_unknown_model():
    with pytest.raises(ValueError, match="valid choices"):
        build_model("mlp", (1, 28, 28))


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_losses_per_sample_and_identity(name, shape):
    x = torch.rand(6, *shape) * 0.98 + 0.01
    same = per_sample_loss(name, x, x)
    assert same.shape == (6,)
    other = per_sample_loss(name, torch.rand(6, *shape), x)
    assert (other > same).all()
    if name in ("mse", "ssim", "mse+ssim"):
        assert same.abs().max() < 1e-5  # MSE 0 and SSIM loss ≈ 0 for identical images
    k = per_sample_loss(name, x.view(2, 3, *shape), x.view(2, 3, *shape))
    assert k.shape == (2, 3)


def test_unknown_loss():
    with pytest.raises(ValueError, match="valid choices: mse, bce"):
        per_sample_loss("l1", torch.rand(1, 1, 28, 28), torch.rand(1, 1, 28, 28))


def test_bce_error_score_is_zero_for_a_perfect_reconstruction():
    from aeutils.detectors.losses import per_sample_score

    grey = torch.full((2, 1, 28, 28), 0.5)
    crisp = (torch.rand(2, 1, 28, 28) > 0.5).float()
    for name in ("bce", "bce+ssim"):
        perfect = per_sample_score(name, grey, grey)
        torch.testing.assert_close(perfect, torch.zeros(2), atol=1e-6, rtol=0)
        # the raw loss keeps the image's own entropy: a perfect mid-grey rebuild scores ln 2
        raw = per_sample_score(name, grey, grey, score="loss")
        torch.testing.assert_close(raw, torch.full((2,), 0.6931), atol=1e-4, rtol=0)
        # …above a poor rebuild of a black-and-white image under the raw form, not under "error"
        poor = per_sample_score(name, crisp * 0.8 + 0.1, crisp, score="loss")
        assert (raw > poor).all()
        assert (per_sample_score(name, grey, grey) < per_sample_score(name, crisp * 0.8 + 0.1, crisp)).all()


def test_error_score_equals_loss_without_bce_and_keeps_the_bce_gradient():
    from aeutils.detectors.losses import per_sample_score

    x = torch.rand(3, 1, 28, 28)
    r = torch.rand(3, 1, 28, 28, requires_grad=True)
    for name in ("mse", "ssim", "mse+ssim"):
        torch.testing.assert_close(per_sample_score(name, r, x), per_sample_loss(name, r, x))
    g_loss = torch.autograd.grad(per_sample_loss("bce", r, x).sum(), r)[0]
    g_score = torch.autograd.grad(per_sample_score("bce", r, x).sum(), r)[0]
    torch.testing.assert_close(g_loss, g_score)  # the floor depends on x only


# --- the traits registered with a model or a loss term are the code's own limits ----------
@pytest.mark.parametrize("name", list(AUTOENCODERS))
def test_a_models_side_rule_is_what_its_layers_need(name):
    """Sides that are multiples of the registered number build and reconstruct their own
    shape; another side is refused by the builder in one line, and the class itself
    could not take it."""
    m = SIDE_MULTIPLE.get(name, 1)
    fits = (1, 3 * m, 2 * m)
    recon, _ = build_model(name, fits)(torch.rand(1, 2, *fits))
    assert recon.shape == (1, 2, *fits)
    if m > 1:
        odd = (1, 3 * m + 2, 2 * m)
        with pytest.raises(ConfigError, match=f"divisible by {m}") as info:
            build_model(name, odd)
        assert "\n" not in str(info.value)
        unchecked = resolve(AUTOENCODERS[name])(odd, [torch.Generator().manual_seed(0)],
                                                hidden=DEFAULT_HIDDEN[name])
        with pytest.raises(RuntimeError):
            unchecked(torch.rand(1, 2, *odd))


@pytest.mark.parametrize("name", list(HIDDEN_COUNT))
def test_a_models_hidden_count_is_what_its_layers_take(name):
    count = HIDDEN_COUNT[name]
    wrong = (4,) * (count + 1)
    with pytest.raises(ConfigError, match=f"takes {count} hidden sizes"):
        build_model(name, (1, 28, 28), hidden=wrong)
    with pytest.raises(ValueError):
        resolve(AUTOENCODERS[name])((1, 28, 28), [torch.Generator()], hidden=wrong)


@pytest.mark.parametrize("term", list(LOSS_TERMS))
def test_a_loss_terms_minimum_side_is_what_it_can_measure(term):
    need = MIN_SIDE.get(term, 1)
    fn = resolve(LOSS_TERMS[term])
    x = torch.rand(2, 1, need, need)
    assert fn(x, x).shape == (2,)
    if need > 1:
        small = torch.rand(2, 1, need - 1, need + 5)
        with pytest.raises(ValueError):
            fn(small, small)
        with pytest.raises(ConfigError, match=f"at least {need}×{need}"):
            check_shape("basic", term, (1, need - 1, need + 5))


def test_a_stochastic_model_draws_its_noise_member_by_member():
    """The VAE's noise comes from each member's generator, only for members with images at
    the step (zeros, and no draw, for the others): the stream a member draws alone."""
    stochastic = 0
    for name in AUTOENCODERS:
        model = build_model(name, (1, 8, 8), seeds=[0, 1], latent_dim=3)
        gens = [torch.Generator().manual_seed(s) for s in (3, 4)]
        noise = model.noise(gens, [True, False], 5)
        if noise is None:
            continue
        stochastic += 1
        assert noise.shape == (2, 5, 3) and not noise[1].any()
        torch.testing.assert_close(noise[0], torch.randn(5, 3,
                                                         generator=torch.Generator().manual_seed(3)))
        assert torch.equal(gens[1].get_state(), torch.Generator().manual_seed(4).get_state())
    assert stochastic >= 1  # the VAE
