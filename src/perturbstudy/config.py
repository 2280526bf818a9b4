"""Load and validate a study configuration against the JSON schema, naming the offending key.

Runs before any Snakemake job, so a typo costs seconds, not a training run.
"""

from __future__ import annotations

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


def _hint(error: jsonschema.ValidationError) -> str:
    schema = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        return f"remove it or fix its spelling; allowed keys here: {allowed}" if allowed else "remove it"
    if error.validator == "required":
        return "add it (see config/README.md)"
    if error.validator == "propertyNames":
        return f"use one of {error.schema.get('propertyNames', {}).get('enum')}"
    description = schema.get("description")
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
    if config.get("medical"):
        from .medical.settings import check_medical

        check_medical(config["medical"])


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
    """For the Snakefile: validate in place, or exit with the message before any job runs."""
    import sys

    if not config:
        sys.exit("perturbstudy: no configuration; pass --configfile config/config.yaml (or use the default profile)")
    try:
        validate_config(config)
    except ConfigError as error:
        sys.exit(f"perturbstudy: {error}")
