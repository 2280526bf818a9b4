"""Rule benchmark_gaussian: the equal-L2 Gaussian-noise benchmark of the test split."""
from perturbstudy.pipeline import build_gaussian_benchmark
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    build_gaussian_benchmark(smk.config, smk.input.splits, smk.output.bench, smk.output.summary, threads=smk.threads)
