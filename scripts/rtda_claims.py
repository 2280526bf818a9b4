"""Rule rtda_claims: the RTDA abstract's claim, checked with paired tests."""
from perturbstudy.smk import run_step
from perturbstudy.steps.corruptions import rtda_claims

run_step(snakemake, rtda_claims)  # noqa: F821
