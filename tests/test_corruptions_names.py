"""The suites' corruption names known without torch or medmnistc match their sources, and bad names are refused."""

from __future__ import annotations

import pytest

from perturbstudy.corruptions import medmnistc as mc
from perturbstudy.corruptions import names
from perturbstudy.corruptions.mnistc import MNISTC_FAMILIES, mnistc_corruptions
from perturbstudy.errors import ConfigError

REASON = mc.medmnistc_unavailable()


def test_mnistc_names_are_the_implemented_corruptions():
    assert names.corruption_names("mnistc") == mnistc_corruptions() == names.MNISTC_NAMES
    assert sorted(c for members in MNISTC_FAMILIES.values() for c in members) == sorted(names.MNISTC_NAMES)


@pytest.mark.skipif(REASON is not None, reason=f"MedMNIST-C unavailable: {REASON}")
def test_medmnistc_names_are_the_package_registry():
    from medmnistc.corruptions.registry import CORRUPTIONS_DS

    assert {ds: tuple(c) for ds, c in CORRUPTIONS_DS.items()} == names.MEDMNISTC_NAMES
    assert names.corruption_names("medmnistc", "breastmnist") == mc.medmnistc_corruptions("breastmnist")


def test_the_abstracts_modalities_have_medmnistc_corruptions():
    assert len(names.corruption_names("medmnistc", "pneumoniamnist")) == 13  # X-ray
    assert len(names.corruption_names("medmnistc", "breastmnist")) == 7  # ultrasound
    assert names.corruption_names("medmnistc", "chestmnist") == names.corruption_names("medmnistc", "pneumoniamnist")


def test_unknown_suites_and_datasets_are_config_errors():
    with pytest.raises(ConfigError, match="unknown corruption suite 'imagenetc'"):
        names.corruption_names("imagenetc")
    with pytest.raises(ConfigError, match="MedMNIST-C has no corruptions for 'mnist5k'"):
        names.corruption_names("medmnistc", "mnist5k")
