"""Rule trainset: build one perturbed training set and its JSON summary."""
from perturbstudy.smk import logged
from perturbstudy.trainsets import make_trainset

smk = snakemake  # noqa: F821
with logged(smk):
    make_trainset(smk.config, smk.wildcards.arch, smk.wildcards.series, smk.wildcards.setid, smk.input.splits,
                  smk.output.trainset, smk.output.summary,
                  directions_path=smk.input.directions[0] if smk.input.directions else None)
