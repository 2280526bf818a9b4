"""Schema validation names the offending key before any job runs."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from perturbstudy.config import load_config, load_schema, validate_config
from perturbstudy.errors import ConfigError


@pytest.fixture
def base(repo_root):
    return yaml.safe_load((repo_root / "config" / "smoke.yaml").read_text())


@pytest.mark.parametrize("mutate, key", [
    (lambda c: c["architectures"].update({"vgg99": {"train": {}}}), "architectures"),
    (lambda c: c.update({"seeds": "zero"}), "seeds"),
    (lambda c: c.update({"seeds": [-1]}), "seeds.0"),
    (lambda c: c.update({"sedes": [0]}), "sedes"),
    (lambda c: c["dataset"].update({"name": "cifar"}), "dataset.name"),
    (lambda c: c["dataset"].update({"val_fraction": 1.5}), "dataset.val_fraction"),
    (lambda c: c["architectures"]["lenet5"]["train"].update({"lr": -0.1}), "architectures.lenet5.train.lr"),
    (lambda c: c["architectures"]["lenet5"]["train"].update({"batch_size": "64"}),
     "architectures.lenet5.train.batch_size"),
    (lambda c: c.pop("study"), "study"),
    (lambda c: c["medical"].update({"ablation": {"methods": ["da"]}}), "medical.ablation.architectures"),
    (lambda c: c["medical"].update({"ablation": {"architectures": ["lenet5"], "train": {"max_epochs": 0}}}),
     "medical.ablation.train.max_epochs"),
])
def test_bad_config_names_the_key(base, mutate, key):
    config = copy.deepcopy(base)
    mutate(config)
    with pytest.raises(ConfigError) as info:
        validate_config(config)
    assert f"  {key}:" in str(info.value)


def test_missing_dataset_path_is_named(base, tmp_path):
    config = copy.deepcopy(base)
    config["dataset"] = {"name": "fashion-mnist", "root": str(tmp_path / "nowhere")}
    with pytest.raises(ConfigError, match="dataset.root: .*does not exist"):
        validate_config(config)
    config["dataset"] = {"name": "mnist"}
    with pytest.raises(ConfigError, match="dataset.root"):
        validate_config(config)


def test_defaults_are_filled(base):
    config = validate_config(copy.deepcopy(base))
    assert config["data_seed"] == 0
    assert config["dataset"]["download"] is False


def test_every_schema_key_is_described():
    def walk(node, path):
        if isinstance(node, dict):
            if "type" in node and path and "description" not in node:
                yield path
            for key, sub in node.get("properties", {}).items():
                yield from walk(sub, f"{path}.{key}" if path else key)
            if isinstance(node.get("additionalProperties"), dict):
                yield from walk(node["additionalProperties"], f"{path}.*")
            if isinstance(node.get("items"), dict) and node["items"].get("properties"):
                yield from walk(node["items"], f"{path}[]")
    assert list(walk(load_schema(), "")) == []


def test_shipped_configs_validate(repo_root):
    for name in ("config.yaml", "smoke.yaml"):
        load_config(repo_root / "config" / name)


def test_the_paper_config_fine_tunes_imagenet_weights_after_the_head_warmup(repo_root):
    config = load_config(repo_root / "config" / "medical.yaml")  # dataset.download creates data/ when run
    for arch, cfg in config["medical"]["architectures"].items():
        assert cfg["model"]["weights"] == "imagenet" and cfg["head_warmup_epochs"] == 10, arch


def test_snakemake_refuses_a_bad_config_before_any_job(tmp_path, repo_root, base):
    bad = copy.deepcopy(base)
    bad["study"] = "bad_config_probe"
    bad["architectures"]["lenet5"]["train"]["lr"] = "fast"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(path), "--cores", "1"],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "architectures.lenet5.train.lr" in proc.stderr + proc.stdout
    assert not (repo_root / "results" / "bad_config_probe").exists()
