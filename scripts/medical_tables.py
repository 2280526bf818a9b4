"""Rule medical_tables: Table I / Table II analogues and the ablation table."""
from perturbstudy.medical.tables import write_tables
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    write_tables(list(smk.input.metrics), smk.params.attacks, smk.params.table2_attack, smk.params.archs,
                 smk.params.methods, dict(smk.output.items()), smk.params.ablation_methods, smk.params.ablation_archs)
