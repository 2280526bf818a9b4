"""The deterministic trainer: in-memory tensors, seeded shuffling, early stopping, resumable.

Every model of an architecture is trained with the same `TrainSettings`; "until convergence"
means early stopping on clean-validation accuracy with a patience and a max-epoch cap. A
training strategy (standard training, or an adversarial-training method) supplies the loss.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from .artifacts import load_tensors, save_tensors, sha256_tensors
from .data import Pool
from .errors import ConfigError, TrainingError
from .runtime import derive_seed, eval_mode


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
    #: the weights at the end of each of `train_model`'s `snapshot_epochs` (CPU tensors)
    snapshots: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)

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
                desc: str = "train", score: Callable[[nn.Module, Pool], float] | None = None,
                snapshot_epochs: Sequence[int] = ()) -> TrainResult:
    """Train `model` in place and return its best weights by clean-validation accuracy.

    `score` (default: `accuracy`) is the validation measure (segmentation: mean IoU; the history keeps
    the column name `val_acc`); a strategy's optional `batch_hits(logits, y)` replaces the count of
    correct labels in `train_acc`. The weights after each epoch in `snapshot_epochs` are kept in the result.

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
    optimizer = settings.make_optimizer([p for p in model.parameters() if p.requires_grad])  # frozen: left out
    shuffle = torch.Generator().manual_seed(seed)
    x_all, y_all = train.images.to(device), train.labels.to(device)
    history: list[dict[str, float]] = []
    best = {"acc": -1.0, "epoch": 0, "state": copy.deepcopy(model.state_dict())}
    snapshots: dict[int, dict[str, torch.Tensor]] = {}
    score = score or accuracy
    hits = getattr(strategy, "batch_hits", None) or (lambda logits, y: (logits.argmax(1) == y).sum())
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
        snapshots = {int(k): v for k, v in state.get("snapshots", {}).items()}
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
            correct = correct + hits(logits.detach(), yb)  # out of place: a float count promotes
        end_epoch = getattr(strategy, "end_epoch", None)
        if end_epoch is not None:
            end_epoch(epoch)
        val_acc = score(model, val)
        if epoch in snapshot_epochs:
            snapshots[epoch] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
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
                "fingerprint": fingerprint, "snapshots": {str(k): v for k, v in snapshots.items()},
                **({"strategy": strategy.state_dict()} if hasattr(strategy, "state_dict") else {}),
            })
    bar.close()
    return TrainResult({k: v.detach().cpu() for k, v in best["state"].items()}, history,
                       best["epoch"], best["acc"], stopped_early, epoch_seconds, resumed_epochs, snapshots)


def warmup_checkpoint(resume_path: str | Path) -> Path:
    """Where `train_with_head_warmup` keeps the warm-up's resume checkpoint, beside the main one."""
    return Path(f"{resume_path}.warmup")


def train_with_head_warmup(model: nn.Module, train: Pool, val: Pool, settings: TrainSettings, seed: int,
                           warmup_epochs: int = 0, device: torch.device | None = None,
                           strategy: Strategy | None = None, resume_path: str | Path | None = None,
                           progress: bool = True, desc: str = "train") -> TrainResult:
    """`train_model`, after `warmup_epochs` epochs that train only the new layers (Li et al.'s FC warm-up).

    The warm-up is a `train_model` call on the model with its pretrained layers frozen
    (`model.freeze_pretrained`), with the same strategy (the method's own loss), optimiser settings and
    batch size, exactly `warmup_epochs` epochs (no early stopping) and a shuffle seed of its own; then every
    layer is released and `train_model` runs with `settings` from the warm-up's last weights, a fresh optimiser
    and early stopping as usual (`max_epochs` counts this phase only). The result is that second phase's: best
    weights by validation accuracy; its history holds both phases, epochs numbered on, with a `phase` column
    ('warmup' / 'full'), and a strategy's `epoch_stats` are renumbered the same way. Resume: the warm-up has its
    own checkpoint (`warmup_checkpoint`); the main one is only continued when the warm-up was complete before,
    so either phase resumes where it was killed. With `warmup_epochs` 0 this is `train_model` itself.
    """
    warm_path = warmup_checkpoint(resume_path) if resume_path else None
    if warmup_epochs <= 0:
        if warm_path is not None and warm_path.exists():  # left by a run with a warm-up: so is the main checkpoint
            warm_path.unlink()
            Path(resume_path).unlink(missing_ok=True)
        return train_model(model, train, val, settings, seed, device, strategy, resume_path, progress, desc)
    freeze = getattr(model, "freeze_pretrained", None)
    if freeze is None:
        raise ConfigError(f"{desc}: head_warmup_epochs {warmup_epochs} needs a network with a replaceable head "
                          f"(the torchvision CNNs); {type(model).__name__} has none: set head_warmup_epochs: 0")
    strategy = strategy or StandardTraining()
    # patience = the warm-up length: no early stop, and a checkpoint of another warm-up length is not continued
    warm_settings = replace(settings, max_epochs=warmup_epochs, patience=warmup_epochs)
    freeze(True)
    try:
        warm = train_model(model, train, val, warm_settings, derive_seed("head warm-up", seed), device, strategy,
                           warm_path, progress, f"{desc} head warm-up")
    finally:
        freeze(False)
    if resume_path is not None and warm.resumed_epochs < warmup_epochs:
        Path(resume_path).unlink(missing_ok=True)  # the main phase did not follow this very warm-up
    full = train_model(model, train, val, settings, seed, device, strategy, resume_path, progress, desc)
    n = len(warm.history)
    history = ([{**row, "phase": "warmup"} for row in warm.history]
               + [{**row, "epoch": row["epoch"] + n, "phase": "full"} for row in full.history])
    for row in getattr(strategy, "epoch_stats", [])[n:]:
        row["epoch"] += n
    return TrainResult(full.state_dict, history, full.best_epoch + n, full.best_val_acc, full.stopped_early,
                       {**warm.epoch_seconds, **{e + n: t for e, t in full.epoch_seconds.items()}},
                       warm.resumed_epochs + full.resumed_epochs)
