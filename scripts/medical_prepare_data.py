"""Rule medical_prepare_data: the adversarial-training runs' splits."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_prepare_data

run_step(snakemake, medical_prepare_data)  # noqa: F821
