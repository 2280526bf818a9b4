"""Cross-key checks of the `medical` config section (the schema checks each key alone)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError


def check_medical(med: dict[str, Any]) -> None:
    """Raise ConfigError naming the key when medical settings disagree with each other."""
    names = [a["name"] for a in med.get("attacks", [])]
    if len(set(names)) != len(names):
        raise ConfigError(f"medical.attacks: attack names must be unique, got {names}")
    if "clean" in names:
        raise ConfigError("medical.attacks: 'clean' is reserved for the unattacked test set; rename the attack")
    if med.get("table2_attack") not in names:
        raise ConfigError(f"medical.table2_attack: {med.get('table2_attack')!r} is not one of medical.attacks {names}")
    methods = med.get("methods", [])
    missing = [m for m in med.get("gradcam", {}).get("methods", []) if m not in methods]
    if missing:
        raise ConfigError(f"medical.gradcam.methods: {missing} are not in medical.methods {methods}")
    archs = med.get("ablation_architectures") or []
    unknown = [a for a in archs if a not in med["architectures"]]
    if unknown:
        raise ConfigError(f"medical.ablation_architectures: {unknown} are not in medical.architectures")
    for name, group in (("amat", med.get("training", {}).get("amat", {})),
                        ("dpaat", med.get("training", {}).get("dpaat", {}))):
        if group.get("eps_min", 0.0) > group.get("eps_max", float("inf")):
            raise ConfigError(f"medical.training.{name}: eps_min must not exceed eps_max")


ABLATION_METHODS = ("at", "da", "db", "dpaat")
# The `medical.training` keys each method reads (its rule's params carry exactly these).
METHOD_SETTINGS: dict[str, tuple[str, ...]] = {
    "std": (),
    "at": ("adversary",),
    "sat": ("adversary", "alpha"),
    "amat": ("adversary", "amat"),
    "dpaat": ("adversary", "alpha", "beta", "dpaat"),
    "da": ("adversary", "alpha", "beta", "dpaat"),
    "db": ("adversary", "alpha", "beta", "dpaat"),
}


def medical_runs(med: dict[str, Any], seeds: list[int]) -> list[tuple[str, str, int]]:
    """Every (architecture, method, seed) of the medical runs of a `medical` section."""
    methods = (med or {}).get("methods", [])
    return [(a, m, int(s)) for a in (med or {}).get("architectures", {}) for m in methods for s in seeds]
