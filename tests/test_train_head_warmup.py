"""train.train_with_head_warmup: the paper's FC warm-up (only the new layers train, the pretrained ones stay exactly as
loaded), then every layer; the history marks the phases, and a kill in either phase resumes to the same result."""

from __future__ import annotations

import pytest
import torch

import perturbstudy.train as train_module
from perturbstudy.data import Pool
from perturbstudy.errors import ConfigError
from perturbstudy.models import build_model
from perturbstudy.train import StandardTraining, TrainSettings, train_with_head_warmup, warmup_checkpoint

SETTINGS = TrainSettings(lr=1e-2, batch_size=4, max_epochs=2, patience=5)


def _pool(n: int = 8, seed: int = 0) -> Pool:
    g = torch.Generator().manual_seed(seed)
    return Pool(torch.rand(n, 3, 32, 32, generator=g), torch.arange(n) % 3)


def _model(init: dict | None = None):
    torch.manual_seed(0)
    model = build_model("shufflenetv2", 3, 3, 32)  # BatchNorm in the backbone: its statistics must stay too
    if init is not None:
        model.load_state_dict(init)
    return model


class Snapshots(StandardTraining):
    """Standard training that keeps a copy of the model's state after every epoch (both phases)."""

    def __init__(self) -> None:
        self.states: list[dict[str, torch.Tensor]] = []

    def batch_loss(self, model, x, y, index):
        self.model = model
        return super().batch_loss(model, x, y, index)

    def end_epoch(self, epoch: int) -> None:
        self.states.append({k: v.detach().clone() for k, v in self.model.state_dict().items()})


def _head(key: str) -> bool:
    return key.startswith("net.fc.")


def test_the_warmup_trains_only_the_head_then_every_layer():
    model = _model()
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    spy = Snapshots()
    result = train_with_head_warmup(model, _pool(), _pool(6, 1), SETTINGS, seed=0, warmup_epochs=1, strategy=spy,
                                    progress=False)
    warm, full = spy.states[0], spy.states[-1]
    # after the warm-up epoch: every backbone tensor (weights and BatchNorm statistics) exactly as loaded, head moved
    assert all(torch.equal(warm[k], start[k]) for k in start if not _head(k))
    assert not torch.equal(warm["net.fc.weight"], start["net.fc.weight"])
    # once released, the backbone trains as well
    assert not torch.equal(full["net.conv1.0.weight"], start["net.conv1.0.weight"])
    assert not torch.equal(full["net.conv1.1.running_mean"], start["net.conv1.1.running_mean"])
    assert [(r["epoch"], r["phase"]) for r in result.history] == [(1, "warmup"), (2, "full"), (3, "full")]
    assert result.best_epoch in (2, 3) and list(result.epoch_seconds) == [1, 2, 3]
    assert all(p.requires_grad for p in model.parameters()) and model.net.conv1.training  # released afterwards


def test_without_warmup_it_is_train_model_and_a_stale_warmup_checkpoint_goes(tmp_path):
    resume = tmp_path / "resume.pt"
    resume.write_bytes(b"from a run with a warm-up")
    warmup_checkpoint(resume).write_bytes(b"its warm-up")
    result = train_with_head_warmup(_model(), _pool(), _pool(6, 1), SETTINGS, seed=0, resume_path=resume,
                                    progress=False)
    assert "phase" not in result.history[0] and result.resumed_epochs == 0  # the main checkpoint went too
    assert not warmup_checkpoint(resume).exists()


def test_a_network_without_a_replaceable_head_is_refused():
    with pytest.raises(ConfigError, match="head_warmup_epochs"):
        train_with_head_warmup(build_model("lenet5", 3, 3, 32), _pool(), _pool(6, 1), SETTINGS, seed=0,
                               warmup_epochs=1, progress=False)


@pytest.mark.parametrize("kill_at", [2, 4], ids=["in the warm-up", "after it"])
def test_a_kill_in_either_phase_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, kill_at):
    init = _model().state_dict()
    torch.manual_seed(1)
    whole = train_with_head_warmup(_model(init), _pool(), _pool(6, 1), SETTINGS, seed=0, warmup_epochs=2,
                                   progress=False)
    resume = tmp_path / "resume.pt"
    accuracy, calls = train_module.accuracy, []

    def killed(model, pool, batch_size=1024):  # validation of epoch `kill_at` (of 4): dies before its checkpoint
        calls.append(1)
        if len(calls) == kill_at:
            raise KeyboardInterrupt
        return accuracy(model, pool, batch_size)

    monkeypatch.setattr(train_module, "accuracy", killed)
    torch.manual_seed(1)
    with pytest.raises(KeyboardInterrupt):
        train_with_head_warmup(_model(init), _pool(), _pool(6, 1), SETTINGS, seed=0, warmup_epochs=2,
                               resume_path=resume, progress=False)
    monkeypatch.setattr(train_module, "accuracy", accuracy)
    torch.manual_seed(99)  # another process: the checkpoints restore the random state
    resumed = train_with_head_warmup(_model(init), _pool(), _pool(6, 1), SETTINGS, seed=0, warmup_epochs=2,
                                     resume_path=resume, progress=False)
    assert resumed.resumed_epochs == kill_at - 1
    assert resumed.history == whole.history
    assert all(torch.equal(whole.state_dict[k], resumed.state_dict[k]) for k in whole.state_dict)
