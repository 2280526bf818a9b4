"""The grouped trainer: K models of one architecture trained at once as one stacked network.

Small models (LeNet-5, AlexNet-8) spend much of a training step on per-step overhead (dispatch,
the optimiser's many small tensor ops). `train_group` stacks the K models' parameters into
tensors with a leading model axis and runs each step once for all of them: convolutions as one
grouped convolution (groups = number of models), fully connected layers as one batched matmul,
and a vectorised Adam / SGD. Each model keeps what `train_model` gives it: its own training
set, its own shuffling stream (`torch.randperm` on a generator seeded with its seed), its own
optimiser state and step count, early stopping and best-epoch weights, and its own dropout
masks (drawn on its own generator, as `train_model` draws them on the global one). On CPU, up to
float rounding (a grouped convolution sums in another order), a model trains as `train_model`
trains it (tests/test_grouped.py).

Stacking by hand (grouped convolution, batched matmul) ran ~2x faster than `torch.func`
(stack_module_state + functional_call + vmap) on one CPU thread, for 1 to 24 LeNet-5s
(bench/grouped_train.py measures both); vmap also cannot give each model its own dropout
generator. On a GPU, vmap lowers to the same grouped kernels plus per-op dispatch, so it is not
expected to win there either (not measured: no GPU here).
"""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from .artifacts import save_tensors
from .data import Pool
from .errors import ConfigError, TrainingError
from .models import AlexNet8, LeNet5
from .train import StandardTraining, TrainResult, TrainSettings, resume_fingerprint, resume_state

#: architectures whose forward pass `_Op` programs can express (layer types of models/mnist_cnns.py)
GROUPABLE = (LeNet5, AlexNet8)

#: models per forward/backward pass on CPU: a few models' activations stay in cache (and in glibc's heap),
#: 24 at batch 64 do not. One core, LeNet-5, 24 models, chunks of 2/4/8/24: 11.1k/13.1k/10.8k/8.2k
#: images/s (13.5k/14.6k/14.7k/12.8k with the heap kept, runtime.keep_heap); AlexNet-8,
#: 4 models, chunks of 1/2/4: 516/506/466 (train_model 462). On a GPU all models go at once.
CPU_CHUNK: dict[type, int] = {LeNet5: 4, AlexNet8: 2}

#: rows (images x models) per forward pass when evaluating on CPU: LeNet-5's activations then stay in cache.
#: One core, heap kept (runtime.keep_heap), model-images/s at 256 / 512 / 1,000 / 2,000 rows: 4 stacked models
#: 46k / 45k / 42k / 42k, one model 27k / 27k / 26k / 25k; the config's batch_size (500 per model) is for GPUs.
CPU_ROWS = 256


