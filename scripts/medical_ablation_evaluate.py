"""Rule medical_ablation_evaluate: clean and attacked metrics of one ablation model."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_ablation_evaluate

run_step(snakemake, medical_ablation_evaluate)  # noqa: F821
