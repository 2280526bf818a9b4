"""Rule evaluate_clean: clean accuracy of one model on every split."""
from perturbstudy.pipeline import evaluate_clean
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    evaluate_clean(smk.wildcards.arch, smk.input.model, smk.input.splits, smk.output[0],
                   labels={"model": "/".join(smk.wildcards[k] for k in ("arch", "series", "setid")),
                           "architecture": smk.wildcards.arch, "series": smk.wildcards.series,
                           "set": smk.wildcards.setid, "seed": int(smk.wildcards.seed)},
                   threads=smk.threads)
