"""Steps of workflow/rules/medical.smk: adversarial-training runs after Li et al. 2024 (DPAAT) and baselines."""

from __future__ import annotations

import time
from pathlib import Path

from ..smk import Job


def medical_prepare_data(job: Job) -> None:
    """The adversarial-training runs' own splits (e.g. 3 DermaMNIST classes, 800 / 299 per class): the same step
    as the study's prepare_data, on the `medical.dataset` section its params carry."""
    from .data import prepare_data

    prepare_data(job)


def medical_train(job: Job) -> None:
    """Train one CNN with one method (STD, AT, SAT, AMAT, DPAAT, D-A, D-B) and one seed, after the head warm-up
    when `head_warmup_epochs` is set (pretrained CNNs, the paper's FC warm-up)."""
    import pandas as pd
    import torch

    from ..artifacts import write_csv
    from ..checkpoints import load_model, save_model
    from ..checks import ensure_writable
    from ..data import load_splits
    from ..models import build_model
    from ..robust_training.methods import METHOD_LABELS, build_strategy
    from ..runtime import configure, derive_seed
    from ..train import TrainSettings, train_with_head_warmup, warmup_checkpoint

    p, out = job.params, job.output
    arch, method, seed, resume = p["arch"], p["method"], int(p["seed"]), p.get("resume")
    ensure_writable(out.model, out.history)  # before training, not after
    device = configure(job.threads)
    splits = load_splits(job.input.splits)
    settings = TrainSettings.from_dict(p["train"])
    model_kwargs = dict(p["model"])
    warmup = int(p.get("head_warmup_epochs", 0))
    torch.manual_seed(derive_seed("init", arch, seed))  # same initial weights for every method
    c, h = splits.train.images.shape[1], splits.train.images.shape[2]
    model = build_model(arch, c, len(splits.class_names), h, **model_kwargs)
    source = load_model(job.input.source, arch, device) if "source" in job.input.keys() else None  # fgsm_aug
    strategy = build_strategy(method, p["training"], len(splits.train), seed=derive_seed("adversary", arch, seed),
                              source=source, dataset=p.get("dataset"))  # dataset: the medmnistc policy's corruptions
    start = time.perf_counter()
    result = train_with_head_warmup(model, splits.train, splits.val, settings, seed=derive_seed("shuffle", arch, seed),
                                    warmup_epochs=warmup, device=device, strategy=strategy, resume_path=resume,
                                    desc=f"{arch} {METHOD_LABELS[method]} seed{seed}")
    model.load_state_dict(result.state_dict)
    print(f"{arch} {METHOD_LABELS[method]} seed {seed}: {result.epochs_run} epochs, best epoch {result.best_epoch}, "
          f"val acc {result.best_val_acc:.4f}, {time.perf_counter() - start:.1f} s", flush=True)
    history = pd.DataFrame(result.history)
    stats = getattr(strategy, "epoch_stats", [])
    if stats:
        history = history.merge(pd.DataFrame(stats), on="epoch", how="left")
    write_csv(out.history, history)
    # the pretrained weights are in the state dict now: rebuilding the model (evaluation) needs no download or file
    pretrained = {"weights": model_kwargs.pop("weights")} if model_kwargs.get("weights") else {}
    save_model(out.model, model.cpu(), arch, c, len(splits.class_names), h, model_kwargs,
               extra={"method": method, "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
                      "best_val_acc": result.best_val_acc, "seed": seed, "train_size": len(splits.train),
                      **pretrained, **({"head_warmup_epochs": warmup} if warmup else {})})
    if resume is not None:
        for path in (Path(resume), warmup_checkpoint(resume)):
            path.unlink(missing_ok=True)


