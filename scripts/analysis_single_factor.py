"""Rule analysis_single_factor: Spearman table and figure of one single-factor series."""
from perturbstudy.smk import run_step
from perturbstudy.steps.analysis import analysis_single_factor

run_step(snakemake, analysis_single_factor)  # noqa: F821
