"""Rule corruption_tables: clean, adversarial and corruption accuracy side by side."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import corruption_tables

run_step(snakemake, corruption_tables)  # noqa: F821
