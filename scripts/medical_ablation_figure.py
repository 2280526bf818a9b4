"""Rule medical_ablation_figure: the ablation figure."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_ablation_figure

run_step(snakemake, medical_ablation_figure)  # noqa: F821
