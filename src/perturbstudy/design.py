"""The grid of models a config asks for: (architecture, series, training set, seed).

Each series contributes its training sets; rules turn every entry into paths.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class ModelKey(NamedTuple):
    """One model to train: architecture, series name, training-set id within it, seed."""

    arch: str
    series: str
    setid: str
    seed: int


def clean_sets(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The clean baseline of every architecture."""
    return [(arch, "clean", "base") for arch in config["architectures"]]


SET_PROVIDERS = [clean_sets]


def model_grid(config: dict[str, Any]) -> list[ModelKey]:
    """Every model of the study, in a stable order, once."""
    keys: list[ModelKey] = []
    seen: set[ModelKey] = set()
    for provider in SET_PROVIDERS:
        for arch, series, setid in provider(config):
            for seed in config["seeds"]:
                key = ModelKey(arch, series, setid, int(seed))
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
    return keys
