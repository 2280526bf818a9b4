"""Rule trainset_directions: directions and exact scales of one series for one architecture."""
from perturbstudy.smk import logged
from perturbstudy.trainsets import make_directions

smk = snakemake  # noqa: F821
with logged(smk):
    make_directions(smk.config, smk.wildcards.arch, smk.wildcards.series, smk.input.splits, smk.output[0],
                    model_path=smk.input.model[0] if smk.input.model else None, threads=smk.threads)
