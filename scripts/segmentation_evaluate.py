"""Rule segmentation_evaluate: mean IoU by checkpoint epoch and by perturbation eps of one UNet."""
from perturbstudy.smk import run_step
from perturbstudy.steps.segmentation import segmentation_evaluate

run_step(snakemake, segmentation_evaluate)  # noqa: F821
