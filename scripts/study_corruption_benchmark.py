"""Rule study_corruption_benchmark: one MNIST-C corruption at every severity on the study's test split."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import study_corruption_benchmark

run_step(snakemake, study_corruption_benchmark)  # noqa: F821
