"""Rule medical_ablation_train: one ablation run (medical.ablation), one CNN, one method, one seed."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_ablation_train

run_step(snakemake, medical_ablation_train)  # noqa: F821
