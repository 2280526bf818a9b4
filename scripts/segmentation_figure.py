"""Rule segmentation_figure: Figs. 3-4 analogue of Pervin et al.."""
from perturbstudy.smk import run_step
from perturbstudy.steps.segmentation import segmentation_figure

run_step(snakemake, segmentation_figure)  # noqa: F821
