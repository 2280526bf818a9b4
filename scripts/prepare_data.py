"""Rule prepare_data: the deterministic stratified splits."""
from perturbstudy.smk import run_step
from perturbstudy.steps.data import prepare_data

run_step(snakemake, prepare_data)  # noqa: F821
