"""Rule analysis_summary: evaluation CSVs -> per-model summary and per-level benchmark curves."""
from perturbstudy.analysis.run import run_summary
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    run_summary(smk.input.evals, smk.output.summary, smk.output.levels)
