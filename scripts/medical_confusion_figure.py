"""Rule medical_confusion_figure: confusion matrices of one CNN."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_confusion_figure

run_step(snakemake, medical_confusion_figure)  # noqa: F821
