"""The grouped trainer: K stacked models train as train_model trains each one, and stopped models stay put."""

from __future__ import annotations

import copy

import pytest
import torch

from perturbstudy import grouped
from perturbstudy.data import Pool
from perturbstudy.errors import ConfigError, TrainingError
from perturbstudy.grouped import Rows, StackedOptimizer, train_group
from perturbstudy.models import build_model
from perturbstudy.train import TrainSettings, train_model

#: weights of a grouped model vs the same model under train_model after <= 5 Adam steps (lr 1e-3, each step
#: moves a weight by ~1e-3): the grouped convolution sums in another order, so they agree to float rounding
ATOL = 1e-5


def _pool(n: int, seed: int) -> Pool:
    g = torch.Generator().manual_seed(seed)
    return Pool(torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g))


def _models(arch: str, k: int, seed: int = 1) -> list[torch.nn.Module]:
    torch.manual_seed(seed)
    return [build_model(arch) for _ in range(k)]


def _one_by_one(models, trains, val, settings, seeds, rng_seed=7):
    """train_model on copies of `models`, each started from the same global RNG state as train_group."""
    singles, results = copy.deepcopy(models), []
    for model, train, seed in zip(singles, trains, seeds, strict=True):
        torch.manual_seed(rng_seed)
        results.append(train_model(model, train, val, settings, seed, progress=False))
    return singles, results


def _grouped(models, trains, val, settings, seeds, rng_seed=7, **kwargs):
    models = copy.deepcopy(models)
    torch.manual_seed(rng_seed)
    return models, train_group(models, trains, val, settings, seeds, progress=False, **kwargs)


def _assert_same_training(grouped_models, grouped_results, single_models, single_results, atol=ATOL):
    for k, (gm, gr, sm, sr) in enumerate(zip(grouped_models, grouped_results, single_models, single_results,
                                             strict=True)):
        for (name, a), b in zip(gm.named_parameters(), sm.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=atol, msg=lambda m, k=k, n=name: f"model {k} {n}: {m}")
        assert [h["epoch"] for h in gr.history] == [h["epoch"] for h in sr.history]
        for hg, hs in zip(gr.history, sr.history, strict=True):
            assert hg["train_acc"] == hs["train_acc"] and hg["val_acc"] == hs["val_acc"], (k, hg, hs)
            assert hg["train_loss"] == pytest.approx(hs["train_loss"], rel=1e-5, abs=0), (k, hg, hs)
        assert (gr.best_epoch, gr.best_val_acc, gr.stopped_early) == (sr.best_epoch, sr.best_val_acc,
                                                                         sr.stopped_early)
        assert gr.state_dict.keys() == sr.state_dict.keys()
        for name, value in gr.state_dict.items():
            torch.testing.assert_close(value, sr.state_dict[name], rtol=0, atol=atol)


@pytest.mark.parametrize("sizes, chunk", [((200, 90, 150), None), ((200, 90, 150), 3), ((1, 64, 130), 2)])
def test_grouped_lenet5_trains_as_train_model_does(sizes, chunk):
    """Three LeNet-5s with training sets of different sizes (short last batches; at batch 40, the 90-image model
    runs out of batches while its neighbours step on, so the middle row is masked), 5 Adam steps for the largest."""
    trains = [_pool(n, seed=i) for i, n in enumerate(sizes)]
    val, seeds = _pool(50, seed=9), [10, 11, 12]
    settings = TrainSettings(batch_size=40 if sizes[0] == 200 else 64, max_epochs=1)
    models = _models("lenet5", 3)
    assert not all(torch.equal(a, b) for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True))
    gm, gr = _grouped(models, trains, val, settings, seeds, chunk=chunk)
    sm, sr = _one_by_one(models, trains, val, settings, seeds)
    _assert_same_training(gm, gr, sm, sr)
    moved = max((a - b).abs().max().item() for a, b in zip(gm[0].parameters(), models[0].parameters(), strict=True))
    assert moved > 100 * ATOL  # the comparison is not vacuous: training moved the weights far beyond the tolerance


def test_grouped_two_epochs_with_sgd_match_train_model():
    """Epoch 2 reshuffles each model with its own stream; SGD with momentum and weight decay on the masked rows."""
    trains = [_pool(n, seed=i) for i, n in enumerate((96, 50))]
    settings = TrainSettings(optimizer="sgd", lr=0.05, weight_decay=1e-3, batch_size=32, max_epochs=2, patience=5)
    models = _models("lenet5", 2)
    gm, gr = _grouped(models, trains, _pool(30, 9), settings, [3, 4])
    sm, sr = _one_by_one(models, trains, _pool(30, 9), settings, [3, 4])
    _assert_same_training(gm, gr, sm, sr)


