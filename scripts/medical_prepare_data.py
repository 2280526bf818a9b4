"""Rule medical_prepare_data: the medical runs' own splits."""
from perturbstudy.medical.pipeline import prepare_medical_data
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    prepare_medical_data(smk.config, smk.output.splits, smk.output.summary)
