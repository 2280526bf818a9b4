"""The evaluate_* rules: every accuracy of the models of one training group and seed."""
from perturbstudy.smk import run_step
from perturbstudy.steps.evaluate import evaluate

run_step(snakemake, evaluate)  # noqa: F821
