"""Rule provenance_summary: the provenance table of the study."""
from perturbstudy.smk import run_step
from perturbstudy.steps.report import provenance_summary

run_step(snakemake, provenance_summary)  # noqa: F821
