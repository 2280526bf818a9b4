"""Rule study_corruption_figure: mCA vs training-set level."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import study_corruption_figure

run_step(snakemake, study_corruption_figure)  # noqa: F821
