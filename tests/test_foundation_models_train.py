"""Models by name, and the trainer: determinism, early stopping, NaN detection, resume."""

from __future__ import annotations

import pytest
import torch

from perturbstudy.checkpoints import load_model, save_model
from perturbstudy.data import Pool
from perturbstudy.errors import CheckpointError, TrainingError
from perturbstudy.models import build_model
from perturbstudy.train import TrainSettings, accuracy, train_model


@pytest.mark.parametrize("name", ["lenet5", "alexnet8"])
def test_model_output_shapes(name):
    model = build_model(name, in_channels=1, num_classes=10, input_size=28)
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_lenet_pads_to_32():
    model = build_model("lenet5")
    assert model.pad == 2
    assert build_model("lenet5", in_channels=3, num_classes=3)(torch.rand(2, 3, 28, 28)).shape == (2, 3)


def _toy(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    images = torch.rand(n, 1, 28, 28, generator=g) * 0.2
    for c in range(3):  # a bright band per class makes the task learnable
        images[labels == c, :, c * 9:(c + 1) * 9, :] += 0.7
    return Pool(images.clamp(0, 1), labels)


SETTINGS = TrainSettings(lr=3e-3, batch_size=16, max_epochs=4, patience=2)


def _train(seed, settings=SETTINGS, **kwargs):
    torch.manual_seed(seed)
    model = build_model("lenet5", num_classes=3)
    result = train_model(model, _toy(), _toy(48, seed=1), settings, seed=seed, progress=False, **kwargs)
    return model, result


def test_same_seed_same_weights_different_seed_differs():
    _, a = _train(0)
    _, b = _train(0)
    _, c = _train(1)
    assert all(torch.equal(a.state_dict[k], b.state_dict[k]) for k in a.state_dict)
    assert any(not torch.equal(a.state_dict[k], c.state_dict[k]) for k in a.state_dict)
    assert [r["train_loss"] for r in a.history] == [r["train_loss"] for r in b.history]


def test_learns_the_toy_task():
    model, result = _train(0)
    model.load_state_dict(result.state_dict)
    assert accuracy(model, _toy(48, seed=2)) > 0.9


def test_early_stopping_stops():
    # lr 0 never improves validation accuracy after epoch 1: stops after `patience` more epochs
    settings = TrainSettings(lr=1e-12, batch_size=16, max_epochs=20, patience=2)
    _, result = _train(0, settings)
    assert result.stopped_early
    assert result.epochs_run == 3 and result.best_epoch == 1


def test_nan_loss_is_detected():
    bad = _toy()
    bad.images[0, 0, 0, 0] = float("nan")
    model = build_model("lenet5", num_classes=3)
    with pytest.raises(TrainingError, match="diverged"):
        train_model(model, bad, _toy(48), SETTINGS, seed=0, progress=False)


def test_resume_after_interruption_gives_identical_weights(tmp_path):
    _, full = _train(0)
    ckpt = tmp_path / "resume.pt"
    # run 2 epochs only, as if killed, then resume to the full 4
    _train(0, TrainSettings(lr=3e-3, batch_size=16, max_epochs=2, patience=2), resume_path=ckpt)
    assert ckpt.exists()
    torch.manual_seed(123)  # the resumed process has other global RNG state; the checkpoint restores it
    model = build_model("lenet5", num_classes=3)
    resumed = train_model(model, _toy(), _toy(48, seed=1), SETTINGS, seed=0, progress=False, resume_path=ckpt)
    assert resumed.epochs_run == full.epochs_run and resumed.resumed_epochs == 2
    assert all(torch.equal(full.state_dict[k], resumed.state_dict[k]) for k in full.state_dict)
    assert resumed.history == full.history


def test_history_is_deterministic_and_times_are_kept_apart():
    _, result = _train(0)
    assert list(result.history[0]) == ["epoch", "train_loss", "train_acc", "val_acc"]
    assert list(result.epoch_seconds) == [row["epoch"] for row in result.history]
    assert all(s > 0 for s in result.epoch_seconds.values())


def test_a_resume_checkpoint_of_another_training_is_ignored(tmp_path, capsys):
    ckpt = tmp_path / "resume.pt"
    other = TrainSettings(lr=1e-3, batch_size=16, max_epochs=2, patience=2)  # another learning rate
    _train(0, other, resume_path=ckpt)
    assert ckpt.exists()
    _, fresh = _train(0)
    _, resumed = _train(0, resume_path=ckpt)
    assert resumed.resumed_epochs == 0 and "ignoring" in capsys.readouterr().err
    assert all(torch.equal(fresh.state_dict[k], resumed.state_dict[k]) for k in fresh.state_dict)


def test_checkpoint_roundtrip_and_wrong_architecture(tmp_path):
    model = build_model("lenet5", num_classes=3)
    path = tmp_path / "m.pt"
    save_model(path, model, "lenet5", 1, 3, 28, {})
    loaded = load_model(path, "lenet5")
    x = torch.rand(2, 1, 28, 28)
    model.eval()
    assert torch.equal(model(x), loaded(x))
    with pytest.raises(CheckpointError, match="alexnet8 was expected"):
        load_model(path, "alexnet8")


def test_truncated_and_pickled_checkpoints_are_refused(tmp_path):
    path = tmp_path / "m.pt"
    save_model(path, build_model("lenet5"), "lenet5", 1, 10, 28, {})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="truncated"):
        load_model(path)
    evil = tmp_path / "evil.pt"
    torch.save({"format": "perturbstudy.model/1", "obj": TrainSettings()}, evil)
    with pytest.raises(CheckpointError, match="weights-only"):
        load_model(evil)


def test_configure_enables_deterministic_algorithms_without_importing_inductor():
    """configure() turns on torch's deterministic mode but skips the 2-s torch._inductor import."""
    import subprocess
    import sys

    code = ("import sys, torch; from perturbstudy.runtime import configure; configure(1); "
            "assert torch.are_deterministic_algorithms_enabled(); "
            "assert not torch.is_deterministic_algorithms_warn_only_enabled(); "
            "assert 'torch._inductor' not in sys.modules, 'torch._inductor was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
