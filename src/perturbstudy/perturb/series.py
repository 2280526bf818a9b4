"""The perturbation series of the study (RQ1-RQ6, inverse FGSM): their factors, levels and set ids.

Pure Python (no torch) so that `perturbstudy.design` can list every training set cheaply.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..design import TrainingSet
from ..errors import ConfigError

IMAGE_FACTORS = ("gaussian", "fgsm", "inverse_fgsm")

# series name -> the factors its sets vary (named as in design.FACTORS)
SERIES: dict[str, tuple[str, ...]] = {
    "rq1_gaussian": ("gaussian",),
    "rq2_fgsm": ("fgsm",),
    "rq2_inverse_fgsm": ("inverse_fgsm",),
    "rq3_imbalance": ("imbalance",),
    "rq4_label_error": ("label_error",),
    "rq5_dual": ("gaussian", "fgsm"),
    "rq6_four": ("gaussian", "fgsm", "imbalance", "label_error"),
}
SINGLE_PREFIX = {"gaussian": "L", "fgsm": "L", "inverse_fgsm": "L", "imbalance": "CI", "label_error": "LD"}


def fmt(value: float) -> str:
    """A level as it appears in a set id: 0.5 -> '0.5', 12.0 -> '12'."""
    return f"{float(value):g}"


def series_config(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The configured perturbation series (name -> settings), in the order of SERIES."""
    section = config.get("series") or {}
    return {name: section[name] for name in SERIES if section.get(name) is not None}


def series_architectures(config: dict[str, Any], name: str) -> list[str]:
    """Architectures a series runs for (null: every configured architecture)."""
    archs = series_config(config)[name].get("architectures")
    known = list(config["architectures"])
    if archs is None:
        return known
    unknown = [a for a in archs if a not in known]
    if unknown:
        raise ConfigError(f"series.{name}.architectures: {unknown} are not configured under architectures "
                          f"(configured: {known}); remove them or configure them.")
    return list(archs)


def factor_levels(cfg: dict[str, Any], name: str, factor: str) -> list[float]:
    """The levels of one factor of a series, from `levels` (single factor) or `<factor>_levels`."""
    key = "levels" if len(SERIES[name]) == 1 else f"{'fgsm' if factor == 'inverse_fgsm' else factor}_levels"
    if key not in cfg:
        raise ConfigError(f"series.{name}.{key}: missing; list the levels of {factor}")
    return [float(v) for v in cfg[key]]


def series_runs(config: dict[str, Any], name: str) -> list[tuple[str, dict[str, float]]]:
    """(set id, factor levels) of every set of one series, in a stable order."""
    cfg = series_config(config)[name]
    factors = SERIES[name]
    if len(factors) == 1:
        f = factors[0]
        return [(f"{SINGLE_PREFIX[f]}{fmt(v)}", {f: v}) for v in factor_levels(cfg, name, f)]
    if name == "rq5_dual":
        g, a = factor_levels(cfg, name, "gaussian"), factor_levels(cfg, name, "fgsm")
        return [(f"G{fmt(gv)}_A{fmt(av)}", {"gaussian": gv, "fgsm": av}) for gv in g for av in a]
    from .orthogonal import ARRAYS, design_name, four_factor_array  # the four-factor orthogonal design

    levels = {f: factor_levels(cfg, name, f) for f in factors}
    counts = {len(v) for v in levels.values()}
    if len(counts) != 1 or next(iter(counts)) not in ARRAYS:
        raise ConfigError(f"series.{name}: the four-factor orthogonal design needs the same number of levels "
                          f"(4 or 5: L16 or L25) for every factor; got "
                          f"{ {f: len(v) for f, v in levels.items()} }. Give each factor 5 levels for the "
                          f"paper's {design_name(5)}.")
    array = four_factor_array(counts.pop())
    return [(f"run{i + 1:02d}", {f: levels[f][int(row[j])] for j, f in enumerate(factors)})
            for i, row in enumerate(array)]


def perturbed_sets(config: dict[str, Any]) -> Iterable[TrainingSet]:
    """Every training set of every configured perturbation series (design.SET_PROVIDERS entry)."""
    for name in series_config(config):
        runs = series_runs(config, name)
        for arch in series_architectures(config, name):
            for setid, params in runs:
                yield TrainingSet(arch, name, setid, dict(params))


def needs_source_model(name: str) -> bool:
    """Whether a series' directions come from the clean source model (FGSM or inverse FGSM)."""
    return any(f in ("fgsm", "inverse_fgsm") for f in SERIES[name])


def needs_directions(name: str) -> bool:
    """Whether a series adds perturbed images (and so has a directions artifact)."""
    return any(f in IMAGE_FACTORS for f in SERIES[name])
