"""Rule benchmark_fgsm: the equal-L2 FGSM benchmark of one architecture."""
from perturbstudy.smk import run_step
from perturbstudy.steps.benchmarks import benchmark_fgsm

run_step(snakemake, benchmark_fgsm)  # noqa: F821
