"""runtime: the one eval-mode helper (each module's own mode comes back, for every caller) and a torch-free import."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from perturbstudy.attacks import PGDL2, input_gradient
from perturbstudy.robust_training.gradcam import gradcam_maps
from perturbstudy.robust_training.methods import AdversarySettings, DPAATTraining
from perturbstudy.robust_training.suite import probabilities
from perturbstudy.runtime import eval_mode
from perturbstudy.train import predict

torch.set_num_threads(1)


def mixed_model() -> nn.Module:
    """Top module in train mode, one submodule in eval mode: restoring the top mode alone would get it wrong."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Dropout(0.5), nn.Flatten(),
                          nn.Linear(3 * 6 * 6, 3))
    model.train()
    model[3].eval()
    return model


def modes(model: nn.Module) -> dict[str, bool]:
    return {name: m.training for name, m in model.named_modules()}


def test_eval_mode_sets_eval_and_restores_each_module_even_on_error():
    model = mixed_model()
    before = modes(model)
    with eval_mode(model) as inside:
        assert inside is model and not any(modes(model).values())
    assert modes(model) == before
    with pytest.raises(RuntimeError, match="boom"), eval_mode(model):
        raise RuntimeError("boom")
    assert modes(model) == before


def _dpaat_radius(model, x, y):
    DPAATTraining(AdversarySettings(), num_samples=x.shape[0]).adaptive_radius(model, x, y, x.clamp(0.1, 0.9))


@pytest.mark.parametrize("use", [
    lambda m, x, y: predict(m, x, batch_size=3),
    lambda m, x, y: probabilities(m, x, batch_size=3),
    lambda m, x, y: gradcam_maps(m, x, y, batch_size=3),
    lambda m, x, y: input_gradient(m, x, y, batch_size=3),
    lambda m, x, y: PGDL2(m, eps=0.5, steps=2)(x, y),
    _dpaat_radius,
], ids=["train.predict", "suite.probabilities", "gradcam_maps", "input_gradient", "attack", "dpaat_radius"])
def test_every_user_runs_in_eval_mode_and_restores_mixed_modes(use):
    model = mixed_model()
    x, y = torch.rand(5, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1])
    before, stats = modes(model), model[1].running_mean.clone()
    seen = []
    model[1].register_forward_hook(lambda m, _i, _o: seen.append(m.training))
    use(model, x, y)
    assert seen and not any(seen)  # every forward pass ran in eval mode
    assert torch.equal(model[1].running_mean, stats)  # so batch norm statistics did not move
    assert modes(model) == before


def test_runtime_imports_without_torch():
    code = ("import sys; sys.modules['torch'] = None; from perturbstudy.runtime import derive_seed; "
            "print(derive_seed('a', 1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) >= 0


def test_keep_heap_sets_glibcs_thresholds_and_is_harmless_twice(monkeypatch):
    """configure() keeps freed memory in glibc's heap: mallopt gets the trim and mmap thresholds (a no-op off glibc)."""
    import ctypes

    from perturbstudy import runtime

    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    runtime.keep_heap()
    runtime.configure(1)
    assert calls == [(-1, 1 << 30), (-3, 32 << 20)] * 2

    def no_libc(name):
        raise OSError(name)

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    runtime.keep_heap()  # no glibc: nothing to keep, no error
