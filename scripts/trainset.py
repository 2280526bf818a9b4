"""Rule trainset: one perturbed training set and its summary."""
from perturbstudy.smk import run_step
from perturbstudy.steps.trainsets import trainset

run_step(snakemake, trainset)  # noqa: F821