def medical_evaluate(job: Job) -> None:
    """Clean and attacked test metrics (GAcc/RAcc, mAP/mARP, P/R/F1), confusion matrices and each test image's
    prediction per test set (for the paired method comparisons) of one model."""
    import pandas as pd

    from ..artifacts import write_csv
    from ..checkpoints import load_model
    from ..data import load_splits
    from ..robust_training.comparisons import predictions_frame
    from ..robust_training.methods import METHOD_LABELS
    from ..robust_training.suite import evaluate_suite
    from ..runtime import configure

    p = job.params
    device = configure(job.threads)
    model = load_model(job.input.model, p["arch"], device)
    splits = load_splits(job.input.splits)
    k = len(splits.class_names)
    rows, matrices, predictions = evaluate_suite(model, splits.test.images, splits.test.labels, p["attacks"], k,
                                                 p["eval_batch_size"])
    labels = {"architecture": p["arch"], "method": METHOD_LABELS[p["method"]], "seed": int(p["seed"])}
    write_csv(job.output.metrics, pd.DataFrame([{**labels, **r} for r in rows]))
    tidy = [{**labels, "testset": name, "true": splits.class_names[i], "predicted": splits.class_names[j],
             "count": int(m[i, j])} for name, m in matrices.items() for i in range(k) for j in range(k)]
    write_csv(job.output.confusion, pd.DataFrame(tidy))
    write_csv(job.output.predictions, predictions_frame(labels, splits.test.labels.numpy(), predictions))


def medical_tables(job: Job) -> None:
    """Table I / Table II analogues (seed means, t-intervals across seeds, CNN-group rows) and the paired tests of
    DPAAT against each baseline on the same test images (comparisons.csv / comparisons.md)."""
    from ..perturbation.analysis.tables import Settings
    from ..robust_training.comparisons import write_comparisons
    from ..robust_training.tables import write_tables

    p, out = job.params, job.output
    stats = Settings.from_params(p.get("stats") or {})
    write_tables(list(job.input.metrics), p["attacks"], p["table2_attack"], p["archs"], p["methods"],
                 dict(out.items()), stats.confidence)
    write_comparisons(list(job.input.predictions), p["attacks"], p["archs"], p["methods"], out.comparisons_csv,
                      out.comparisons_md, stats.confidence, stats.alpha)


def medical_ablation_train(job: Job) -> None:
    """One ablation run (`medical.ablation`): the medical_train step; its rule's params carry the ablation's
    training settings and its outputs lie under medical/ablation/."""
    medical_train(job)


def medical_ablation_evaluate(job: Job) -> None:
    """The medical_evaluate step on one ablation model."""
    medical_evaluate(job)


def medical_ablation_table(job: Job) -> None:
    """The ablation table from the ablation runs: GAcc and RAcc under `medical.table2_attack` per CNN and method."""
    from ..robust_training.tables import write_ablation_table

    p = job.params
    write_ablation_table(list(job.input.metrics), p["attack"], p["archs"], p["methods"], dict(job.output.items()),
                         p["stats"].get("confidence", 0.95))


def medical_ablation_figure(job: Job) -> None:
    """GAcc and RAcc of the ablation methods per CNN (Fig. 3 analogue), from the ablation table."""
    from ..robust_training.tables import ablation_figure

    ablation_figure(job.input.ablation, job.output[0])


def medical_confusion_figure(job: Job) -> None:
    """Clean and attacked confusion matrices of one CNN (Fig. 2 analogue)."""
    from ..robust_training.tables import confusion_figure

    confusion_figure(list(job.input.confusion), job.params["attack"], job.params["arch"], job.output[0])


def medical_gradcam(job: Job) -> None:
    """Fig. 4 analogue: Grad-CAM of each method's model on test images every one of them predicts correctly."""
    import torch

    from ..artifacts import atomic_path
    from ..checkpoints import load_model
    from ..data import load_splits
    from ..robust_training.gradcam import gradcam_figure, gradcam_maps, pick_images
    from ..robust_training.methods import METHOD_LABELS
    from ..robust_training.suite import probabilities
    from ..runtime import configure

    p = job.params
    device = configure(job.threads)
    splits = load_splits(job.input.splits)
    x, y = splits.test.images, splits.test.labels
    models = {METHOD_LABELS[m]: load_model(path, p["arch"], device)
              for m, path in zip(p["methods"], job.input.models, strict=True)}
    correct = torch.ones_like(y, dtype=torch.bool)
    for model in models.values():
        correct &= probabilities(model, x, p["eval_batch_size"]).argmax(1) == y
    chosen = pick_images(y, correct, p["per_class"], len(splits.class_names))
    maps = {name: gradcam_maps(model, x[chosen], y[chosen]) for name, model in models.items()}
    fig = gradcam_figure(x[chosen], y[chosen], maps, splits.class_names,
                         f"Grad-CAM, {p['arch']}: {int(correct.sum())} test images correct for all of "
                         f"{', '.join(models)}")
    with atomic_path(job.output[0]) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
