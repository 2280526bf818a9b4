"""Steps of workflow/rules/train.smk."""

from __future__ import annotations

import time
from pathlib import Path

from ..smk import Job


def train(job: Job) -> None:
    """Train one model of an architecture on its training set with the architecture's fixed settings."""
    import pandas as pd
    import torch

    from ..artifacts import write_csv
    from ..checkpoints import save_model
    from ..checks import ensure_writable
    from ..data import load_splits
    from ..models import build_model
    from ..perturbation.trainsets import training_pool
    from ..runtime import configure, derive_seed
    from ..train import TrainSettings, train_model

    p, out = job.params, job.output
    arch, seed, resume = p["arch"], int(p["seed"]), p.get("resume")
    ensure_writable(out.model, out.history)  # before hours of training, not after
    device = configure(job.threads)
    splits = load_splits(job.input.splits)
    pool = training_pool(splits, job.input.optional("trainset"))
    settings = TrainSettings.from_dict(p["train"])
    model_kwargs = dict(p["model"])
    torch.manual_seed(derive_seed("init", arch, seed))
    c, h = pool.images.shape[1], pool.images.shape[2]
    model = build_model(arch, c, len(splits.class_names), h, **model_kwargs)
    start = time.perf_counter()
    result = train_model(model, pool, splits.val, settings, seed=derive_seed("shuffle", arch, seed),
                         device=device, resume_path=resume, desc=f"{arch} {p['tag']} seed{seed}")
    model.load_state_dict(result.state_dict)
    print(f"{arch} {p['tag']} seed {seed}: {result.epochs_run} epochs, best epoch {result.best_epoch}, "
          f"val acc {result.best_val_acc:.4f}, {time.perf_counter() - start:.1f} s", flush=True)
    write_csv(out.history, pd.DataFrame(result.history))
    save_model(out.model, model.cpu(), arch, c, len(splits.class_names), h, model_kwargs,
               extra={"best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
                      "best_val_acc": result.best_val_acc, "seed": seed, "train_size": len(pool)})
    if resume is not None and Path(resume).exists():
        Path(resume).unlink()
