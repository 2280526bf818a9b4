"""Rule medical_ablation_table: the ablation table from the ablation runs."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_ablation_table

run_step(snakemake, medical_ablation_table)  # noqa: F821
