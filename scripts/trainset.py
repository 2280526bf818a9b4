"""The trainset_* rules: the training sets of one training group."""
from perturbstudy.smk import run_step
from perturbstudy.steps.trainsets import trainset

run_step(snakemake, trainset)  # noqa: F821
