"""Rule segmentation_tables: Tables 1-3 analogues of Pervin et al.."""
from perturbstudy.smk import run_step
from perturbstudy.steps.segmentation import segmentation_tables

run_step(snakemake, segmentation_tables)  # noqa: F821
