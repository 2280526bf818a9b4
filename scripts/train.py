"""Rule train: train one model on one training set with one seed."""
from perturbstudy.pipeline import train
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    train(smk.config, smk.wildcards.arch, int(smk.wildcards.seed), smk.input.splits,
          smk.output.model, smk.output.history, trainset_path=smk.input.trainset or None,
          threads=smk.threads, resume_path=smk.params.resume,
          tag=f"{smk.wildcards.series}/{smk.wildcards.setid}")
