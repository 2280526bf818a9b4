"""Rule analysis_orthogonal: RQ6 multiple correlation, slopes, main effects, ANOVA."""
from perturbstudy.smk import run_step
from perturbstudy.steps.analysis import analysis_orthogonal

run_step(snakemake, analysis_orthogonal)  # noqa: F821
