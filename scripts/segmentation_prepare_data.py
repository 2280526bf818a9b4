"""Rule segmentation_prepare_data: the segmentation data split into train / val / test."""
from perturbstudy.smk import run_step
from perturbstudy.steps.segmentation import segmentation_prepare_data

run_step(snakemake, segmentation_prepare_data)  # noqa: F821
