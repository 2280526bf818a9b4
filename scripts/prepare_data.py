"""Rule prepare_data: write the deterministic splits."""
from perturbstudy.pipeline import prepare_data
from perturbstudy.smk import logged

with logged(snakemake):  # noqa: F821
    prepare_data(snakemake.config, snakemake.output.splits, snakemake.output.summary)  # noqa: F821
