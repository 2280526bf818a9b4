"""Rule evaluate: every accuracy of one model and its sanity flags."""
from perturbstudy.pipeline import evaluate
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    wc = smk.wildcards
    evaluate(smk.config, wc.arch, wc.series, wc.setid, int(wc.seed), smk.input.model, smk.input.splits,
             smk.input.gaussian, smk.input.fgsm, smk.output.csv, smk.output.flags,
             trainset_path=smk.input.trainset or None, threads=smk.threads)
