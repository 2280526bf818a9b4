"""Rule benchmark_fgsm: the equal-L2 FGSM benchmark of the test split against the clean source model."""
from perturbstudy.pipeline import build_fgsm_benchmark
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    build_fgsm_benchmark(smk.config, smk.wildcards.arch, smk.input.model, smk.input.splits, smk.output.bench,
                         smk.output.summary, threads=smk.threads)
