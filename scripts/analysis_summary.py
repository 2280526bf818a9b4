"""Rule analysis_summary: evaluation CSVs -> per-model summary and benchmark curves."""
from perturbstudy.smk import run_step
from perturbstudy.steps.analysis import analysis_summary

run_step(snakemake, analysis_summary)  # noqa: F821