def images_per_pass(batch_size: int, k: int, device: torch.device) -> int:
    """Images per inference pass of k stacked models: `batch_size`, but at most CPU_ROWS rows (images x models)
    on CPU."""
    return max(1, min(batch_size, CPU_ROWS // k)) if device.type == "cpu" else batch_size


HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_acc")  # a history row, as train_model writes it
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as TrainSettings uses them


# --------------------------------------------------------------------------- the stacked network


@dataclass(frozen=True)
class _Op:
    """One layer of a stacked network: its kind, its hyper-parameters and where its weight is."""

    kind: str  # pad, conv, pool, relu, flatten, linear, dropout
    args: tuple = ()
    param: int = -1  # index of the weight in the stacked parameter list; the bias follows it


def _layer_op(module: nn.Module, index: dict[int, int]) -> _Op:
    """The `_Op` of one layer of LeNet-5 / AlexNet-8; other layer types cannot be stacked."""
    if isinstance(module, nn.Conv2d) and module.groups == 1 and module.bias is not None \
            and module.padding_mode == "zeros":
        return _Op("conv", (module.stride, module.padding, module.dilation), index[id(module.weight)])
    if isinstance(module, nn.Linear) and module.bias is not None:
        return _Op("linear", (), index[id(module.weight)])
    if isinstance(module, nn.MaxPool2d):
        return _Op("pool", (module.kernel_size, module.stride, module.padding, module.dilation, module.ceil_mode))
    if isinstance(module, nn.ReLU):
        return _Op("relu")
    if isinstance(module, nn.Flatten) and module.start_dim == 1 and module.end_dim == -1:
        return _Op("flatten")
    if isinstance(module, nn.Dropout):
        return _Op("dropout", (module.p,))
    raise ConfigError(f"grouped training cannot stack a {type(module).__name__} layer; train this "
                      "architecture one model at a time with train_model")


def _pool_before_relu(ops: list[_Op]) -> list[_Op]:
    """Swap ReLU -> max-pool to max-pool -> ReLU: the same values and gradients (ReLU is monotone), on 4x fewer
    elements (the ReLU and its backward were 13% of a grouped LeNet-5 step)."""
    ops = list(ops)
    for i in range(len(ops) - 1):
        if ops[i].kind == "relu" and ops[i + 1].kind == "pool":
            ops[i], ops[i + 1] = ops[i + 1], ops[i]
    return ops


def stack_program(model: nn.Module) -> list[_Op]:
    """The layers of `model` (LeNet-5 or AlexNet-8) as a list of `_Op`s over its `parameters()` order."""
    if not isinstance(model, GROUPABLE):
        raise ConfigError(f"grouped training supports {[c.__name__ for c in GROUPABLE]}, not "
                          f"{type(model).__name__}; train it one model at a time with train_model")
    index = {id(p): i for i, p in enumerate(model.parameters())}
    pad = getattr(model, "pad", 0)
    ops = [_Op("pad", (pad,))] if pad else []
    ops += [_layer_op(m, index) for m in [*model.features, *model.classifier]]
    return _pool_before_relu(ops)


def _dropout(x: torch.Tensor, p: float, counts: Sequence[int], generators: Sequence[torch.Generator]) -> torch.Tensor:
    """Dropout on (models, features, batch) with each model's mask drawn on its own generator over its real
    samples, exactly as F.dropout draws it on CPU for (batch, features) (bernoulli_(1 - p), divided by 1 - p)."""
    noise = x.new_zeros(x.shape[0], x.shape[2], x.shape[1])
    for j, (n, gen) in enumerate(zip(counts, generators, strict=True)):
        noise[j, :n].bernoulli_(1 - p, generator=gen)
    return x * noise.div_(1 - p).transpose(1, 2)


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    """`x` with channels-last strides, build_model's layout (grouped convolutions ran 2x faster in it), also with
    one channel, where .contiguous(channels_last) keeps NCHW strides and the convolution then runs NCHW."""
    if x.stride(1) == 1 and x.is_contiguous(memory_format=torch.channels_last):
        return x
    return torch.empty_like(x, memory_format=torch.channels_last).copy_(x)


def stacked_forward(ops: Sequence[_Op], params: Sequence[torch.Tensor], x: torch.Tensor,
                    counts: Sequence[int] | None = None,
                    generators: Sequence[torch.Generator] | None = None, shared: bool = False) -> torch.Tensor:
    """Logits (models, batch, classes) of the stacked models (see stack_parameters) on x (batch, models * channels,
    H, W).

    Model j reads channels j*C..(j+1)*C-1 of `x`; with `shared`, x (batch, C, H, W) is one copy that every model
    reads, and the first convolution runs as one dense convolution with all models' filters (the grouped
    convolution of K copies, computed once: LeNet-5 inference 1.3-1.5x faster). Dropout is applied only when
    `generators` (one per model, with `counts` real rows per model) is given, i.e. in training. The fully
    connected layers run transposed, W @ x^T on (models, features, batch), so that autograd's
    weight gradients come out contiguous (x @ W^T gives them transposed: AlexNet-8's 2.4M-weight
    layer then spent 19 ms per step copying them).
    """
    k = params[0].shape[0]
    for op in ops:
        if shared and op.kind not in ("pad", "conv"):
            raise ValueError(f"a shared input must reach a convolution first, not a {op.kind} layer")
        if op.kind == "pad":
            x = F.pad(x, (op.args[0],) * 4)
        elif op.kind == "conv":
            x = _channels_last(x)
            w, b = params[op.param], params[op.param + 1]
            x = F.conv2d(x, w.reshape(-1, *w.shape[2:]), b.reshape(-1), *op.args, groups=1 if shared else k)
            shared = False
        elif op.kind == "pool":
            x = F.max_pool2d(x, *op.args)
        elif op.kind == "relu":
            x = F.relu(x)
        elif op.kind == "flatten":
            x = x.reshape(x.shape[0], k, -1).permute(1, 2, 0)
        elif op.kind == "linear":
            w, b = params[op.param], params[op.param + 1]
            x = torch.baddbmm(b.unsqueeze(2), w, x)
        elif op.kind == "dropout" and generators is not None:
            x = _dropout(x, op.args[0], counts, generators)
    return x.transpose(1, 2)


class StackedModels(nn.Module):
    """K models of one architecture as one module over interleaved rows: row i*K + k is image i as model k sees
    it, and its logits are model k's. Any batch of a multiple of K rows works, so `train.predict` and the attacks
    run the K models at once, each on its own copies and with its own input gradient. Eval mode (no dropout)."""

    def __init__(self, models: Sequence[nn.Module]) -> None:
        super().__init__()
        device = next(models[0].parameters()).device
        self.k, self.ops = len(models), stack_program(models[0])
        self.stacked = nn.ParameterList([nn.Parameter(p, requires_grad=False)
                                         for p in stack_parameters(models, device)])
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] % self.k:
            raise ValueError(f"StackedModels of {self.k} models needs a multiple of {self.k} rows, got {x.shape[0]}")
        n = x.shape[0] // self.k
        logits = stacked_forward(self.ops, list(self.stacked), x.reshape(n, self.k * x.shape[1], *x.shape[2:]))
        return logits.transpose(0, 1).reshape(n * self.k, -1)

    def shared(self) -> nn.Module:
        """This stack as a module that gives every model the same images: n rows in, n * K interleaved logits out
        (row i*K + k: model k on image i), as `forward` on each row repeated K times, without the copies."""
        return _SharedInput(self)


class _SharedInput(nn.Module):
    """`StackedModels.shared()`: one copy of each image, read by all K models (stacked_forward's `shared`)."""

    def __init__(self, stack: StackedModels) -> None:
        super().__init__()
        self.stack = stack

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.stack
        return stacked_forward(s.ops, list(s.stacked), x, shared=True).transpose(0, 1).reshape(x.shape[0] * s.k, -1)


# --------------------------------------------------------------------------- the masked optimiser


class Rows:
    """A selection of models (rows of every stacked tensor): a view for a contiguous range, else a gathered copy."""

    def __init__(self, models: Sequence[int], device: torch.device) -> None:
        self.models = list(models)
        first, last = self.models[0], self.models[-1]
        self.span = slice(first, last + 1) if self.models == list(range(first, last + 1)) else None
        self.index = None if self.span else torch.tensor(self.models, device=device)

    def __len__(self) -> int:
        return len(self.models)

    def get(self, t: torch.Tensor) -> torch.Tensor:
        return t[self.span] if self.span else t.index_select(0, self.index)

    def put(self, t: torch.Tensor, rows: torch.Tensor) -> None:
        """Write back rows taken with `get` (a no-op for a view, which was changed in place)."""
        if self.span is None:
            t.index_copy_(0, self.index, rows)

    def add(self, t: torch.Tensor, values: torch.Tensor) -> None:
        """t[rows] += values."""
        if self.span is None:
            t.index_add_(0, self.index, values)
        else:
            t[self.span] += values


def _like(t: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """`t` in the memory layout of `ref`."""
    return t if t.stride() == ref.stride() else torch.empty_like(ref).copy_(t)


def stack_parameters(models: Sequence[nn.Module], device: torch.device) -> list[torch.Tensor]:
    """Each parameter of every model stacked on a leading model axis. Convolution weights are stored so that
    (models * out, in, kh, kw) is a channels-last view, the layout build_model gives them: the grouped
    convolution then takes the weight and returns its gradient without reordering (AlexNet-8: 1.3x faster)."""
    stacked = []
    for ps in zip(*[list(m.parameters()) for m in models], strict=True):
        if ps[0].ndim == 4:
            stacked.append(torch.stack([p.detach().permute(0, 2, 3, 1) for p in ps]).permute(0, 1, 4, 2, 3))
        else:
            stacked.append(torch.stack([p.detach() for p in ps]))
    return [p.to(device) for p in stacked]


class StackedOptimizer:
    """Adam or SGD on stacked parameters (one model per row) that steps only the rows it is given.

    The formulas and their order of operations are torch.optim.Adam's / SGD's single-tensor
    ones (CPU), with a step count per model, so a model that does not step stays bit-identical
    and one that does moves as it would under its own optimiser.
    """

    def __init__(self, params: list[torch.Tensor], settings: TrainSettings) -> None:
        if settings.optimizer not in ("adam", "sgd"):
            raise ConfigError(f"train.optimizer {settings.optimizer!r} is not supported; use 'adam' or 'sgd'")
        self.params, self.settings = params, settings
        self.steps = [0] * params[0].shape[0]
        self.state = [[torch.zeros_like(p) for p in params] for _ in range(2 if settings.optimizer == "adam" else 1)]
        # Adam's denominator, computed in place: two fresh parameter-sized temporaries per step made glibc
        # hand memory back and fault it in again (AlexNet-8: 25 ms of system time per step)
        self.work = [torch.empty_like(p) for p in params] if settings.optimizer == "adam" else []

    def step(self, rows: Rows, grads: Sequence[torch.Tensor]) -> None:
        """Update the models in `rows` with their gradients `grads` (each of shape (len(rows), ...)).

        Gradients are brought to their parameter's memory layout first (a no-op for stacked_forward's):
        elementwise updates across two layouts ran 3-6x slower.
        """
        for k in rows.models:
            self.steps[k] += 1
        update = self._adam if self.settings.optimizer == "adam" else self._sgd
        update(rows, grads)

    def _per_model(self, values: list[float], like: torch.Tensor) -> torch.Tensor:
        """Per-model scalars as a float32 tensor that broadcasts over rows shaped like `like`."""
        return torch.tensor(values, dtype=like.dtype, device=like.device).view(-1, *[1] * (like.ndim - 1))

    def _adam(self, rows: Rows, grads: Sequence[torch.Tensor]) -> None:
        """One Adam step of every parameter tensor at once (torch's _foreach ops: on CPU each is the per-tensor op
        in a C++ loop, so the same bits with a tenth of the Python calls; the optimiser was 7% of a LeNet-5 step)."""
        (beta1, beta2), s = ADAM_BETAS, self.settings
        steps = [float(self.steps[k]) for k in rows.models]
        neg_step_size = [-(s.lr / (1 - beta1 ** t)) for t in steps]  # Python floats, as torch computes them
        bc2_sqrt = [(1 - beta2 ** t) ** 0.5 for t in steps]
        same_step = len(set(steps)) == 1  # the usual case: torch's very ops, with scalars
        ps, ms, vs = ([rows.get(t) for t in ts] for ts in (self.params, *self.state))
        gs = [_like(g, p) for g, p in zip(grads, ps, strict=True)]
        if s.weight_decay:
            gs = torch._foreach_add(gs, ps, alpha=s.weight_decay)
        torch._foreach_lerp_(ms, gs, 1 - beta1)
        torch._foreach_mul_(vs, beta2)
        torch._foreach_addcmul_(vs, gs, gs, value=1 - beta2)
        denoms = [torch.sqrt(v, out=work[:len(rows)]) for v, work in zip(vs, self.work, strict=True)]
        if same_step:  # = (v.sqrt() / bc2_sqrt).add_(eps)
            torch._foreach_div_(denoms, bc2_sqrt[0])
        else:
            torch._foreach_div_(denoms, [self._per_model(bc2_sqrt, v) for v in vs])
        torch._foreach_add_(denoms, ADAM_EPS)
        if same_step:
            torch._foreach_addcdiv_(ps, ms, denoms, value=neg_step_size[0])
        else:  # = addcdiv_(m, denom, value=-step_size) per model
            torch._foreach_addcdiv_(ps, [m * self._per_model(neg_step_size, m) for m in ms], denoms)
        for ts, new in zip((self.params, *self.state), (ps, ms, vs), strict=True):
            for all_rows, rows_now in zip(ts, new, strict=True):
                rows.put(all_rows, rows_now)

    def _sgd(self, rows: Rows, grads: Sequence[torch.Tensor]) -> None:
        s = self.settings
        for p_all, g, buf_all in zip(self.params, grads, self.state[0], strict=True):
            p, buf = rows.get(p_all), rows.get(buf_all)
            g = _like(g, p)
            if s.weight_decay:
                g = g.add(p, alpha=s.weight_decay)
            if s.momentum:
                g = buf.mul_(s.momentum).add_(g)  # a zero buffer makes the first step torch's clone(grad)
            p.add_(g, alpha=-s.lr)
            rows.put(p_all, p)
            rows.put(buf_all, buf)


# --------------------------------------------------------------------------- one model's bookkeeping


@dataclass
class _Member:
    """What the grouped trainer tracks for one model: data, shuffling, history, best epoch."""

    images: torch.Tensor
    labels: torch.Tensor
    shuffle: torch.Generator
    dropout: torch.Generator
    best_state: dict[str, torch.Tensor]
    history: list[dict[str, float]]
    epoch_seconds: dict[int, float]
    best_acc: float = -1.0
    best_epoch: int = 0
    stopped_early: bool = False
    perm: torch.Tensor | None = None

    def batches(self, bs: int) -> int:
        return math.ceil(self.labels.shape[0] / bs)


def _check_group(models: Sequence[nn.Module], trains: Sequence[Pool], seeds: Sequence[int]) -> None:
    """One architecture, one training set and one seed per model, no empty training set."""
    if not models or not len(models) == len(trains) == len(seeds):
        raise TrainingError(f"train_group needs one training set and one seed per model; got {len(models)} "
                            f"models, {len(trains)} training sets, {len(seeds)} seeds")
    shapes = [[tuple(p.shape) for p in m.parameters()] for m in models]
    if any(type(m) is not type(models[0]) or s != shapes[0] for m, s in zip(models, shapes, strict=True)):
        raise TrainingError("train_group stacks models of one architecture with one configuration; group the "
                            "models by (architecture, model settings)")
    for i, train in enumerate(trains):
        if len(train) == 0:
            raise TrainingError(f"the training set of model {i} is empty; check the series parameters")


def _state_rows(names: list[str], params: list[torch.Tensor], like: nn.Module, k: int) -> dict[str, torch.Tensor]:
    """Model k's weights as a state dict, each tensor in the memory layout of the model's own parameter."""
    own = dict(like.named_parameters())
    return {n: torch.empty_like(own[n], device="cpu").copy_(p[k]) for n, p in zip(names, params, strict=True)}


# --------------------------------------------------------------------------- the trainer


def _batch(members: Sequence[_Member], step: int, bs: int) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """The step's batch of each model, stacked: x (b, models * C, H, W), y (models, b), real rows per model.

    A model whose batch is short (its last one) is padded with copies of its first image; the
    padded rows get weight 0 in the loss and no dropout draws.
    """
    index = [m.perm[step * bs:(step + 1) * bs] for m in members]
    counts = [int(i.shape[0]) for i in index]
    b = max(counts)
    index = [i if i.shape[0] == b else torch.cat([i, i[:1].expand(b - i.shape[0])]) for i in index]
    x = torch.stack([m.images[i] for m, i in zip(members, index, strict=True)], dim=1)
    y = torch.stack([m.labels[i] for m, i in zip(members, index, strict=True)])
    return x.reshape(b, -1, *x.shape[3:]), y, counts


def _group_loss(logits: torch.Tensor, y: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """Per-model mean cross-entropy over each model's real rows, shape (models,); their sum has each model's
    gradients as its own loss would."""
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none").view(y.shape)
    b = y.shape[1]
    if all(c == b for c in counts):
        return ce.mean(1)
    weights = torch.zeros_like(ce)
    for j, c in enumerate(counts):
        weights[j, :c] = 1.0 / c
    return (ce * weights).sum(1)


def _train_step(ops: list[_Op], params: list[torch.Tensor], optimizer: StackedOptimizer, rows: Rows,
                members: list[_Member], step: int, bs: int, sums: tuple[torch.Tensor, torch.Tensor], desc: str,
                epoch: int) -> None:
    """One optimiser step of the models in `rows` on their own batches `step` of this epoch; adds each model's
    loss x batch size and correct predictions to `sums` (as train_model sums them)."""
    x, y, counts = _batch(members, step, bs)
    leaves = [rows.get(p).detach().requires_grad_(True) for p in params]
    dropout = [m.dropout for m in members] if any(op.kind == "dropout" for op in ops) else None
    logits = stacked_forward(ops, leaves, x, counts, dropout)
    losses = _group_loss(logits, y, counts)
    if not bool(torch.isfinite(losses).all()):
        bad = torch.nonzero(~torch.isfinite(losses)).flatten().tolist()
        raise TrainingError(f"{desc}: loss became {losses[bad[0]].item()} at epoch {epoch}, batch {step} (model(s) "
                            f"{[rows.models[j] for j in bad]} of the group, from 0); the run diverged. Lower train.lr "
                            "or check the training sets for invalid values.")
    grads = torch.autograd.grad(losses.sum(), leaves)
    optimizer.step(rows, grads)
    hits = logits.detach().argmax(-1) == y
    if min(counts) < y.shape[1]:  # padded rows are no predictions
        hits &= torch.arange(y.shape[1], device=y.device) < torch.tensor(counts, device=y.device).unsqueeze(1)
    rows.add(sums[0], losses.detach() * torch.tensor(counts, dtype=losses.dtype, device=losses.device))
    rows.add(sums[1], hits.sum(1))


@torch.no_grad()
def group_accuracy(ops: list[_Op], params: list[torch.Tensor], models: Sequence[int], pool: Pool,
                   chunk: int, batch_size: int = 1024) -> list[float]:
    """Clean accuracy on `pool` of each of `models` (rows of the stacked parameters), as `train.accuracy` has it;
    the models share each image (stacked_forward's `shared`), in passes of at most CPU_ROWS rows on CPU."""
    if len(pool) == 0:
        return [float("nan")] * len(models)
    device = params[0].device
    images, labels = pool.images.to(device), pool.labels.to(device)
    accs: list[float] = []
    for start in range(0, len(models), chunk):
        rows = Rows(models[start:start + chunk], device)
        sub = [rows.get(p) for p in params]
        bs = images_per_pass(batch_size, len(rows), device)
        preds = [stacked_forward(ops, sub, images[i:i + bs], shared=True).argmax(-1)
                 for i in range(0, len(pool), bs)]
        pred = torch.cat(preds, dim=1)
        accs += [float((pred[j] == labels).float().mean()) for j in range(len(rows))]
    return accs


def _chunks(models: list[int], chunk: int) -> list[list[int]]:
    return [models[i:i + chunk] for i in range(0, len(models), chunk)]


def _end_epoch(member: _Member, epoch: int, loss_sum: float, correct: int, val_acc: float, seconds: float,
               settings: TrainSettings) -> bool:
    """Append the epoch to the model's history; True when validation accuracy improved (keep the weights)."""
    n = member.labels.shape[0]
    member.history.append({"epoch": epoch, "train_loss": loss_sum / n, "train_acc": correct / n,
                           "val_acc": val_acc})
    member.epoch_seconds[epoch] = seconds
    if val_acc > member.best_acc + settings.min_delta:
        member.best_acc, member.best_epoch = val_acc, epoch
        return True
    return False


def _still_training(members: list[_Member], training: list[int], epoch: int, settings: TrainSettings) -> list[int]:
    """The models that train in `epoch`: train_model's early-stopping test, per model."""
    for k in training:
        m = members[k]
        m.stopped_early = epoch - m.best_epoch > settings.patience and m.best_epoch > 0
    return [k for k in training if not members[k].stopped_early]


def _epoch(ops: list[_Op], params: list[torch.Tensor], optimizer: StackedOptimizer, members: list[_Member],
           training: list[int], bs: int, chunk: int, desc: str, epoch: int) -> tuple[list[float], list[int]]:
    """One epoch of the models in `training`, each over its own shuffled set; returns every model's summed
    loss x batch size and its number of correct training predictions."""
    device = params[0].device
    for k in training:
        members[k].perm = torch.randperm(members[k].labels.shape[0], generator=members[k].shuffle).to(device)
    sums = (torch.zeros(len(members), device=device), torch.zeros(len(members), dtype=torch.int64, device=device))
    for step in range(max(members[k].batches(bs) for k in training)):
        active = [k for k in training if step < members[k].batches(bs)]
        for group in _chunks(active, chunk):
            _train_step(ops, params, optimizer, Rows(group, device), [members[k] for k in group], step, bs, sums,
                        desc, epoch)
    return sums[0].tolist(), sums[1].tolist()


def _global_rng_copies(k: int, device: torch.device) -> list[torch.Generator]:
    """k generators in the state of the global RNG that F.dropout draws from on `device` (train_model's masks)."""
    state = torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.get_rng_state()
    gens = [torch.Generator(device=device) for _ in range(k)]
    for gen in gens:
        gen.set_state(state)
    return gens


def _write_back(models: list[nn.Module], params: list[torch.Tensor]) -> None:
    """Load each model's last weights from its row of the stacked parameters (models end as train_model leaves
    them)."""
    for k, model in enumerate(models):
        model.to(params[0].device)
        with torch.no_grad():
            for p, stacked in zip(model.parameters(), params, strict=True):
                p.copy_(stacked[k])


def group_fingerprint(models: Sequence[nn.Module], trains: Sequence[Pool], val: Pool, settings: TrainSettings,
                      seeds: Sequence[int], chunk: int) -> str:
    """What a group's resume checkpoint must match: train_model's fingerprint of each model, plus the chunking."""
    return "|".join(["group", str(chunk), *[resume_fingerprint(m, t, val, settings, s, StandardTraining())
                                            for m, t, s in zip(models, trains, seeds, strict=True)]])


def _checkpoint(params: list[torch.Tensor], optimizer: StackedOptimizer, members: list[_Member],
                training: list[int], fingerprint: str) -> dict:
    """Everything the next epoch depends on (weights, optimiser state, generators, histories, best weights)."""
    return {
        "fingerprint": fingerprint, "params": [p.detach().cpu() for p in params],
        "steps": torch.tensor(optimizer.steps), "state": [[t.cpu() for t in ts] for ts in optimizer.state],
        "training": torch.tensor(training, dtype=torch.int64),
        "members": [{"shuffle": m.shuffle.get_state(), "dropout": m.dropout.get_state(),
                     "history": torch.tensor([[row[k] for k in HISTORY_KEYS] for row in m.history],
                                             dtype=torch.float64),
                     "best_state": m.best_state, "best_acc": m.best_acc, "best_epoch": m.best_epoch,
                     "stopped_early": m.stopped_early} for m in members],
    }


def _restore(state: dict, params: list[torch.Tensor], optimizer: StackedOptimizer, members: list[_Member]) -> list[int]:
    """Load a `_checkpoint` into the trainer's objects; returns the models still training."""
    with torch.no_grad():
        for p, saved in zip(params, state["params"], strict=True):
            p.copy_(saved)
        for ts, saved_ts in zip(optimizer.state, state["state"], strict=True):
            for t, saved in zip(ts, saved_ts, strict=True):
                t.copy_(saved)
    optimizer.steps = [int(s) for s in state["steps"].tolist()]
    for m, saved in zip(members, state["members"], strict=True):
        m.shuffle.set_state(saved["shuffle"])
        m.dropout.set_state(saved["dropout"])
        m.history = [{k: (int(v) if k == "epoch" else v) for k, v in zip(HISTORY_KEYS, row.tolist(), strict=True)}
                     for row in saved["history"]]
        m.best_state, m.best_acc, m.best_epoch = saved["best_state"], float(saved["best_acc"]), int(saved["best_epoch"])
        m.stopped_early = bool(saved["stopped_early"])
    return [int(k) for k in state["training"].tolist()]


def train_group(models: list[nn.Module], trains: list[Pool], val: Pool, settings: TrainSettings,
                seeds: list[int], device: torch.device | None = None, progress: bool = True,
                desc: str = "group", chunk: int | None = None,
                generators: list[torch.Generator] | None = None,
                resume_path: str | Path | None = None) -> list[TrainResult]:
    """Train `models` (one architecture) at once, each on its own training set, as `train_model` would one by one.

    Model i shuffles with `seeds[i]`, has its own optimiser state, early stopping and best
    weights; a model that stopped (or whose epoch has run out of batches) is not stepped. The
    models are trained in place (they end with their last weights, as with `train_model`).
    `chunk` models share one forward/backward pass (default: CPU_CHUNK on CPU, all on a GPU).
    Dropout masks of model i come from `generators[i]` (default: each a copy of the global RNG
    state, which is what `train_model` would draw from if started now). Epoch seconds are the
    group's. With `resume_path`, the whole group's state is written after every epoch and an
    interrupted run continues from it to the same result (a checkpoint of another group is ignored).
    """
    device = device or torch.device("cpu")
    _check_group(models, trains, seeds)
    ops = stack_program(models[0])
    chunk = chunk or (CPU_CHUNK[type(models[0])] if device.type == "cpu" else len(models))
    names = [n for n, _ in models[0].named_parameters()]
    params = stack_parameters(models, device)
    optimizer = StackedOptimizer(params, settings)
    generators = generators or _global_rng_copies(len(models), device)
    members = [_Member(t.images.to(device), t.labels.to(device), torch.Generator().manual_seed(s), g,
                       copy.deepcopy(m.state_dict()), [], {})
               for m, t, s, g in zip(models, trains, seeds, generators, strict=True)]
    training = list(range(len(models)))
    resume_path = Path(resume_path) if resume_path else None
    fingerprint = group_fingerprint(models, trains, val, settings, seeds, chunk) if resume_path else ""
    state = resume_state(resume_path, fingerprint)
    if state is not None:
        training = _restore(state, params, optimizer, members)
    done = max(len(m.history) for m in members)
    if state is not None:
        print(f"resume: continuing {desc} after epoch {done} from {resume_path}", file=sys.stderr, flush=True)
    bar = tqdm(total=settings.max_epochs, initial=done, desc=desc, file=sys.stderr, disable=not progress,
               mininterval=5.0, dynamic_ncols=False, ncols=100)
    for epoch in range(done + 1, settings.max_epochs + 1):
        training = _still_training(members, training, epoch, settings)
        if not training:
            break
        start = time.perf_counter()
        loss_sums, corrects = _epoch(ops, params, optimizer, members, training, settings.batch_size, chunk, desc,
                                     epoch)
        accs = group_accuracy(ops, params, training, val, chunk)
        seconds = time.perf_counter() - start
        for k, acc in zip(training, accs, strict=True):
            if _end_epoch(members[k], epoch, loss_sums[k], corrects[k], acc, seconds, settings):
                members[k].best_state = _state_rows(names, params, models[k], k)
        bar.update(1)
        if progress:
            bar.write(f"{desc}: epoch {epoch}/{settings.max_epochs} {len(training)}/{len(models)} models training, "
                      f"val acc {' '.join(f'{a:.3f}' for a in accs)}, {seconds:.2f} s", file=sys.stderr)
        if resume_path is not None:
            save_tensors(resume_path, _checkpoint(params, optimizer, members, training, fingerprint))
    bar.close()
    _write_back(models, params)
    resumed = state is not None
    return [TrainResult({n: t.detach().cpu() for n, t in m.best_state.items()}, m.history, m.best_epoch,
                        m.best_acc, m.stopped_early, m.epoch_seconds, done if resumed else 0) for m in members]
