"""Config validation beyond the schema's bounds: finite numbers everywhere, per-class counts the data can give."""

from __future__ import annotations

import copy

import pytest
import torch
import yaml

from perturbstudy.config import load_config, load_schema, non_finite, train_images_per_class, validate_config
from perturbstudy.data import load_dataset, make_splits
from perturbstudy.errors import ConfigError

NAN, INF = float("nan"), float("inf")


@pytest.fixture
def smoke(repo_root):
    return yaml.safe_load((repo_root / "config" / "smoke.yaml").read_text())


def _set(config: dict, key: str, value) -> dict:
    """Set a dotted key (list items as integers) and return the config."""
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return config


# --------------------------------------------------------------------------- finite numbers


@pytest.mark.parametrize("key, value, named, shown", [
    ("architectures.lenet5.train.lr", NAN, "architectures.lenet5.train.lr", "nan"),
    ("architectures.lenet5.train.lr", INF, "architectures.lenet5.train.lr", "inf"),
    ("architectures.lenet5.train.momentum", -INF, "architectures.lenet5.train.momentum", "-inf"),
    ("benchmarks.levels", [1.0, NAN], "benchmarks.levels[1]", "nan"),
    ("series.rq1_gaussian.levels", [INF], "series.rq1_gaussian.levels[0]", "inf"),
    ("dataset.val_fraction", NAN, "dataset.val_fraction", "nan"),
    ("medical.attacks", [{"name": "FGSM", "kind": "fgsm", "eps": NAN}], "medical.attacks[0].eps", "nan"),
    ("medical.training.dpaat.eps_max", INF, "medical.training.dpaat.eps_max", "inf"),
])
def test_non_finite_numbers_are_refused_with_their_key(smoke, key, value, named, shown):
    config = _set(copy.deepcopy(smoke), key, value)
    with pytest.raises(ConfigError) as info:
        validate_config(config)
    assert f"  {named}: {shown} is not a finite number; set it to a finite number" in str(info.value), info.value


def test_schema_bounds_alone_let_nan_through(smoke):
    """Why the walk exists: `exclusiveMinimum: 0` accepts NaN, since every comparison with NaN is false."""
    import jsonschema

    config = _set(copy.deepcopy(smoke), "architectures.lenet5.train.lr", NAN)
    assert not list(jsonschema.Draft202012Validator(load_schema()).iter_errors(config))


def test_non_finite_walks_mappings_and_lists():
    config = {"a": {"b": [1.0, NAN, {"c": -INF}]}, "d": INF, "e": True, "f": 3, "g": "nan", "h": 1e308}
    assert [key for key, _ in non_finite(config)] == ["a.b[1]", "a.b[2].c", "d"]


def test_yaml_nan_and_inf_are_refused_before_anything_runs(repo_root, tmp_path):
    text = (repo_root / "config" / "smoke.yaml").read_text()
    assert "lr: 0.002," in text and "levels: [1.0, 3.0, 6.0, 12.0]" in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("lr: 0.002,", "lr: .nan,", 1).replace("levels: [1.0, 3.0, 6.0, 12.0]",
                                                                       "levels: [1.0, .inf]"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "  architectures.lenet5.train.lr: nan is not a finite number" in message
    assert "  benchmarks.levels[1]: inf is not a finite number" in message


# --------------------------------------------------------------------------- per-class counts


def test_series_per_class_above_the_training_cap_is_refused(smoke):
    assert smoke["dataset"]["train_per_class"] == 60
    validate_config(_set(copy.deepcopy(smoke), "series.rq1_gaussian.per_class", 60))
    with pytest.raises(ConfigError) as info:
        validate_config(_set(copy.deepcopy(smoke), "series.rq1_gaussian.per_class", 61))
    message = str(info.value)
    assert message.startswith("series.rq1_gaussian.per_class: 61 perturbed images per class")
    assert "at most 60 training images" in message and "capped at 60 by dataset.train_per_class" in message
    assert "set series.rq1_gaussian.per_class to at most 60" in message


def test_series_per_class_above_mnist5k_training_images_is_refused(smoke):
    smoke = copy.deepcopy(smoke)
    smoke["dataset"] = {"name": "mnist5k", "val_fraction": 0.1, "test_fraction": 0.2}  # 500 - 100 - 40 = 360
    validate_config(_set(copy.deepcopy(smoke), "series.rq2_fgsm.per_class", 360))
    with pytest.raises(ConfigError, match=r"series\.rq2_fgsm\.per_class: 361 .* at most 360 training images "
                                          r"\(mnist5k has 500 per class, 100 go to test \(dataset\.test_fraction\) "
                                          r"and 40 to validation \(dataset\.val_fraction\)"):
        validate_config(_set(smoke, "series.rq2_fgsm.per_class", 361))


def test_per_class_is_not_checked_when_only_the_data_knows(smoke):
    smoke = copy.deepcopy(smoke)
    smoke["dataset"] = {"name": "fashion-mnist"}  # class sizes come from the files
    validate_config(_set(smoke, "series.rq1_gaussian.per_class", 100_000))


@pytest.mark.parametrize("key, value, pattern", [
    ("dataset.test_per_class", 500, r"dataset\.test_per_class: 500 test images per class, but mnist5k has 500"),
    ("dataset.val_per_class", 470, r"dataset\.val_per_class: 470 validation images per class, but only 470"),
])
def test_split_counts_mnist5k_cannot_give_are_refused(smoke, key, value, pattern):
    with pytest.raises(ConfigError, match=pattern):
        validate_config(_set(copy.deepcopy(smoke), key, value))


@pytest.fixture(scope="module")
def mnist5k():
    return load_dataset("mnist5k")


@pytest.mark.parametrize("dataset", [
    {"val_fraction": 0.1, "test_fraction": 0.2},
    {"val_fraction": 0.15, "test_fraction": 0.25},
    {"val_fraction": 0.1, "test_fraction": 0.2, "train_per_class": 60, "test_per_class": 30},
    {"val_fraction": 0.1, "test_fraction": 0.2, "test_per_class": 100, "val_per_class": 40, "pool_all": True},
    {"val_fraction": 0.1, "test_fraction": 0.2, "test_per_class": 100, "val_per_class": 40, "train_per_class": 300},
])
def test_training_images_per_class_match_the_real_splits(mnist5k, dataset):
    """The config-time count agrees with data.make_splits on the real 5,000 digits, class by class."""
    most, _ = train_images_per_class("dataset", {"name": "mnist5k", **dataset})
    splits = make_splits(mnist5k, 0, dataset["val_fraction"], dataset["test_fraction"],
                         dataset.get("train_per_class"), dataset.get("test_per_class"), dataset.get("pool_all", False),
                         dataset.get("val_per_class"))
    counts = torch.bincount(splits.train.labels, minlength=10)
    assert counts.tolist() == [most] * 10



@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "medical.yaml", "paper.yaml"])
def test_shipped_configs_name_attacks_by_their_steps(repo_root, name):
    config = load_config(repo_root / "config" / name)  # check_medical refuses '20-PGD' with 5 steps
    for attack in (config.get("medical") or {}).get("attacks", []):
        if attack["name"][0].isdigit():
            assert attack["name"].split("-")[0] == str(attack["steps"]), attack


def test_an_attack_named_for_other_steps_is_refused(smoke):
    from perturbstudy.robust_training.settings import check_medical

    med = copy.deepcopy(smoke["medical"])
    med["attacks"][1]["name"] = med["table2_attack"] = "20-PGD"
    with pytest.raises(ConfigError, match="20-PGD.*names 20 steps but runs 5"):
        check_medical(med)
