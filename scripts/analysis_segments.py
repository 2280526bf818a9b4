"""Rule analysis_segments: the FGSM series split at its FGSM-benchmark peak."""
from perturbstudy.smk import run_step
from perturbstudy.steps.analysis import analysis_segments

run_step(snakemake, analysis_segments)  # noqa: F821
