"""Rule medical_gradcam: Grad-CAM grid of one CNN's STD / AT / DPAAT models (Fig. 4 analogue)."""
from perturbstudy.medical.pipeline import medical_gradcam
from perturbstudy.smk import logged

smk = snakemake  # noqa: F821
with logged(smk):
    medical_gradcam(smk.config, smk.wildcards.arch, dict(zip(smk.params.methods, smk.input.models, strict=True)),
                    smk.input.splits, smk.output[0], threads=smk.threads)
