"""Rule study_corruption_evaluate: every model of one seed on every corruption and severity."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import study_corruption_evaluate

run_step(snakemake, study_corruption_evaluate)  # noqa: F821
