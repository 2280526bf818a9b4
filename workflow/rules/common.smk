# Shared by every .smk file: config validation, the model grid, and the named functions (get_*) that give
# rules their conditional inputs, their `step` params (the exact config subset a step reads:
# perturbstudy.contract) and their `code` params (hash of the modules the step imports).
from perturbstudy.config import validate_or_exit

validate_or_exit(config)  # first: a bad config stops before the heavier imports below

from perturbstudy.codeversion import step_function_version
from perturbstudy.contract import STEP_MODULE, group_step_params, step_params
from perturbstudy.perturbation.grid import model_grid, training_groups
from perturbstudy.perturbation.series import SPECS
from perturbstudy.segmentation.variants import SIGN_VARIANTS as SEGMENTATION_SIGN_VARIANTS

STUDY = config["study"]
OUT = f"results/{STUDY}"
THREADS = config["threads"]
# FGSM directions and the FGSM benchmark come from the clean model of the FIRST configured seed.
SOURCE_SEED = config["seeds"][0]
GRID = model_grid(list(config["architectures"]), config.get("series"), config["seeds"])
# One training-set job per group, one training and one evaluation job per group and seed
# (perturbation.grid.training_groups); each set and model keeps its own files at these paths.
GROUPS = training_groups(config["architectures"], config.get("series"))
TRAINSET = f"{OUT}/trainsets/{{arch}}/{{series}}/{{setid}}.pt"
TRAINSET_SUMMARY = f"{OUT}/trainsets/{{arch}}/{{series}}/{{setid}}.json"
MODEL = f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/model.pt"
HISTORY = f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/history.csv"
EVAL_CSV = f"{OUT}/eval/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.csv"
EVAL_FLAGS = f"{OUT}/eval/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.flags.json"


def get_step_params(rule):
    """The `step` param of a rule: a function of the job's wildcards (perturbstudy.contract)."""
    return lambda wildcards: step_params(rule, config, wildcards)


def get_code(rule):
    """The `code` param of a rule: the hash of its step function and the package modules it imports."""
    return step_function_version(f"perturbstudy.steps.{STEP_MODULE[rule]}", rule)


def _model(arch, series, setid, seed):
    return expand(MODEL, arch=arch, series=series, setid=setid, seed=seed)


def group_paths(template, group):
    """One path per training set of a group, with the job's {seed} wildcard left in."""
    return [template.format(arch=group.arch, series=group.series, setid=setid, seed="{seed}")
            for setid in group.setids]


def get_group_params(member_rule, group):
    """The `step` param of a group job: every member's own step params (perturbstudy.contract); a member is a model
    (with the job's {seed} wildcard) or, for training sets, a set."""
    return lambda wildcards: group_step_params(
        member_rule, config, [{"arch": group.arch, "series": group.series, "setid": setid, **dict(wildcards)}
                              for setid in group.setids])


def get_group_trainsets(group):
    """The stored training sets of a group's models, in member order; nothing for the clean split."""
    if group.series == "clean":
        return []
    return getattr(rules, f"trainset_{group.name}").output.trainsets


def get_group_directions(group):
    """The series' directions artifact; nothing for series without added images (RQ3, RQ4)."""
    if not SPECS[group.series].image_factors:
        return []
    return expand(rules.trainset_directions.output.directions, arch=group.arch, series=group.series)


def get_source_model(wildcards):
    """The clean source model of the architecture, for series with FGSM directions; nothing otherwise."""
    if not SPECS[wildcards.series].needs_source_model:
        return []
    return _model(wildcards.arch, "clean", "base", SOURCE_SEED)


def get_fgsm_source(wildcards):
    """The clean source model of the FGSM benchmark of an architecture."""
    return _model(wildcards.arch, "clean", "base", SOURCE_SEED)[0]


def get_resume(template):
    """Where an interrupted training job keeps its checkpoint (deleted when the job ends)."""
    return lambda wildcards: template.format(**wildcards)


def all_models():
    return [expand(MODEL, **m._asdict())[0] for m in GRID]


def all_evaluations():
    """Per model: the tidy evaluation CSV and its sanity flags (the evaluate_* rules)."""
    return [f for m in GRID for f in expand([EVAL_CSV, EVAL_FLAGS], **m._asdict())]


def all_targets():
    return [rules.prepare_data.output.summary, *all_models(), *all_evaluations()]


# Adversarial-training runs (medical.smk): none without a `medical:` section.
from perturbstudy.robust_training.settings import SOURCE_METHODS, ablation_runs, medical_runs

MED = config.get("medical") or {}
MOUT = f"{OUT}/medical"
MED_RUNS = medical_runs(MED, config["seeds"])
MED_ABLATION_RUNS = ablation_runs(MED, config["seeds"])  # medical.ablation's own runs: none without it
FIRST_SEED = config["seeds"][0]


