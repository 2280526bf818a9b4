"""Rule corruption_benchmark: one corruption of the suite at every severity on the medical test split."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import corruption_benchmark

run_step(snakemake, corruption_benchmark)  # noqa: F821
