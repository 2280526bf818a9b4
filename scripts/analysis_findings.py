"""Rule analysis_findings: findings.md and the paper's p-value consistency table."""
from perturbstudy.analysis.run import run_findings, stem
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    run_findings(smk.input.summary, smk.config, smk.output.findings, stem(smk.output.csv))
