"""Rule evaluate: every accuracy of one model and its sanity flags."""
from perturbstudy.smk import run_step
from perturbstudy.steps.evaluate import evaluate

run_step(snakemake, evaluate)  # noqa: F821
