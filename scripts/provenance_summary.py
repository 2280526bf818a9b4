"""Rule provenance_summary: one table of the provenance of every recorded artifact (for the report)."""
from perturbstudy.provenance import study_root, write_summary
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    write_summary(study_root(smk.config), smk.output.table)
