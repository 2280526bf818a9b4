"""Grouped trainer throughput vs the single-model trainer, and the two ways of stacking K models.

Part 1 (stacking): images/s of one training step (forward, backward, masked Adam step) of K
LeNet-5 models stacked (a) with torch.func (stack_module_state + functional_call + vmap) and
(b) by hand (grouped convolution, batched matmul; the implementation in perturbstudy.grouped),
for K models at once and in chunks of CPU_CHUNK[LeNet5] models, vs K single models stepped one by one
with torch.optim.Adam. Part 2 (trainer): images/s of `train_group` on K models vs `train_model`
on the same K models one after another, printed as ratios grouped/single.

Every variant runs in this process on the same data and threads; each is measured `--repeats`
times, interleaved, and the best is kept. Rates are per CPU second of this process
(time.process_time), which a busy machine disturbs far less than wall time; with --threads 1
they are the rates of one core. glibc's heap is kept first (runtime.keep_heap, as every job does):
otherwise a variant run after a larger one finds its pages already faulted in, and the system time of
page faults (up to 12% of an AlexNet-8 run) lands on whichever variant runs first.

    .venv/bin/python bench/grouped_train.py [--threads 1] [--ks 1 8 24] [--alexnet-k 4]
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable

import torch
from torch.func import functional_call, stack_module_state, vmap
from torch.nn import functional as F

from perturbstudy.data import Pool
from perturbstudy.grouped import CPU_CHUNK, Rows, StackedOptimizer, stack_program, stacked_forward, train_group
from perturbstudy.models import LeNet5, build_model
from perturbstudy.runtime import keep_heap
from perturbstudy.train import TrainSettings, train_model


def _pools(k: int, n: int) -> tuple[list[Pool], Pool]:
    g = torch.Generator().manual_seed(0)
    trains = [Pool(torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)) for _ in range(k)]
    return trains, Pool(torch.rand(8, 1, 28, 28, generator=g), torch.randint(0, 10, (8,), generator=g))


def _rate(fn: Callable[[], int], results: list[float]) -> None:
    """Run fn (returns images processed) and append its images per CPU second."""
    start = time.process_time()
    images = fn()
    results.append(images / (time.process_time() - start))


# --------------------------------------------------------------------------- part 1: one step, three ways


def _single_steps(arch: str, k: int, bs: int, steps: int) -> Callable[[], int]:
    models = [build_model(arch) for _ in range(k)]
    opts = [torch.optim.Adam(m.parameters(), 1e-3) for m in models]
    x, y = torch.rand(k, bs, 1, 28, 28), torch.randint(0, 10, (k, bs))

    def run() -> int:
        for _ in range(steps):
            for m, opt, xb, yb in zip(models, opts, x, y, strict=True):
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(m(xb), yb).backward()
                opt.step()
        return steps * k * bs
    return run


def _stacked_steps(arch: str, k: int, bs: int, steps: int, chunk: int, how: str) -> Callable[[], int]:
    """Steps of K stacked models, `chunk` at a time: how = 'hand' (grouped conv + bmm) or 'vmap' (torch.func)."""
    models = [build_model(arch) for _ in range(k)]
    names = [n for n, _ in models[0].named_parameters()]
    stacked, _ = stack_module_state(models)
    params = [stacked[n].detach().contiguous() for n in names]
    opt = StackedOptimizer(params, TrainSettings())
    ops, base = stack_program(models[0]), copy.deepcopy(models[0]).to("meta")
    x, y = torch.rand(k, bs, 1, 28, 28), torch.randint(0, 10, (k, bs))

    def logits(leaves: list[torch.Tensor], xb: torch.Tensor) -> torch.Tensor:
        if how == "vmap":
            return vmap(lambda p, xm: functional_call(base, dict(zip(names, p, strict=True)), (xm,)))(leaves, xb)
        return stacked_forward(ops, leaves, xb.transpose(0, 1).reshape(bs, -1, *xb.shape[3:]))

    def run() -> int:
        for _ in range(steps):
            for a in range(0, k, chunk):
                rows = Rows(range(a, min(k, a + chunk)), torch.device("cpu"))
                leaves = [rows.get(p).detach().requires_grad_(True) for p in params]
                out = logits(leaves, x[rows.span])
                loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y[rows.span].reshape(-1), reduction="none")
                opt.step(rows, torch.autograd.grad(loss.view(len(rows), bs).mean(1).sum(), leaves))
        return steps * k * bs
    return run


def stacking(arch: str, ks: list[int], bs: int, images: int, repeats: int) -> None:
    """Part 1: print images/s of single, vmap and hand stacking (all K at once and in chunks) and the ratios."""
    print(f"\n[stacking] {arch}, batch {bs}, forward + backward + Adam step, images per CPU second")
    for k in ks:
        steps = max(2, images // (k * bs))
        variants = {"single": _single_steps(arch, k, bs, steps)}
        for chunk in sorted({k, min(k, CPU_CHUNK[LeNet5])}):
            for how in ("vmap", "hand"):
                variants[f"{how} chunk={chunk}"] = _stacked_steps(arch, k, bs, steps, chunk, how)
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for fn in variants.values():
            fn()  # warm-up
        for _ in range(repeats):
            for name, fn in variants.items():
                _rate(fn, rates[name])
        single = max(rates["single"])
        print(f"K={k:3d}  " + "  ".join(f"{name} {max(r):7.0f} ({max(r) / single:4.2f}x)" for name, r in rates.items()))


# --------------------------------------------------------------------------- part 2: the trainers


def trainers(arch: str, k: int, n: int, bs: int, epochs: int, repeats: int) -> None:
    """Part 2: train_group on K models vs train_model on each, images per CPU second and the ratio."""
    trains, val = _pools(k, n)
    settings = TrainSettings(batch_size=bs, max_epochs=epochs, patience=epochs)
    torch.manual_seed(0)
    init = [build_model(arch) for _ in range(k)]

    def single() -> int:
        for m, t, s in zip(copy.deepcopy(init), trains, range(k), strict=True):
            train_model(m, t, val, settings, s, progress=False)
        return epochs * k * n

    def grouped() -> int:
        train_group(copy.deepcopy(init), trains, val, settings, list(range(k)), progress=False)
        return epochs * k * n

    rates: dict[str, list[float]] = {"single": [], "grouped": []}
    for _ in range(repeats):
        _rate(single, rates["single"])
        _rate(grouped, rates["grouped"])
    s, g = max(rates["single"]), max(rates["grouped"])
    print(f"[trainer] {arch} K={k:3d} n={n} epochs={epochs}: train_model {s:7.0f} img/s  train_group {g:7.0f} img/s"
          f"  ratio grouped/single {g / s:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 8, 24])
    parser.add_argument("--trainer-ks", type=int, nargs="+", default=[8, 24])
    parser.add_argument("--alexnet-k", type=int, default=4)
    parser.add_argument("--n", type=int, default=1280, help="images per LeNet-5 (trainer part; AlexNet-8: half)")
    parser.add_argument("--images", type=int, default=6144, help="images per measurement (stacking part)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    keep_heap()
    print(f"threads={args.threads} batch={args.batch_size} repeats={args.repeats} (best of), "
          f"CPU_CHUNK={ {c.__name__: v for c, v in CPU_CHUNK.items()} }")
    stacking("lenet5", args.ks, args.batch_size, args.images, args.repeats)
    print()
    for k in args.trainer_ks:
        trainers("lenet5", k, args.n, args.batch_size, args.epochs, args.repeats)
    if args.alexnet_k:
        trainers("alexnet8", args.alexnet_k, args.n // 2, args.batch_size, args.epochs, args.repeats)


if __name__ == "__main__":
    main()