def test_grouped_alexnet8_draws_each_models_dropout_masks_as_train_model():
    """AlexNet-8 has dropout: each model's masks come from its own generator, the stream train_model uses."""
    trains = [_pool(n, seed=i) for i, n in enumerate((40, 24))]
    settings = TrainSettings(optimizer="sgd", lr=0.01, momentum=0.0, batch_size=16, max_epochs=1)
    models = _models("alexnet8", 2)
    gm, gr = _grouped(models, trains, _pool(20, 9), settings, [5, 6])
    sm, sr = _one_by_one(models, trains, _pool(20, 9), settings, [5, 6])
    _assert_same_training(gm, gr, sm, sr)
    _, other = _grouped(models, trains, _pool(20, 9), settings, [5, 6], rng_seed=8)  # other masks, other result
    assert not torch.equal(other[0].state_dict["classifier.2.weight"], gr[0].state_dict["classifier.2.weight"])


def test_a_stopped_model_keeps_its_weights_bit_identical(monkeypatch):
    """Scripted validation accuracies stop model 1 after epoch 2 (patience 1); it then gets no optimiser step
    (no Adam momentum either), while models 0 and 2 train on."""
    scripted = {0: [0.1, 0.2, 0.3, 0.4], 1: [0.5, 0.4, 0.4, 0.4], 2: [0.1, 0.2, 0.3, 0.4]}
    snapshots: list[list[torch.Tensor]] = []

    def fake_accuracy(ops, params, models, pool, chunk, batch_size=1024):
        snapshots.append([p.clone() for p in params])
        epoch = len(snapshots) - 1
        return [scripted[k][epoch] for k in models]

    monkeypatch.setattr(grouped, "group_accuracy", fake_accuracy)
    models = _models("lenet5", 3)
    settings = TrainSettings(batch_size=32, max_epochs=4, patience=1)
    results = train_group(models, [_pool(64, i) for i in range(3)], _pool(8, 9), settings, [0, 1, 2], progress=False)
    assert [len(r.history) for r in results] == [4, 2, 4]
    assert [r.stopped_early for r in results] == [False, True, False]
    assert results[1].best_epoch == 1 and results[0].best_epoch == 4
    assert len(snapshots) == 4
    for k, frozen in ((0, False), (1, True), (2, False)):
        for p, kept in zip(models[k].parameters(), snapshots[1], strict=True):  # snapshots[1]: after epoch 2
            assert torch.equal(p.detach(), kept[k]) is frozen, k  # model 1 bit-identical through epochs 3 and 4
    assert not torch.equal(models[1].state_dict()["features.0.weight"], results[1].state_dict["features.0.weight"])


def test_the_masked_optimiser_is_torch_adam_and_sgd_bit_for_bit():
    """Same gradients in: the stacked optimiser gives exactly torch.optim's parameters, rows left out included."""
    torch.manual_seed(0)
    for settings in (TrainSettings(weight_decay=1e-4), TrainSettings(optimizer="sgd", lr=0.1, weight_decay=1e-4)):
        own = [[torch.randn(5, 4, requires_grad=True), torch.randn(7, requires_grad=True)] for _ in range(3)]
        stacked = [torch.stack([p[i].detach() for p in own]) for i in range(2)]
        torch_opts, opt = [settings.make_optimizer(p) for p in own], StackedOptimizer(stacked, settings)
        for step in range(12):
            active = [k for k in range(3) if not (k == 1 and step % 3 == 0)]  # row 1 skips every third step
            grads = [[torch.randn_like(p) for p in ps] for ps in own]
            for k in active:
                for p, g in zip(own[k], grads[k], strict=True):
                    p.grad = g.clone()
                torch_opts[k].step()
            opt.step(Rows(active, torch.device("cpu")), [torch.stack([grads[k][i] for k in active]) for i in range(2)])
        for k in range(3):
            for i in range(2):
                assert torch.equal(own[k][i].detach(), stacked[i][k]), (settings.optimizer, k, i)


