"""Rule medical_ablation_figure: GAcc and RAcc of AT, D-A, D-B and DPAAT (Fig. 3 analogue)."""
from perturbstudy.medical.tables import ablation_figure
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    ablation_figure(smk.input.ablation, smk.output[0])
