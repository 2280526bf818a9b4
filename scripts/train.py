"""Rule train: one model on one training set with one seed."""
from perturbstudy.smk import run_step
from perturbstudy.steps.train import train

run_step(snakemake, train)  # noqa: F821
