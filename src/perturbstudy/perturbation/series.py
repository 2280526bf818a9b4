"""The series table of Wang et al.'s study: one `SeriesSpec` per series (RQ1-RQ6, inverse FGSM).

The model grid, the rules' wildcards, the analysis constants and the paper-table mapping all derive
from `SPECS`, so a new series is one entry here (plus its builder, if it perturbs in a new way).
Pure Python (no torch): Snakemake reads it when it parses the workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ConfigError

# Names of the factors a training set can carry (columns of the analysis tables).
FACTORS = ("gaussian", "fgsm", "inverse_fgsm", "imbalance", "label_error")
IMAGE_FACTORS = ("gaussian", "fgsm", "inverse_fgsm")
CLEAN_SERIES = "clean"
SINGLE_PREFIX = {"gaussian": "L", "fgsm": "L", "inverse_fgsm": "L", "imbalance": "CI", "label_error": "LD"}


@dataclass(frozen=True)
class SeriesSpec:
    """One series: the factors its sets vary, how their levels combine, and where the paper reports it.

    layout: "single" (one factor, `levels`), "grid" (every combination of `<factor>_levels`) or
    "orthogonal" (the four-factor orthogonal array over `<factor>_levels`).
    """

    name: str
    factors: tuple[str, ...]
    layout: Literal["single", "grid", "orthogonal"]
    title: str
    paper_table: str | None = None
    segmented: bool = False  # split at the FGSM-benchmark peak (the paper's Table 3)

    @property
    def image_factors(self) -> tuple[str, ...]:
        """The factors that add perturbed images (each gets a directions component)."""
        return tuple(f for f in self.factors if f in IMAGE_FACTORS)

    @property
    def needs_source_model(self) -> bool:
        """Whether its directions come from the clean source model (FGSM or inverse FGSM)."""
        return any(f in ("fgsm", "inverse_fgsm") for f in self.factors)

    def level_key(self, factor: str) -> str:
        """The config key listing one factor's levels."""
        return "levels" if self.layout == "single" else f"{'fgsm' if factor == 'inverse_fgsm' else factor}_levels"


SPECS: dict[str, SeriesSpec] = {s.name: s for s in (
    SeriesSpec("rq1_gaussian", ("gaussian",), "single", "RQ1: Gaussian-noise training (Table 2 / Figure 2 analogue)",
               "Table 2"),
    SeriesSpec("rq2_fgsm", ("fgsm",), "single", "RQ2: FGSM training (Table 3 / Figure 3 analogue)", "Table 3",
               segmented=True),
    SeriesSpec("rq2_inverse_fgsm", ("inverse_fgsm",), "single", "RQ2: inverse-FGSM training"),
    SeriesSpec("rq3_imbalance", ("imbalance",), "single", "RQ3: class-imbalance training (Table 4 / Figure 4 analogue)",
               "Table 4"),
    SeriesSpec("rq4_label_error", ("label_error",), "single",
               "RQ4: label-error training (Table 5 / Figure 5 analogue)", "Table 5"),
    SeriesSpec("rq5_dual", ("gaussian", "fgsm"), "grid", "RQ5: Gaussian + FGSM training (Table 6 / Figure 6 analogue)",
               "Table 6"),
    SeriesSpec("rq6_four", ("gaussian", "fgsm", "imbalance", "label_error"), "orthogonal",
               "RQ6: four-factor orthogonal design (Table 7 analogue)", "Table 7"),
)}

# Views of the table used by the analysis.
SERIES: dict[str, tuple[str, ...]] = {name: spec.factors for name, spec in SPECS.items()}
SINGLE_FACTOR_SERIES: dict[str, str] = {n: s.factors[0] for n, s in SPECS.items() if s.layout == "single"}
MULTI_FACTOR_SERIES: dict[str, tuple[str, ...]] = {n: s.factors for n, s in SPECS.items() if s.layout != "single"}
SEGMENTED_SERIES: tuple[str, ...] = tuple(n for n, s in SPECS.items() if s.segmented)


def title(series: str) -> str:
    """The series' table and figure title (the name itself for the clean baseline)."""
    return SPECS[series].title if series in SPECS else series


def fmt(value: float) -> str:
    """A level as it appears in a set id: 0.5 -> '0.5', 12.0 -> '12'."""
    return f"{float(value):g}"


def series_config(series_section: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The configured perturbation series (name -> settings), in the order of SPECS."""
    section = series_section or {}
    return {name: section[name] for name in SPECS if section.get(name) is not None}


def factor_levels(cfg: Mapping[str, Any], name: str, factor: str) -> list[float]:
    """The levels of one factor of a series, from `levels` (single factor) or `<factor>_levels`."""
    key = SPECS[name].level_key(factor)
    if key not in cfg:
        raise ConfigError(f"series.{name}.{key}: missing; list the levels of {factor}")
    return [float(v) for v in cfg[key]]


def series_runs(name: str, cfg: Mapping[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """(set id, factor levels) of every set of one series, in a stable order."""
    spec = SPECS[name]
    if spec.layout == "single":
        f = spec.factors[0]
        return [(f"{SINGLE_PREFIX[f]}{fmt(v)}", {f: v}) for v in factor_levels(cfg, name, f)]
    levels = {f: factor_levels(cfg, name, f) for f in spec.factors}
    if spec.layout == "grid":
        g, a = (levels[f] for f in spec.factors)
        return [(f"G{fmt(gv)}_A{fmt(av)}", {spec.factors[0]: gv, spec.factors[1]: av}) for gv in g for av in a]
    from .orthogonal import ARRAYS, design_name, four_factor_array  # the four-factor orthogonal design

    counts = {len(v) for v in levels.values()}
    if len(counts) != 1 or next(iter(counts)) not in ARRAYS:
        raise ConfigError(f"series.{name}: the four-factor orthogonal design needs the same number of levels "
                          f"(4 or 5: L16 or L25) for every factor; got "
                          f"{ {f: len(v) for f, v in levels.items()} }. Give each factor 5 levels for the "
                          f"paper's {design_name(5)}.")
    array = four_factor_array(counts.pop())
    return [(f"run{i + 1:02d}", {f: levels[f][int(row[j])] for j, f in enumerate(spec.factors)})
            for i, row in enumerate(array)]
