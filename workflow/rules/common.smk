# Helpers shared by every rule file: config validation, the model grid, and path builders.
import sys

from perturbstudy.config import validate_config
from perturbstudy.design import model_grid
from perturbstudy.errors import ConfigError
from perturbstudy.provenance import code_hash

if not config:
    sys.exit("perturbstudy: no configuration; pass --configfile config/config.yaml (or use the default profile)")
try:
    validate_config(config)
except ConfigError as error:
    sys.exit(f"perturbstudy: {error}")

STUDY = config["study"]
OUT = f"results/{STUDY}"
THREADS = config["threads"]
GRID = model_grid(config)
# Hash of the package source (src/perturbstudy/**/*.py): every rule's `code` param, so a library change re-runs it.
CODE_VERSION = code_hash()


wildcard_constraints:
    arch="[a-z0-9]+",
    series="[a-z0-9_]+",
    setid="[A-Za-z0-9_.-]+",
    seed="[0-9]+",


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