def ablation_paths(files):
    """A main medical rule's output paths (medical_train, medical_evaluate) for the ablation runs: the same files
    under {MOUT}/ablation/ (e.g. {MOUT}/ablation/models/{arch}/{method}/seed{seed}/model.pt)."""
    return {name: str(path).replace(f"{MOUT}/", f"{MOUT}/ablation/", 1) for name, path in files.items()}


def medical_targets():
    """Every final output of the medical runs (used by rule all and the provenance summary)."""
    if not MED:
        return []
    archs, methods = list(MED["architectures"]), MED.get("methods", [])
    targets = [rules.medical_prepare_data.output.summary, *rules.medical_tables.output,
               *expand(rules.medical_confusion_figure.output[0], arch=archs)]
    if MED_ABLATION_RUNS:
        targets += [*rules.medical_ablation_table.output, *rules.medical_ablation_figure.output]
    if any(m in methods for m in MED.get("gradcam", {}).get("methods", [])):
        targets += expand(rules.medical_gradcam.output[0], arch=archs)
    return targets


def get_medical_train_inputs(wildcards):
    """The splits, and for Pervin et al.'s augmentation (fgsm_aug, invfgsm_aug) the STD model of the same CNN and
    seed that makes the copies."""
    inputs = {"splits": rules.medical_prepare_data.output.splits}
    if wildcards.method in SOURCE_METHODS:
        inputs["source"] = expand(rules.medical_train.output.model, arch=wildcards.arch, method="std",
                                  seed=wildcards.seed)[0]
    return inputs


def get_medical_confusions(wildcards):
    """The confusion matrices of every method of one CNN (first seed)."""
    return expand(rules.medical_evaluate.output.confusion, arch=wildcards.arch, method=MED.get("methods", []),
                  seed=FIRST_SEED)


def get_gradcam_models(wildcards):
    """The first-seed models of one CNN for the Grad-CAM methods, in the order of the rule's step params."""
    methods = step_params("medical_gradcam", config, wildcards)["methods"]
    return expand(rules.medical_train.output.model, arch=wildcards.arch, method=methods, seed=FIRST_SEED)


# The medical runs under distribution shift (corruptions.smk): none without `medical.corruptions`.
from perturbstudy.robust_training.settings import medical_corruptions

MED_CORRUPTIONS = medical_corruptions(MED)  # one benchmark file (and job) per corruption


def medical_run_files(template):
    """`template` (a medical rule's output) for every main medical run (CNN, method, seed), in MED_RUNS order."""
    return [expand(template, arch=a, method=m, seed=s)[0] for a, m, s in MED_RUNS]


def corruption_targets():
    """Every final output of the corruption benchmark and the RTDA claim (used by rule all and the provenance
    summary)."""
    if not MED_CORRUPTIONS:
        return []
    return [*expand(rules.corruption_benchmark.output.summary, corruption=MED_CORRUPTIONS),
            *rules.corruption_tables.output, *rules.corruption_figure.output, *rules.rtda_claims.output]


# The MNIST study's models under MNIST-C (corruptions.smk): none without a top-level `corruptions:` section.
from perturbstudy.robust_training.settings import section_corruptions

STUDY_CORRUPTIONS = section_corruptions(config.get("corruptions"), config["dataset"]["name"])
STUDY_COUT = f"{OUT}/corruptions"


def get_seed_models(wildcards):
    """Every model of the study for one seed, in the order of study_corruption_evaluate's step params."""
    return [expand(MODEL, **m._asdict())[0] for m in GRID if m.seed == int(wildcards.seed)]


def study_corruption_targets():
    """Every final output of the MNIST study's corruption evaluation (used by rule all and the provenance summary)."""
    if not STUDY_CORRUPTIONS:
        return []
    return [*expand(rules.study_corruption_benchmark.output.summary, corruption=STUDY_CORRUPTIONS),
            *rules.study_corruption_tables.output, *rules.study_corruption_figure.output]


# Segmentation after Pervin et al. (segmentation.smk): none without a `segmentation:` section.
SEG = config.get("segmentation") or {}
SOUT = f"{OUT}/segmentation"
SEG_FIRST_SEED = FIRST_SEED


def segmentation_runs(template):
    """`template` for every (variant, seed) of the segmentation comparison."""
    return expand(template, variant=SEG.get("variants", []), seed=config["seeds"])


def get_segmentation_train_inputs(wildcards):
    """The splits, and for FGSM / inverse FGSM the model trained without augmentation (same seed) that makes
    the copies."""
    inputs = {"splits": rules.segmentation_prepare_data.output.splits}
    if wildcards.variant in SEGMENTATION_SIGN_VARIANTS:
        inputs["source"] = expand(rules.segmentation_train.output.model, variant="none", seed=wildcards.seed)[0]
    return inputs


def segmentation_targets():
    """Every final output of the segmentation comparison (used by rule all and the provenance summary)."""
    if not SEG:
        return []
    targets = [rules.segmentation_prepare_data.output.summary, *rules.segmentation_tables.output]
    if {"none", "inverse_fgsm"} <= set(SEG.get("variants", [])):
        targets += rules.segmentation_figure.output
    return targets
