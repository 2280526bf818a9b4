# perturbstudy: how perturbations in training data change the robustness of CNNs.
# Entry point: config, schema validation (before any job), rule files, and the final targets.
from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"

# The config comes from --configfile; profiles/default names config/config.yaml, so a plain
# `snakemake` runs the default study and `--configfile X` replaces it (never merges).


wildcard_constraints:
    arch="[a-z0-9]+",
    series="[a-z0-9_]+",
    setid="[A-Za-z0-9_.-]+",
    seed="[0-9]+",


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/trainsets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/benchmarks.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/medical.smk"
include: "workflow/rules/corruptions.smk"
include: "workflow/rules/segmentation.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        all_targets(),
        analysis_targets(),
        medical_targets(),
        corruption_targets(),
        study_corruption_targets(),
        segmentation_targets(),
        PROVENANCE_SUMMARY,
    default_target: True
