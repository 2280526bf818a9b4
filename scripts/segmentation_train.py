"""Rule segmentation_train: one UNet, one augmentation variant, one seed."""
from perturbstudy.smk import run_step
from perturbstudy.steps.segmentation import segmentation_train

run_step(snakemake, segmentation_train)  # noqa: F821
