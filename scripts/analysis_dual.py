"""Rule analysis_dual: RQ5 multiple correlation, slopes, heatmaps."""
from perturbstudy.smk import run_step
from perturbstudy.steps.analysis import analysis_dual

run_step(snakemake, analysis_dual)  # noqa: F821
