# Helpers shared by every rule file: config validation, the model grid, and path builders.
import sys

from perturbstudy.config import validate_config
from perturbstudy.design import model_grid
from perturbstudy.errors import ConfigError

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


wildcard_constraints:
    arch="[a-z0-9]+",
    series="[a-z0-9_]+",
    setid="[A-Za-z0-9_.-]+",
    seed="[0-9]+",


def model_dir(arch, series, setid, seed):
    return f"{OUT}/models/{arch}/{series}/{setid}/seed{seed}"


def all_models():
    return [f"{model_dir(m.arch, m.series, m.setid, m.seed)}/model.pt" for m in GRID]


def all_clean_evaluations():
    return [
        f"{OUT}/eval/{m.arch}/{m.series}/{m.setid}/seed{m.seed}/clean.csv" for m in GRID
    ]


def all_targets():
    return [f"{OUT}/data/splits.json", *all_models(), *all_clean_evaluations()]
