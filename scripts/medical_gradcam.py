"""Rule medical_gradcam: Grad-CAM grid of one CNN."""
from perturbstudy.smk import run_step
from perturbstudy.steps.medical import medical_gradcam

run_step(snakemake, medical_gradcam)  # noqa: F821
