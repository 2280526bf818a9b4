"""Rule corruption_figure: accuracy vs severity per corruption family."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import corruption_figure

run_step(snakemake, corruption_figure)  # noqa: F821
