"""Rule medical_train: one CNN, one training method, one seed."""
from perturbstudy.medical.pipeline import train_medical
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    train_medical(smk.config, smk.wildcards.arch, smk.wildcards.method, int(smk.wildcards.seed), smk.input.splits,
                  smk.output.model, smk.output.history, threads=smk.threads, resume_path=smk.params.resume)
