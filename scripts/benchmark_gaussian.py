"""Rule benchmark_gaussian: the equal-L2 Gaussian-noise benchmark."""
from perturbstudy.smk import run_step
from perturbstudy.steps.benchmarks import benchmark_gaussian

run_step(snakemake, benchmark_gaussian)  # noqa: F821
