"""Rule analysis_level_figure: accuracy against benchmark level for chosen models."""
from perturbstudy.analysis.run import run_level_figure, stem
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    run_level_figure(smk.input.summary, smk.input.levels, smk.config, stem(smk.output.png))
