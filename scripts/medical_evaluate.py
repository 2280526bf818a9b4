"""Rule medical_evaluate: clean and attacked test metrics and confusion matrices of one model."""
from perturbstudy.medical.pipeline import evaluate_medical
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    evaluate_medical(smk.config, smk.wildcards.arch, smk.wildcards.method, int(smk.wildcards.seed), smk.input.model,
                     smk.input.splits, smk.output.metrics, smk.output.confusion, threads=smk.threads)
