"""Load and validate a study configuration against the JSON schema, naming the offending key.

Runs before any Snakemake job, so a typo costs seconds, not a training run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError

# The schema ships inside the package (pyproject package-data), so an installed perturbstudy validates alone.
SCHEMA_RESOURCE = "schemas/config.schema.yaml"


def load_schema(path: str | Path | None = None) -> dict[str, Any]:
    """The config schema (YAML): the package's own, or the file at an explicit path."""
    text = Path(path).read_text() if path else resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text()
    return yaml.safe_load(text)


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


def _is_non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def non_finite(node: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every NaN or infinite number in a config, with its key path (`a.b`, list items `a.b[1]`)."""
    if _is_non_finite(node):
        yield path or "<top level>", node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from non_finite(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from non_finite(value, f"{path}[{i}]")


def validate_config(config: dict[str, Any], schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Validate `config` in place (defaults filled) and return it; ConfigError names the key."""
    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    # JSON-schema bounds let NaN through (every comparison with it is false): non-finite numbers are named here.
    lines = [f"  {key}: {value} is not a finite number; set it to a finite number (YAML .nan and .inf are refused)"
             for key, value in non_finite(config)]
    errors = sorted((e for e in validator.iter_errors(config) if not _is_non_finite(e.instance)),
                    key=lambda e: (len(list(e.absolute_path)), str(e.path)))
    lines += [f"  {_key_path(e)}: {e.message}; {_hint(e)}" for e in errors]
    if lines:
        raise ConfigError("invalid configuration:\n" + "\n".join(lines[:10]))
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
        train_images_per_class(key, dataset)  # refuses test / validation counts the classes cannot give
    _check_series_sizes(config)
    _check_grid(config)
    if config.get("medical"):
        from .robust_training.settings import check_medical

        check_medical(config["medical"])
    if config.get("corruptions"):
        from .robust_training.settings import check_corruption_section

        check_corruption_section(config["corruptions"], config["dataset"], "corruptions", "dataset")
    if config.get("segmentation"):
        from .segmentation.settings import check_segmentation

        check_segmentation(config["segmentation"])


def train_images_per_class(key: str, dataset: Mapping[str, Any]) -> tuple[int, str] | None:
    """The most training images a class of `dataset` (at config `key`) can have and why; None when only the data
    can tell. Follows data.make_splits for a dataset of one pool with a fixed count per class (mnist5k)."""
    from .data import REGISTRY

    cap = dataset.get("train_per_class")
    total = REGISTRY[dataset["name"]].per_class
    if total is None:
        return (cap, f"{key}.train_per_class caps it at {cap}") if cap else None
    name = dataset["name"]
    n_test = dataset.get("test_per_class")
    if n_test is None:
        n_test, test_why = int(round(dataset["test_fraction"] * total)), f"{key}.test_fraction"
    else:
        test_why = f"{key}.test_per_class"
    if n_test >= total:
        raise ConfigError(f"{test_why}: {n_test} test images per class, but {name} has {total} per class and "
                          f"training needs some; set it so that fewer than {total} go to test.")
    rest = total - n_test
    n_val = dataset.get("val_per_class")
    if n_val is None:
        n_val, val_why = int(round(dataset["val_fraction"] * rest)), f"{key}.val_fraction"
    else:
        val_why = f"{key}.val_per_class"
    if n_val >= rest:
        raise ConfigError(f"{val_why}: {n_val} validation images per class, but only {rest} of {name}'s {total} "
                          f"per class remain after the test split ({test_why}) and training needs some; set it so "
                          f"that fewer than {rest} go to validation, or take fewer test images.")
    most = rest - n_val
    why = (f"{name} has {total} per class, {n_test} go to test ({test_why}) and {n_val} to validation ({val_why}), "
           f"leaving {most}")
    if cap is not None and cap < most:
        return cap, f"{why}, capped at {cap} by {key}.train_per_class"
    return most, why


def _check_series_sizes(config: Mapping[str, Any]) -> None:
    """A series' `per_class` (perturbed images drawn per class and component) must not exceed a class's images."""
    bound = train_images_per_class("dataset", config["dataset"])
    if bound is None:
        return
    most, why = bound
    for name, cfg in (config.get("series") or {}).items():
        per_class = cfg.get("per_class") if isinstance(cfg, Mapping) else None
        if per_class is not None and per_class > most:
            raise ConfigError(
                f"series.{name}.per_class: {per_class} perturbed images per class, but a class has at most {most} "
                f"training images ({why}); set series.{name}.per_class to at most {most}, or give each class "
                "more training images (dataset.train_per_class, dataset.test_fraction, dataset.val_fraction).")


def max_l2(dataset: Mapping[str, Any]) -> tuple[float, str]:
    """The largest L2 distance between two images of a dataset in [0, 1], sqrt(C*H*W), and the shape CxHxW."""
    from .data import REGISTRY

    channels = REGISTRY[dataset["name"]].channels
    side = int(dataset.get("size", 28)) if REGISTRY[dataset["name"]].sized else 28
    return math.sqrt(channels * side * side), f"{channels}x{side}x{side}"


def _check_grid(config: Mapping[str, Any]) -> None:
    """Levels every image could reach, strictly increasing benchmark levels, a non-empty and unambiguous grid."""
    from .perturbation.grid import model_grid
    from .perturbation.series import IMAGE_FACTORS, SERIES, series_config, series_runs

    levels = {"benchmarks.levels": config["benchmarks"]["levels"]}
    for name, cfg in series_config(config.get("series")).items():
        if cfg.get("architectures") == []:
            raise ConfigError(f"series.{name}.architectures: empty, so the series would train no model; list "
                              f"architectures (null = every configured one) or remove series.{name}.")
        for key in ("levels", "gaussian_levels", "fgsm_levels"):
            if key in cfg and (key != "levels" or SERIES[name][0] in IMAGE_FACTORS):
                levels[f"series.{name}.{key}"] = cfg[key]
        repeated = _repeated([setid for setid, _ in series_runs(name, cfg)])
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
    # a series naming an architecture that is not configured raises ConfigError here
    model_grid(list(config["architectures"]), config.get("series"), config["seeds"])


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
