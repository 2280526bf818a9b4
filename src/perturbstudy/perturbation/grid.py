"""The grid of models a config asks for: (architecture, series, training set, seed).

Rules turn every entry into paths; the evaluation labels each model with its set's factor levels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import ConfigError
from .series import CLEAN_SERIES, FACTORS, series_config, series_runs


class TrainingSet(NamedTuple):
    """One training set of a series for one architecture, with its factor levels."""

    arch: str
    series: str
    setid: str
    params: dict[str, float]


class ModelKey(NamedTuple):
    """One model to train: architecture, series name, training-set id within it, seed."""

    arch: str
    series: str
    setid: str
    seed: int


def series_architectures(name: str, cfg: Mapping[str, Any], architectures: Sequence[str]) -> list[str]:
    """Architectures a series runs for (null: every configured architecture)."""
    archs = cfg.get("architectures")
    if archs is None:
        return list(architectures)
    unknown = [a for a in archs if a not in architectures]
    if unknown:
        raise ConfigError(f"series.{name}.architectures: {unknown} are not configured under architectures "
                          f"(configured: {list(architectures)}); remove them or configure them.")
    return list(archs)


def training_sets(architectures: Sequence[str], series: Mapping[str, Any] | None) -> list[TrainingSet]:
    """Every training set of the study, in a stable order: each architecture's clean set, then the series."""
    out = [TrainingSet(arch, CLEAN_SERIES, "base", {}) for arch in architectures]
    for name, cfg in series_config(series).items():
        runs = series_runs(name, cfg)
        for arch in series_architectures(name, cfg, architectures):
            out += [TrainingSet(arch, name, setid, dict(params)) for setid, params in runs]
    return out


def set_factors(params: Mapping[str, float]) -> dict[str, float]:
    """Every factor of FACTORS with its level in a set (0 when the set does not vary it)."""
    return {factor: float(params.get(factor, 0.0)) for factor in FACTORS}


def model_grid(architectures: Sequence[str], series: Mapping[str, Any] | None,
               seeds: Iterable[int]) -> list[ModelKey]:
    """Every model of the study: each training set times each seed."""
    seeds = [int(s) for s in seeds]
    return [ModelKey(ts.arch, ts.series, ts.setid, seed) for ts in training_sets(architectures, series)
            for seed in seeds]


class TrainingGroup(NamedTuple):
    """Training sets of one architecture and series that one job trains, and one job evaluates, per seed."""

    arch: str
    series: str
    index: int
    setids: tuple[str, ...]

    @property
    def name(self) -> str:
        """A rule-name suffix: <arch>_<series>_<index>."""
        return f"{self.arch}_{self.series}_{self.index}"


def training_groups(architectures: Mapping[str, Mapping[str, Any]], series: Mapping[str, Any] | None
                    ) -> list[TrainingGroup]:
    """The study's training sets cut into groups: per architecture and series, consecutive sets up to the
    architecture's `group_size` (null or absent: the whole series in one group)."""
    by_series: dict[tuple[str, str], list[str]] = {}
    for ts in training_sets(list(architectures), series):
        by_series.setdefault((ts.arch, ts.series), []).append(ts.setid)
    groups = []
    for (arch, name), setids in by_series.items():
        size = architectures[arch].get("group_size") or len(setids)
        groups += [TrainingGroup(arch, name, i, tuple(setids[start:start + size]))
                   for i, start in enumerate(range(0, len(setids), size))]
    return groups
