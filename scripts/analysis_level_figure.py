"""Rule analysis_level_figure: accuracy against benchmark level for chosen models."""
from perturbstudy.smk import run_step
from perturbstudy.steps.analysis import analysis_level_figure

run_step(snakemake, analysis_level_figure)  # noqa: F821
