"""Rule medical_tables: Table I / II analogues."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_tables

run_step(snakemake, medical_tables)  # noqa: F821
