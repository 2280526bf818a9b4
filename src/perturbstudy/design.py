"""The grid of models a config asks for: (architecture, series, training set, seed).

Each series contributes its training sets through a provider registered in SET_PROVIDERS;
rules turn every entry into paths, and the analysis reads each set's factor levels from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

# Names of the factors a training set can carry (columns of the analysis tables).
FACTORS = ("gaussian", "fgsm", "inverse_fgsm", "imbalance", "label_error")


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


def clean_sets(config: dict[str, Any]) -> Iterable[TrainingSet]:
    """The clean baseline of every architecture (every factor at zero)."""
    for arch in config["architectures"]:
        yield TrainingSet(arch, "clean", "base", {})


SET_PROVIDERS: list[Callable[[dict[str, Any]], Iterable[TrainingSet]]] = [clean_sets]


def training_sets(config: dict[str, Any]) -> list[TrainingSet]:
    """Every training set of the study, in a stable order, once."""
    out: list[TrainingSet] = []
    seen: set[tuple[str, str, str]] = set()
    for provider in SET_PROVIDERS:
        for ts in provider(config):
            if (ts.arch, ts.series, ts.setid) not in seen:
                seen.add((ts.arch, ts.series, ts.setid))
                out.append(ts)
    return out


def set_parameters(config: dict[str, Any], arch: str, series: str, setid: str) -> dict[str, float]:
    """Factor levels of one training set, every factor of FACTORS present (0 when absent)."""
    for ts in training_sets(config):
        if (ts.arch, ts.series, ts.setid) == (arch, series, setid):
            return {factor: float(ts.params.get(factor, 0.0)) for factor in FACTORS}
    raise KeyError(f"no training set {arch}/{series}/{setid} in this config")


def model_grid(config: dict[str, Any]) -> list[ModelKey]:
    """Every model of the study: each training set times each seed."""
    return [ModelKey(ts.arch, ts.series, ts.setid, int(seed))
            for ts in training_sets(config) for seed in config["seeds"]]


# The perturbation series (RQ1-RQ6, inverse FGSM) register their training sets here.
from .perturb.series import perturbed_sets  # noqa: E402  (needs TrainingSet above)

SET_PROVIDERS.append(perturbed_sets)
