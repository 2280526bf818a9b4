"""Which rules read which config key: computed from the real workflow's jobs and perturbstudy.contract."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from perturbstudy.config import validate_config
from perturbstudy.contract import RULES, step_params
from perturbstudy.errors import ConfigError
from perturbstudy.perturbation.grid import training_groups

ROOT = Path(__file__).resolve().parents[1]
# Keys whose change alters the job graph itself (new or removed jobs, other paths): tested as structural cases.
STRUCTURAL = ("study", "seeds", "architectures", "architectures.*.group_size",
              "series.*.architectures", "series.*.levels", "series.*.*_levels",
              "medical.architectures", "medical.methods", "medical.ablation.architectures", "medical.ablation.methods",
              "medical.gradcam.methods", "medical.corruptions.suite", "medical.corruptions.corruptions",
              "corruptions.suite", "corruptions.corruptions",
              "dataset.name", "medical.dataset.name", "medical.dataset.classes", "threads", "gpus_per_training",
              "medical.gpus", "segmentation.variants", "segmentation.dataset.name", "segmentation.gpus")


def jobs(configfile: Path, workdir: Path = ROOT) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job of a config, from `snakemake -n --forceall` (no job runs)."""
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--forceall", "--configfile", str(configfile),
                          "--cores", "1"], capture_output=True, text=True, cwd=workdir, check=True).stdout
    found = []
    for rule, body in re.findall(r"^(?:local)?rule (\w+):\n(.*?)(?=\n\n|\Z)", out, flags=re.M | re.S):
        match = re.search(r"^\s+wildcards: (.*)$", body, flags=re.M)
        wildcards = dict(kv.split("=", 1) for kv in match.group(1).split(", ")) if match else {}
        found += member_jobs(rule, wildcards, load(configfile))
    return found


def member_jobs(rule: str, wildcards: dict[str, str], config: dict) -> list[tuple[str, dict[str, str]]]:
    """A group job (trainset_<group>, train_<group>, evaluate_<group>) as the (rule, wildcards) of each member it
    runs the step for; any other job as itself."""
    for group in training_groups(config["architectures"], config.get("series")):
        for step in ("trainset", "train", "evaluate"):
            if rule == f"{step}_{group.name}":
                return [(step, {"arch": group.arch, "series": group.series, "setid": setid, **wildcards})
                        for setid in group.setids]
    return [(rule, wildcards)]


def leaf_keys(config: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted paths of every leaf value (a list of mappings, such as medical.attacks, is one leaf)."""
    if isinstance(config, dict):
        for key, value in config.items():
            yield from leaf_keys(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], config


def is_structural(key: str) -> bool:
    parts = key.split(".")
    for pattern in STRUCTURAL:
        pat = pattern.split(".")
        if len(pat) == len(parts) and all(p == "*" or p == k or (p.startswith("*") and k.endswith(p[1:]))
                                          for p, k in zip(pat, parts, strict=True)):
            return True
    return False


def changed_value(value: Any) -> Any:
    """Another valid value of the same kind, or None where no automatic change makes sense."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 0.5 if value else 0.25
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        return [*value[:-1], value[-1] * 0.5 + (value[-2] * 0.5 if len(value) > 1 else 0.0)] if len(value) > 1 \
            else [value[0] * 0.5]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        first = dict(value[0])
        if "eps" in first:
            first["eps"] = first["eps"] * 0.5
        return [first, *value[1:]]
    if isinstance(value, str) and value in ("adam", "sgd"):
        return "sgd" if value == "adam" else "adam"
    return None


def with_value(config: dict, key: str, value: Any) -> dict:
    """A deep copy of `config` with the dotted `key` set to `value`."""
    out = copy.deepcopy(config)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return out


def load(configfile: Path) -> dict:
    return validate_config(yaml.safe_load(configfile.read_text()))


def rules_reading(key: str, config: dict, job_list: list[tuple[str, dict[str, str]]],
                  new_value: Any = None) -> set[str] | None:
    """The rules whose step params change when `key` changes (to `new_value`, or an automatic change), or None
    when no valid change is found."""
    value = dict(leaf_keys(config))[key]
    changed = None
    candidates = [new_value] if new_value is not None else [
        changed_value(value), value * 2 if isinstance(value, int) and not isinstance(value, bool) else None]
    for new in candidates:
        if new is None:
            continue
        try:
            changed = validate_config(with_value(config, key, new))
            break
        except ConfigError:
            continue
    if changed is None:
        return None
    return {rule for rule, wc in job_list if rule in RULES
            and step_params(rule, config, wc) != step_params(rule, changed, wc)}


def documented_table(path: Path = ROOT / "config" / "README.md") -> dict[str, set[str]]:
    """The key -> rules table of config/README.md (between its two marker comments)."""
    text = path.read_text()
    body = text.split("<!-- rerun-table:start -->")[1].split("<!-- rerun-table:end -->")[0]
    table = {}
    for line in body.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rules = re.sub(r"\(.*?\)", "", cells[1])  # a remark in parentheses is not a rule
        table[cells[0].strip("`")] = {r.strip("` ") for r in rules.split(",")} - {"", "none"}
    return table
