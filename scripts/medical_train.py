"""Rule medical_train: one CNN, one method, one seed."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_train

run_step(snakemake, medical_train)  # noqa: F821
