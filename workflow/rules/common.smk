# Helpers shared by the rule files (config validation, the model grid, path builders).
from perturbstudy.config import validate_or_exit

validate_or_exit(config)  # first: a bad config stops before the heavier imports below

from perturbstudy.design import model_grid
from perturbstudy.provenance import canonical_params, code_hash  # canonical_params: dict params in a fixed key order (README, Reliability)

STUDY = config["study"]
OUT = f"results/{STUDY}"
THREADS = config["threads"]
GRID = model_grid(config)
# Hash of the package source (src/perturbstudy/**/*.py): every rule's `code` param, so a library change re-runs it.
CODE_VERSION = code_hash()


def model_dir(arch, series, setid, seed):
    return f"{OUT}/models/{arch}/{series}/{setid}/seed{seed}"


def all_models():
    return [f"{model_dir(m.arch, m.series, m.setid, m.seed)}/model.pt" for m in GRID]


def all_evaluations():
    """Per model: the tidy evaluation CSV and its sanity flags (rule evaluate)."""
    return [
        f"{OUT}/eval/{m.arch}/{m.series}/{m.setid}/seed{m.seed}.{ext}" for m in GRID for ext in ("csv", "flags.json")
    ]


def all_targets():
    return [f"{OUT}/data/splits.json", *all_models(), *all_evaluations()]


def trainset_input(wildcards):
    """The stored perturbed training set, or nothing for the clean split."""
    if wildcards.series == "clean":
        return []
    return f"{OUT}/trainsets/{wildcards.arch}/{wildcards.series}/{wildcards.setid}.pt"
