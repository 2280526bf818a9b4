"""Trainer throughput vs a raw forward/backward loop and a DataLoader(TensorDataset) loop.

Prints images/s of each and the ratio trainer/raw (goal >= 0.9). All three run in this process
on the same data, model architecture, batch size and threads.

    .venv/bin/python bench/train_throughput.py [--arch lenet5] [--n 3600] [--epochs 2]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from perturbstudy.data import Pool
from perturbstudy.models import build_model
from perturbstudy.train import TrainSettings, train_model


def _data(n: int) -> tuple[Pool, Pool]:
    g = torch.Generator().manual_seed(0)
    return (Pool(torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)),
            Pool(torch.rand(8, 1, 28, 28, generator=g), torch.randint(0, 10, (8,), generator=g)))


def raw_loop(arch: str, train: Pool, bs: int, epochs: int) -> float:
    torch.manual_seed(0)
    model = build_model(arch)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for i in range(0, len(train), bs):
            opt.zero_grad()
            F.cross_entropy(model(train.images[i:i + bs]), train.labels[i:i + bs]).backward()
            opt.step()
    return epochs * len(train) / (time.perf_counter() - start)


def dataloader_loop(arch: str, train: Pool, bs: int, epochs: int) -> float:
    torch.manual_seed(0)
    model = build_model(arch)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loader = DataLoader(TensorDataset(train.images, train.labels), batch_size=bs, shuffle=True)
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    return epochs * len(train) / (time.perf_counter() - start)


def trainer_loop(arch: str, train: Pool, val: Pool, bs: int, epochs: int) -> float:
    torch.manual_seed(0)
    model = build_model(arch)
    settings = TrainSettings(batch_size=bs, max_epochs=epochs, patience=epochs)
    result = train_model(model, train, val, settings, seed=0, progress=False)
    return epochs * len(train) / sum(result.epoch_seconds.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="lenet5")
    parser.add_argument("--n", type=int, default=3600)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train, val = _data(args.n)
    raw_loop(args.arch, train, args.batch_size, 1)  # warm-up
    raw = raw_loop(args.arch, train, args.batch_size, args.epochs)
    loader = dataloader_loop(args.arch, train, args.batch_size, args.epochs)
    ours = trainer_loop(args.arch, train, val, args.batch_size, args.epochs)
    print(f"arch={args.arch} n={args.n} batch={args.batch_size} threads={args.threads}")
    print(f"raw forward/backward      {raw:10.0f} img/s")
    print(f"DataLoader(TensorDataset) {loader:10.0f} img/s")
    print(f"perturbstudy trainer      {ours:10.0f} img/s")
    print(f"ratio trainer/raw         {ours / raw:10.3f}  (goal >= 0.9)")
    print(f"ratio trainer/DataLoader  {ours / loader:10.3f}")


if __name__ == "__main__":
    main()
