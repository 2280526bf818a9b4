"""Steps of workflow/rules/train.smk."""

from __future__ import annotations

import time
from pathlib import Path

from ..smk import Job


def train(job: Job) -> None:
    """Train the models of one group (one architecture and seed, a series' training sets) in one process.

    Every model starts from the same initial weights (seeded by architecture and seed) and shuffles with the
    same seed, as a model trained alone does; the group trains as one stacked network (perturbstudy.grouped),
    each model drawing its dropout masks from where the global RNG stands after the initialisation.
    """
    import copy

    import pandas as pd
    import torch

    from ..artifacts import write_csv
    from ..checkpoints import save_model
    from ..checks import ensure_writable
    from ..data import load_splits
    from ..errors import ConfigError
    from ..grouped import train_group
    from ..models import build_model
    from ..perturbation.trainsets import training_pool
    from ..runtime import configure, derive_seed
    from ..train import TrainSettings

    members = [m["step"] for m in job.params["members"]]
    out, resume = job.output, job.params.get("resume")
    first = members[0]
    arch, seed = first["arch"], int(first["seed"])
    if any((m["arch"], m["seed"], m["model"], m["train"]) != (arch, seed, first["model"], first["train"])
           for m in members):
        raise ConfigError("a training group mixes architectures, seeds or settings; build groups with "
                          "perturbation.grid.training_groups")
    ensure_writable(*out.models, *out.histories)  # before hours of training, not after
    device = configure(job.threads)
    splits = load_splits(job.input.splits)
    trainsets = job.input.get("trainsets") or [None] * len(members)
    pools = [training_pool(splits, path) for path in trainsets]
    settings = TrainSettings.from_dict(first["train"])
    model_kwargs = dict(first["model"])
    torch.manual_seed(derive_seed("init", arch, seed))
    c, h, classes = pools[0].images.shape[1], pools[0].images.shape[2], len(splits.class_names)
    initial = build_model(arch, c, classes, h, **model_kwargs)
    models = [copy.deepcopy(initial) for _ in members]
    shuffle_seed = derive_seed("shuffle", arch, seed)
    desc = f"{arch} {first['tag'].split('/')[0]} seed{seed}"
    start = time.perf_counter()
    results = train_group(models, pools, splits.val, settings, [shuffle_seed] * len(models), device=device,
                          desc=f"{desc} ({len(models)} model{'s' * (len(models) > 1)})", resume_path=resume)
    seconds = time.perf_counter() - start
    for i, (member, model, pool, result) in enumerate(zip(members, models, pools, results, strict=True)):
        model.load_state_dict(result.state_dict)
        print(f"{arch} {member['tag']} seed {seed}: {result.epochs_run} epochs, best epoch {result.best_epoch}, "
              f"val acc {result.best_val_acc:.4f}", flush=True)
        write_csv(out.histories[i], pd.DataFrame(result.history))
        save_model(out.models[i], model.cpu(), arch, c, classes, h, model_kwargs,
                   extra={"best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
                          "best_val_acc": result.best_val_acc, "seed": seed, "train_size": len(pool)})
    print(f"{desc}: {len(members)} model(s) trained in {seconds:.1f} s", flush=True)
    if resume is not None:
        Path(resume).unlink(missing_ok=True)
