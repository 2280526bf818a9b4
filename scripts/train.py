"""The train_* rules: the models of one training group and seed, trained together."""
from perturbstudy.smk import run_step
from perturbstudy.steps.train import train

run_step(snakemake, train)  # noqa: F821
