"""Attacks: agreement with adversarial-robustness-toolbox, per-sample eps, mode restoration, batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from perturbstudy.attacks import FGSM, FGSML2, IFGSM, PGD, PGDL2, BoundaryPGDL2, input_gradient
from perturbstudy.runtime import eval_mode

from .linear_models import linear_problem

torch.set_num_threads(1)


def tiny_cnn(seed: int = 0) -> nn.Module:
    """A fixed tiny CNN with dropout and batch norm, so eval vs train mode matters."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 6 * 6, 5),
    )
    with torch.no_grad():  # non-trivial running statistics
        model[1].running_mean.uniform_(-0.2, 0.2)
        model[1].running_var.uniform_(0.5, 1.5)
    return model.eval()


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(1)
    x = torch.rand((16, 1, 12, 12), generator=g)
    x[:3, :, :4] = 0.0  # some pixels on the box edges
    x[3:5, :, -3:] = 1.0
    y = torch.randint(0, 5, (16,), generator=g)
    return x, y


def art_classifier(model):
    from art.estimators.classification import PyTorchClassifier

    return PyTorchClassifier(model=model, loss=nn.CrossEntropyLoss(), input_shape=(1, 12, 12), nb_classes=5,
                             clip_values=(0.0, 1.0), device_type="cpu")


def test_fgsm_matches_art(batch):
    from art.attacks.evasion import FastGradientMethod

    x, y = batch
    model = tiny_cnn()
    for norm, ours in ((np.inf, FGSM(model, eps=0.1)), (2, FGSML2(model, eps=1.5))):
        art = FastGradientMethod(art_classifier(model), norm=norm, eps=ours.eps, targeted=False, num_random_init=0)
        expected = torch.from_numpy(art.generate(x.numpy(), y=y.numpy()))
        got = ours(x, y)
        assert (got - x).abs().max() > 0.05  # the attack moved the images
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("norm", ["inf", "l2"])
def test_pgd_matches_art(batch, norm):
    from art.attacks.evasion import ProjectedGradientDescent

    x, y = batch
    model = tiny_cnn()
    eps, alpha = (0.1, 0.03) if norm == "inf" else (1.0, 0.3)
    ours = (PGD if norm == "inf" else PGDL2)(model, eps=eps, alpha=alpha, steps=7)
    art = ProjectedGradientDescent(art_classifier(model), norm=np.inf if norm == "inf" else 2, eps=eps,
                                   eps_step=alpha, max_iter=7, targeted=False, num_random_init=0,
                                   batch_size=16, verbose=False)
    expected = torch.from_numpy(art.generate(x.numpy(), y=y.numpy()))
    got = ours(x, y)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    delta = (got - x).flatten(1)
    radius = delta.abs().max(1).values if norm == "inf" else delta.norm(dim=1)
    assert (radius <= eps + 1e-5).all()
    assert radius.max() > 0.5 * eps


def test_ifgsm_is_linf_pgd_without_random_start(batch):
    x, y = batch
    model = tiny_cnn()
    torch.testing.assert_close(IFGSM(model, 0.1, 0.02, 5)(x, y), PGD(model, 0.1, 0.02, 5)(x, y), atol=0, rtol=0)


