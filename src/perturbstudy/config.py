"""Load and validate a study configuration against the JSON schema, naming the offending key.

Runs before any Snakemake job, so a typo costs seconds, not a training run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def load_schema(path: str | Path | None = None) -> dict[str, Any]:
    """The config schema (YAML), from the repository or an explicit path."""
    return yaml.safe_load(Path(path or SCHEMA_PATH).read_text())


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        if extra:
            parts.append(extra[0])
    if error.validator == "required":
        missing = [r for r in error.validator_value if r not in error.instance]
        if missing:
            parts.append(missing[0])
    return ".".join(parts) or "<top level>"


def _repeated(values: Any) -> list[Any]:
    out: list[Any] = []
    for i, value in enumerate(values):
        if value in values[:i] and value not in out:
            out.append(value)
    return out


# How to fix a value that breaks one JSON-schema keyword.
_FIXES = {
    "type": lambda v, inst: f"set it to a value of type {' or '.join(v) if isinstance(v, list) else v}",
    "enum": lambda v, inst: f"set it to one of {v}",
    "minimum": lambda v, inst: f"set it to a value >= {v}",
    "exclusiveMinimum": lambda v, inst: f"set it to a value > {v}",
    "maximum": lambda v, inst: f"set it to a value <= {v}",
    "exclusiveMaximum": lambda v, inst: f"set it to a value < {v}",
    "minItems": lambda v, inst: f"list at least {v} value(s)",
    "maxItems": lambda v, inst: f"list at most {v} value(s)",
    "uniqueItems": lambda v, inst: f"remove the repeated value(s) {_repeated(inst)}",
    "minProperties": lambda v, inst: f"configure at least {v} entry",
    "pattern": lambda v, inst: f"set it to a value matching {v}",
}


def _hint(error: jsonschema.ValidationError) -> str:
    schema = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        return f"remove it or fix its spelling; allowed keys here: {allowed}" if allowed else "remove it"
    if error.validator == "required":
        return "add it (see config/README.md)"
    if "propertyNames" in error.relative_schema_path:  # a key that is not one of the names allowed here
        return f"rename it to one of {schema.get('enum')}"
    description = schema.get("description")
    fix = _FIXES.get(str(error.validator))
    if fix is not None:
        about = description.strip().split(". ")[0].rstrip(".") if description else ""
        return fix(error.validator_value, error.instance) + (f" ({about})" if about else "")
    return f"expected: {description}" if description else "see config/README.md"


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local "$ref": "#/a/b" (siblings such as description are kept)."""
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    return {**_resolve(target, root), **{k: v for k, v in schema.items() if k != "$ref"}}


def _fill_defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> None:
    """Insert schema defaults for absent keys, recursively (objects only; local $refs followed)."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if not isinstance(instance, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        sub = _resolve(sub, root)
        if key not in instance and "default" in sub:
            instance[key] = yaml.safe_load(yaml.safe_dump(sub["default"]))
        if key in instance:
            _fill_defaults(instance[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(value, extra, root)


def validate_config(config: dict[str, Any], schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Validate `config` in place (defaults filled) and return it; ConfigError names the key."""
    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(list(e.absolute_path)), str(e.path)))
    if errors:
        lines = [f"  {_key_path(e)}: {e.message}; {_hint(e)}" for e in errors[:10]]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines))
    _fill_defaults(config, schema)
    check_semantics(config)
    return config


def check_semantics(config: Mapping[str, Any]) -> None:
    """Checks JSON schema cannot express: files that must exist, values that must agree."""
    from .data import REGISTRY

    datasets = [("dataset", config["dataset"])]
    if config.get("medical"):
        datasets.append(("medical.dataset", config["medical"]["dataset"]))
    for key, dataset in datasets:
        spec = REGISTRY[dataset["name"]]
        if spec.needs_root and not dataset.get("root") and not dataset.get("download"):
            raise ConfigError(
                f"{key}.root: dataset {dataset['name']!r} needs a local path ({key}.root) or "
                f"{key}.download: true; see README, Data."
            )
        root = dataset.get("root")
        if root and not dataset.get("download") and not Path(root).exists():
            raise ConfigError(
                f"{key}.root: {root} does not exist; point it at the folder (or npz file) holding "
                f"the {dataset['name']} files, or set {key}.download: true."
            )
        classes = dataset.get("classes")
        if classes is not None and len(classes) < 2:
            raise ConfigError(f"{key}.classes: keep at least two classes, or null for all")
    _check_grid(config)
    if config.get("medical"):
        from .medical.settings import check_medical

        check_medical(config["medical"])


def max_l2(dataset: Mapping[str, Any]) -> tuple[float, str]:
    """The largest L2 distance between two images of a dataset in [0, 1], sqrt(C*H*W), and the shape CxHxW."""
    from .data import REGISTRY

    channels = REGISTRY[dataset["name"]].channels
    side = int(dataset.get("size", 28)) if dataset["name"] == "dermamnist" else 28
    return math.sqrt(channels * side * side), f"{channels}x{side}x{side}"


def _check_grid(config: Mapping[str, Any]) -> None:
    """Levels every image could reach, strictly increasing benchmark levels, a non-empty and unambiguous grid."""
    from .design import model_grid
    from .perturb.series import IMAGE_FACTORS, SERIES, series_config, series_runs

    levels = {"benchmarks.levels": config["benchmarks"]["levels"]}
    for name, cfg in series_config(config).items():
        if cfg.get("architectures") == []:
            raise ConfigError(f"series.{name}.architectures: empty, so the series would train no model; list "
                              f"architectures (null = every configured one) or remove series.{name}.")
        for key in ("levels", "gaussian_levels", "fgsm_levels"):
            if key in cfg and (key != "levels" or SERIES[name][0] in IMAGE_FACTORS):
                levels[f"series.{name}.{key}"] = cfg[key]
        repeated = _repeated([setid for setid, _ in series_runs(dict(config), name)])
        if repeated:
            raise ConfigError(f"series.{name}: different levels give the same set id(s) {repeated} (6 significant "
                              "digits); remove the near-duplicate levels.")
    bound, shape = max_l2(config["dataset"])
    for key, values in levels.items():
        unreachable = [v for v in values if v > bound]
        if unreachable:
            raise ConfigError(
                f"{key}: L2 level(s) {unreachable} exceed {bound:.4g} = sqrt({shape.replace('x', '*')}), the largest "
                f"distance two {shape} images in [0, 1] can have, so no image can reach them; remove them or set "
                f"them to at most {math.floor(bound * 1000) / 1000:g}.")
    bench = list(config["benchmarks"]["levels"])
    if any(b <= a for a, b in zip(bench, bench[1:], strict=False)):
        raise ConfigError(f"benchmarks.levels: {bench} must be strictly increasing; set it to "
                          f"{sorted(set(bench))}.")
    model_grid(dict(config))  # a series naming an architecture that is not configured raises ConfigError here


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML config safely and validate it."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found")
    config = yaml.safe_load(path.read_text()) or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return validate_config(config)


def validate_or_exit(config: dict[str, Any]) -> None:
    """For the Snakefile: validate in place and check that results/<study> can be written, or exit with the
    message before any job runs."""
    import sys

    if not config:
        sys.exit("perturbstudy: no configuration; pass --configfile config/config.yaml (or use the default profile)")
    from .checks import check_study_writable
    from .errors import PerturbstudyError

    try:
        validate_config(config)
        check_study_writable(Path("results") / config["study"])  # the rules write under results/<study>
    except PerturbstudyError as error:
        sys.exit(f"perturbstudy: {error}")
