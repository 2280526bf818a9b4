"""Rule analysis_single_factor: Spearman table and accuracy figure of one single-factor series."""
from perturbstudy.analysis.run import run_single_factor, stem
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    run_single_factor(smk.input.summary, smk.wildcards.series, smk.config, stem(smk.output.csv), stem(smk.output.png))
