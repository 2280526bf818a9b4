"""Rule medical_confusion_figure: clean and attacked confusion matrices of one CNN (Fig. 2 analogue)."""
from perturbstudy.medical.tables import confusion_figure
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    confusion_figure(list(smk.input.confusion), smk.params.attack, smk.wildcards.arch, smk.output[0])
