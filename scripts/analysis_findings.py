"""Rule analysis_findings: findings.md and the paper's p-value consistency table."""
from perturbstudy.smk import run_step
from perturbstudy.steps.analysis import analysis_findings

run_step(snakemake, analysis_findings)  # noqa: F821