@pytest.mark.parametrize("cls", [FGSM, FGSML2, PGD, PGDL2])
def test_per_sample_eps_equals_separate_calls(batch, cls):
    x, y = batch
    model = tiny_cnn()
    eps = torch.linspace(0.0, 0.3 if cls in (FGSM, PGD) else 2.0, x.shape[0])
    kwargs = {} if cls in (FGSM, FGSML2) else {"steps": 3, "alpha": eps / 2}
    together = cls(model, eps=eps, **kwargs)(x, y)
    for i in (0, 5, 15):
        kw = {k: (v[i:i + 1] if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}
        alone = cls(model, eps=float(eps[i]), **kw)(x[i:i + 1], y[i:i + 1])
        torch.testing.assert_close(together[i:i + 1], alone, atol=1e-6, rtol=0)
    assert torch.equal(together[0], x[0])  # eps 0 leaves the image unchanged
    if cls in (FGSM, PGD):
        linf = (together - x).flatten(1).abs().max(1).values
        assert (linf <= eps + 1e-6).all()
    else:
        assert ((together - x).flatten(1).norm(dim=1) <= eps + 1e-5).all()


@pytest.mark.parametrize("initial", ["train", "eval"])
@pytest.mark.parametrize("cls", [FGSM, PGDL2])
def test_mode_restored_and_no_parameter_grads(batch, initial, cls):
    x, y = batch
    model = tiny_cnn()
    model.train(initial == "train")
    model[5].eval()  # a mixed-mode model: each module's own mode must come back
    before = {name: m.training for name, m in model.named_modules()}
    stats = model[1].running_mean.clone()
    adv = cls(model, eps=0.5)(x, y) if cls is FGSM else cls(model, eps=0.5, random_start=True,
                                                              generator=torch.Generator().manual_seed(0))(x, y)
    assert {name: m.training for name, m in model.named_modules()} == before
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(model[1].running_mean, stats)  # generation ran in eval mode
    # the result is what an eval-mode model gives (dropout off): deterministic on repeat
    again = cls(model, eps=0.5)(x, y) if cls is FGSM else cls(model, eps=0.5, random_start=True,
                                                                generator=torch.Generator().manual_seed(0))(x, y)
    torch.testing.assert_close(adv, again, atol=0, rtol=0)
    input_gradient(model, x, y)
    assert {name: m.training for name, m in model.named_modules()} == before


def test_batched_equals_whole_and_random_start_in_ball(batch):
    x, y = batch
    model = tiny_cnn()
    whole = PGDL2(model, eps=0.8, steps=4)(x, y)
    chunked = PGDL2(model, eps=0.8, steps=4, batch_size=5)(x, y)
    torch.testing.assert_close(whole, chunked, atol=1e-6, rtol=0)
    gen = torch.Generator().manual_seed(3)
    rs = PGD(model, eps=0.05, alpha=0.0, steps=1, random_start=True, generator=gen)(x, y)
    delta = rs - x
    assert delta.abs().max() <= 0.05 + 1e-7 and delta.abs().max() > 0.04
    assert ((rs >= 0) & (rs <= 1)).all()
    rs2 = PGD(model, eps=0.05, alpha=0.0, steps=1, random_start=True, generator=torch.Generator().manual_seed(3))(x, y)
    assert torch.equal(rs, rs2)


def test_input_gradient_is_per_sample_and_batched(batch):
    x, y = batch
    model = tiny_cnn()
    g = input_gradient(model, x, y, batch_size=4)
    single = input_gradient(model, x[7:8], y[7:8])
    torch.testing.assert_close(g[7:8], single, atol=1e-7, rtol=1e-5)
    with eval_mode(model):  # finite-difference check of one coordinate
        xi = x[7:8].clone().double()
        m = tiny_cnn().double().eval()
        m.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        loss = lambda z: nn.functional.cross_entropy(m(z), y[7:8])  # noqa: E731
        idx = (0, 0, 6, 6)
        h = 1e-6
        xp, xm = xi.clone(), xi.clone()
        xp[idx] += h
        xm[idx] -= h
        fd = ((loss(xp) - loss(xm)) / (2 * h)).detach()
    assert abs(float(fd) - float(g[7][idx[1:]])) < 1e-4
    assert g.abs().sum() > 0


def test_bad_eps_shape_is_a_clear_error(batch):
    x, y = batch
    with pytest.raises(ValueError, match="eps"):
        FGSM(tiny_cnn(), eps=torch.ones(3))(x, y)


def test_boundary_pgd_stops_at_the_closed_form_boundary_distance():
    model, x, y, distance = linear_problem(300)
    eps = float(distance.median())  # about half the samples have the boundary inside their ball
    search = BoundaryPGDL2(model, eps=eps, alpha=eps / 5, steps=10, refine_steps=20)
    x_adv = search(x, y)
    norms = (x_adv - x).flatten(1).norm(dim=1)
    inside = distance < eps
    assert 0.3 < inside.float().mean() < 0.7 and torch.equal(search.flipped, inside)
    # flipped: on the boundary (misclassified side), at the closed-form distance
    assert torch.allclose(norms[inside], distance[inside], atol=1e-4)
    assert bool((model(x_adv[inside]).argmax(1) != y[inside]).all())
    # not flipped: fixed-radius PGD's end point, on the ball, still correct
    assert torch.allclose(norms[~inside], torch.full_like(norms[~inside], eps), atol=1e-5)
    assert torch.equal(x_adv[~inside], PGDL2(model, eps=eps, alpha=eps / 5, steps=10)(x[~inside], y[~inside]))


def test_boundary_pgd_stops_each_sample_and_misclassified_inputs_stay_put():
    model, x, y, distance = linear_problem(40)
    wrong = y.clone()
    wrong[:10] = 1 - wrong[:10]  # these are misclassified already: distance 0, no move
    search = BoundaryPGDL2(model, eps=10.0, alpha=0.05, steps=200, refine_steps=0)
    x_adv = search(x, wrong)
    assert bool(search.flipped.all())
    assert torch.equal(x_adv[:10], x[:10])
    # without bisection a sample stops at its first misclassified iterate: within one step past the boundary
    over = (x_adv[10:] - x[10:]).flatten(1).norm(dim=1) - distance[10:]
    assert bool((over >= -1e-5).all() and (over <= 0.05 + 1e-5).all())
    # batching does not change which samples flipped or where they stopped
    batched = BoundaryPGDL2(model, eps=10.0, alpha=0.05, steps=200, refine_steps=0, batch_size=7)
    assert torch.allclose(batched(x, wrong), x_adv) and torch.equal(batched.flipped, search.flipped)
