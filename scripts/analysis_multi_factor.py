"""Rules analysis_dual / analysis_orthogonal: multiple correlation (Tables 6, 7), heatmaps, main effects."""
from perturbstudy.analysis.run import output_stems, run_multi_factor
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    run_multi_factor(smk.input.summary, smk.params.series, smk.config, output_stems(dict(smk.output.items())))
