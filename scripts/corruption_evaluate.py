"""Rule corruption_evaluate: one medical model on every corruption and severity."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import corruption_evaluate

run_step(snakemake, corruption_evaluate)  # noqa: F821
