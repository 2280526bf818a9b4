"""Rule study_corruption_tables: clean accuracy, mCA, mCE and relative mCE per training set."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import study_corruption_tables

run_step(snakemake, study_corruption_tables)  # noqa: F821
