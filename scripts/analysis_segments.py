"""Rule analysis_segments: the FGSM series split at its FGSM-benchmark peak (Table 3 analogue)."""
from perturbstudy.analysis.run import run_segments, stem
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    run_segments(smk.input.summary, smk.wildcards.series, smk.config, stem(smk.output.csv))
