"""Rule medical_evaluate: clean and attacked metrics of one model."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_evaluate

run_step(snakemake, medical_evaluate)  # noqa: F821
