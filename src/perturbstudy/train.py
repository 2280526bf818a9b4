"""The deterministic trainer: in-memory tensors, seeded shuffling, early stopping, resumable.

Every model of an architecture is trained with the same `TrainSettings`; "until convergence"
means early stopping on clean-validation accuracy with a patience and a max-epoch cap. A
training strategy (standard training, or an adversarial-training method) supplies the loss.
"""

from __future__ import annotations

import copy
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from .artifacts import load_tensors, save_tensors, sha256_tensors
from .data import Pool
from .errors import ConfigError, TrainingError
from .runtime import eval_mode


@dataclass(frozen=True)
class TrainSettings:
    """Optimiser and stopping rule; identical for every model of an architecture."""

    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 128
    max_epochs: int = 30
    patience: int = 3
    min_delta: float = 0.0

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown training settings {unknown}; allowed: {sorted(known)}")
        return cls(**values)

    def make_optimizer(self, params) -> torch.optim.Optimizer:
        if self.optimizer == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer == "sgd":
            return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        raise ConfigError(f"train.optimizer {self.optimizer!r} is not supported; use 'adam' or 'sgd'")


class Strategy(Protocol):
    """How a batch becomes a loss. Adversarial-training methods implement this."""

    def batch_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (scalar loss to minimise, clean-or-training logits for train accuracy)."""
        ...

    # Optional: end_epoch(epoch) after each epoch; state_dict() / load_state_dict(state) for
    # per-sample state (tensors, plain values) that the resume checkpoint must carry.


class StandardTraining:
    """STD: cross-entropy on the training batch as it is."""

    def batch_loss(self, model, x, y, index):
        logits = model(x)
        return F.cross_entropy(logits, y), logits


@dataclass
class TrainResult:
    """Best weights (by validation accuracy), per-epoch history and how training ended."""

    state_dict: dict[str, torch.Tensor]
    history: list[dict[str, float]]
    best_epoch: int
    best_val_acc: float
    stopped_early: bool
    #: wall seconds of the epochs run in this call (a run record, not part of the deterministic history)
    epoch_seconds: dict[int, float] = field(default_factory=dict)
    #: epochs taken from the resume checkpoint (0 when training started from scratch)
    resumed_epochs: int = 0

    @property
    def epochs_run(self) -> int:
        return len(self.history)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 1024,
            device: torch.device | None = None) -> torch.Tensor:
    """Predicted labels in eval mode, batched, without gradients (each module's mode is restored)."""
    device = device or next(model.parameters()).device
    with eval_mode(model):
        out = [model(images[i:i + batch_size].to(device)).argmax(1).cpu()
               for i in range(0, images.shape[0], batch_size)]
    return torch.cat(out) if out else torch.empty(0, dtype=torch.int64)


def accuracy(model: nn.Module, pool: Pool, batch_size: int = 1024) -> float:
    """Fraction of `pool` classified correctly."""
    if len(pool) == 0:
        return float("nan")
    return float((predict(model, pool.images, batch_size) == pool.labels).float().mean())


def resume_fingerprint(model: nn.Module, train: Pool, val: Pool, settings: TrainSettings, seed: int,
                       strategy: Strategy) -> str:
    """What a resume checkpoint must match to be continued: model class, data, settings, seed, strategy.

    `max_epochs` is left out: a run with a higher cap continues the same trajectory.
    """
    cfg = {k: v for k, v in asdict(settings).items() if k != "max_epochs"}
    return "|".join([type(model).__name__, type(strategy).__name__, repr(sorted(cfg.items())), str(seed),
                     sha256_tensors(train.images, train.labels, val.images, val.labels)])


def resume_state(path: Path | None, fingerprint: str) -> dict[str, Any] | None:
    """The checkpoint at `path` if it belongs to this very training, else None (it is then overwritten)."""
    if path is None or not path.exists():
        return None
    state = load_tensors(path)
    if state.get("fingerprint") != fingerprint:
        print(f"resume: ignoring {path}: it was written for another training (settings, seed, data, model or "
              "method); starting over", file=sys.stderr, flush=True)
        return None
    return state


def train_model(model: nn.Module, train: Pool, val: Pool, settings: TrainSettings, seed: int,
                device: torch.device | None = None, strategy: Strategy | None = None,
                resume_path: str | Path | None = None, progress: bool = True,
                desc: str = "train") -> TrainResult:
    """Train `model` in place and return its best weights by clean-validation accuracy.

    With `resume_path`, a checkpoint of the full state (weights, optimiser, RNGs, history) is
    written after every epoch and picked up again after an interruption; the result is the
    same as an uninterrupted run. A checkpoint of another training (settings, seed, data, model
    class or strategy differ, see `resume_fingerprint`) is ignored. The history holds only
    deterministic values; per-epoch wall times are in `TrainResult.epoch_seconds` and the log.
    """
    device = device or torch.device("cpu")
    strategy = strategy or StandardTraining()
    if len(train) == 0:
        raise TrainingError("the training set is empty; check the series parameters")
    model.to(device)
    optimizer = settings.make_optimizer(model.parameters())
    shuffle = torch.Generator().manual_seed(seed)
    x_all, y_all = train.images.to(device), train.labels.to(device)
    history: list[dict[str, float]] = []
    best = {"acc": -1.0, "epoch": 0, "state": copy.deepcopy(model.state_dict())}
    resume_path = Path(resume_path) if resume_path else None
    fingerprint = resume_fingerprint(model, train, val, settings, seed, strategy) if resume_path else ""
    state = resume_state(resume_path, fingerprint)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["shuffle_rng"])
        torch.set_rng_state(state["torch_rng"])
        history = [dict(zip(state["history_keys"], row.tolist(), strict=True)) for row in state["history"]]
        for row in history:
            row["epoch"] = int(row["epoch"])
        best = {"acc": float(state["best_acc"]), "epoch": int(state["best_epoch"]), "state": state["best_state"]}
        if "strategy" in state and hasattr(strategy, "load_state_dict"):
            strategy.load_state_dict(state["strategy"])  # per-sample state of adversarial methods
        print(f"resume: continuing {desc} after epoch {len(history)} from {resume_path}", file=sys.stderr,
              flush=True)
    resumed_epochs = len(history)
    epoch_seconds: dict[int, float] = {}
    n, bs = len(train), settings.batch_size
    bar = tqdm(total=settings.max_epochs, initial=len(history), desc=desc, file=sys.stderr,
               disable=not progress, mininterval=5.0, dynamic_ncols=False, ncols=100)
    stopped_early = False
    for epoch in range(len(history) + 1, settings.max_epochs + 1):
        if epoch - best["epoch"] > settings.patience and best["epoch"] > 0:
            stopped_early = True
            break
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=shuffle).to(device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for i in range(0, n, bs):
            index = perm[i:i + bs]
            xb, yb = x_all[index], y_all[index]
            loss, logits = strategy.batch_loss(model, xb, yb, index)
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"{desc}: loss became {loss.item()} at epoch {epoch}, batch {i // bs}; the run "
                    "diverged. Lower train.lr or check the training set for invalid values."
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * yb.shape[0]
            correct += (logits.detach().argmax(1) == yb).sum()
        end_epoch = getattr(strategy, "end_epoch", None)
        if end_epoch is not None:
            end_epoch(epoch)
        val_acc = accuracy(model, val)
        history.append({"epoch": epoch, "train_loss": float(loss_sum) / n, "train_acc": float(correct) / n,
                        "val_acc": val_acc})
        epoch_seconds[epoch] = time.perf_counter() - start
        if val_acc > best["acc"] + settings.min_delta:
            best = {"acc": val_acc, "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
        bar.update(1)
        bar.set_postfix(loss=f"{history[-1]['train_loss']:.4f}", val=f"{val_acc:.4f}", refresh=False)
        if progress:  # per-epoch wall time goes to the log (a run record), never into the history
            bar.write(f"{desc}: epoch {epoch}/{settings.max_epochs} train loss {history[-1]['train_loss']:.4f} "
                      f"val acc {val_acc:.4f} {epoch_seconds[epoch]:.2f} s", file=sys.stderr)
        if resume_path is not None:
            keys = list(history[0])
            save_tensors(resume_path, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "shuffle_rng": shuffle.get_state(), "torch_rng": torch.get_rng_state(),
                "history_keys": keys,
                "history": torch.tensor([[row[k] for k in keys] for row in history], dtype=torch.float64),
                "best_acc": best["acc"], "best_epoch": best["epoch"], "best_state": best["state"],
                "fingerprint": fingerprint,
                **({"strategy": strategy.state_dict()} if hasattr(strategy, "state_dict") else {}),
            })
    bar.close()
    return TrainResult({k: v.detach().cpu() for k, v in best["state"].items()}, history,
                       best["epoch"], best["acc"], stopped_early, epoch_seconds, resumed_epochs)

