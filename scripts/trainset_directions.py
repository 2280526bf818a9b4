"""Rule trainset_directions: directions of one series for one architecture."""
from perturbstudy.smk import run_step
from perturbstudy.steps.trainsets import trainset_directions

run_step(snakemake, trainset_directions)  # noqa: F821