@pytest.mark.parametrize("arch", ["lenet5", "alexnet8"])
def test_grouped_training_is_deterministic(arch):
    """The same inputs give bit-identical weights, best states and histories (dropout included)."""
    sizes = (48, 30) if arch == "alexnet8" else (100, 70, 40)
    trains = [_pool(n, seed=i) for i, n in enumerate(sizes)]
    settings = TrainSettings(batch_size=16 if arch == "alexnet8" else 32, max_epochs=2, patience=5)
    models = _models(arch, len(sizes))
    runs = [_grouped(models, trains, _pool(20, 9), settings, list(range(len(sizes)))) for _ in range(2)]
    (m1, r1), (m2, r2) = runs
    for a, b in zip(m1, m2, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))
    for a, b in zip(r1, r2, strict=True):
        assert a.history == b.history and a.best_epoch == b.best_epoch
        assert all(torch.equal(a.state_dict[n], b.state_dict[n]) for n in a.state_dict)


def test_grouped_training_refuses_what_it_cannot_stack():
    val = _pool(8, 9)
    with pytest.raises(ConfigError, match="grouped training supports"):
        train_group([torch.nn.Linear(3, 2)], [_pool(8, 0)], val, TrainSettings(), [0], progress=False)
    with pytest.raises(TrainingError, match="one training set and one seed per model"):
        train_group(_models("lenet5", 2), [_pool(8, 0)], val, TrainSettings(), [0, 1], progress=False)
    with pytest.raises(TrainingError, match="one architecture"):
        train_group([build_model("lenet5"), build_model("alexnet8")], [_pool(8, 0)] * 2, val, TrainSettings(),
                    [0, 1], progress=False)
    with pytest.raises(TrainingError, match="model 1 is empty"):
        train_group(_models("lenet5", 2), [_pool(8, 0), _pool(0, 1)], val, TrainSettings(), [0, 1], progress=False)


class _Killed(Exception):
    pass


def test_group_resume_after_a_kill_gives_the_uninterrupted_result(tmp_path, monkeypatch):
    """A group killed after an epoch checkpoint continues from it to bit-identical histories and weights."""
    settings = TrainSettings(batch_size=16, max_epochs=4, patience=1)
    trains, val, seeds = [_pool(40, 1), _pool(56, 2)], _pool(30, 3), [5, 6]
    models = _models("alexnet8", 2)  # dropout: the generators' states must be carried too
    _, full = _grouped(models, trains, val, settings, seeds)
    ckpt = tmp_path / "group.pt"
    saves = []
    real_save = grouped.save_tensors

    def save_then_die(path, payload):
        real_save(path, payload)
        saves.append(path)
        if len(saves) == 2:
            raise _Killed
    monkeypatch.setattr(grouped, "save_tensors", save_then_die)
    with pytest.raises(_Killed):
        _grouped(models, trains, val, settings, seeds, resume_path=ckpt)
    monkeypatch.setattr(grouped, "save_tensors", real_save)
    resumed_models, resumed = _grouped(models, trains, val, settings, seeds, rng_seed=99, resume_path=ckpt)
    for a, b in zip(full, resumed, strict=True):
        assert a.history == b.history and a.best_epoch == b.best_epoch
        for name, value in a.state_dict.items():
            assert torch.equal(value, b.state_dict[name]), name
    assert resumed[0].resumed_epochs == 2


def test_group_resume_ignores_the_checkpoint_of_another_group(tmp_path, capsys):
    settings = TrainSettings(batch_size=16, max_epochs=1, patience=1)
    trains, val = [_pool(32, 1), _pool(32, 2)], _pool(20, 3)
    ckpt = tmp_path / "group.pt"
    _grouped(_models("lenet5", 2), trains, val, settings, [1, 2], resume_path=ckpt)
    _, results = _grouped(_models("lenet5", 2), trains, val, settings, [1, 3], resume_path=ckpt)
    assert "written for another training" in capsys.readouterr().err
    assert results[0].resumed_epochs == 0


@pytest.mark.parametrize("arch", ["lenet5", "alexnet8"])
def test_shared_input_gives_each_model_its_own_logits(arch):
    """StackedModels.shared() (one copy of each image, the first convolution dense over all models' filters) gives
    the logits of forward on each image repeated K times, and those of each model alone, to float rounding."""
    from perturbstudy.grouped import StackedModels

    models = [m.eval() for m in _models(arch, 3)]
    net = StackedModels(models)
    x = _pool(5, 0).images
    shared = net.shared()(x)
    torch.testing.assert_close(shared, net(x.repeat_interleave(3, dim=0)), rtol=0, atol=1e-5)
    with torch.no_grad():
        alone = torch.stack([m(x) for m in models], dim=1).reshape(15, -1)
    torch.testing.assert_close(shared, alone, rtol=0, atol=1e-5)
    assert not torch.allclose(shared[0], shared[1])  # row 1 is another model's
