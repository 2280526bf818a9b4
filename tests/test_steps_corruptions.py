"""The `medical.corruptions` section: its cross-key checks, the corruptions it names, and the rules' step params
(the MedMNIST-C policy's methods carry the dataset's name, other runs' params are unchanged)."""

from __future__ import annotations

import copy

import pytest
import yaml

from perturbstudy.config import validate_config
from perturbstudy.contract import step_params
from perturbstudy.corruptions.names import MEDMNISTC_NAMES, MNISTC_NAMES
from perturbstudy.errors import ConfigError
from perturbstudy.robust_training.settings import medical_corruptions


@pytest.fixture
def smoke(repo_root):
    return yaml.safe_load((repo_root / "config" / "smoke.yaml").read_text())


def _medmnist(config, tmp_path, name="breastmnist", size=224, **corruptions):
    """The smoke config with a MedMNIST medical dataset (downloaded when run) and a MedMNIST-C benchmark."""
    config = copy.deepcopy(config)
    config["medical"]["dataset"] = {"name": name, "root": str(tmp_path / "data"), "download": True, "size": size}
    config["medical"]["corruptions"] = {"suite": "medmnistc", **corruptions}
    return config


def test_smoke_benchmark_params_and_corruptions(smoke):
    config = validate_config(smoke)
    assert medical_corruptions(config["medical"]) == ["shot_noise", "rotate"]
    params = step_params("corruption_benchmark", config, {"corruption": "rotate"})
    assert params == {"corruption": "rotate", "seed": 0, "severities": [1, 5], "suite": "mnistc"}  # no dataset
    wc = {"arch": "lenet5", "method": "rtda_augmix", "seed": "0"}
    assert step_params("corruption_evaluate", config, wc) == {**wc, "seed": 0, "eval_batch_size": 256}
    assert "dataset" not in step_params("medical_train", config, wc)
    claims = step_params("rtda_claims", config, {})
    assert (claims["table2_attack"], claims["suite"], claims["methods"][-1]) == ("5-PGD", "mnistc", "rtda_augmix")
    config["medical"]["corruptions"]["severities"] = [5, 1]  # the order of the list reruns nothing
    assert step_params("corruption_benchmark", config, {"corruption": "rotate"}) == params


def test_without_the_section_there_are_no_corruptions(smoke):
    del smoke["medical"]["corruptions"]
    assert medical_corruptions(validate_config(smoke)["medical"]) == []
    smoke["medical"]["corruptions"] = None
    assert medical_corruptions(validate_config(smoke)["medical"]) == []


def test_medmnistc_takes_every_corruption_of_the_dataset_and_its_name(smoke, tmp_path):
    config = validate_config(_medmnist(smoke, tmp_path))
    assert config["medical"]["corruptions"]["severities"] == [1, 2, 3, 4, 5]  # defaults
    assert medical_corruptions(config["medical"]) == list(MEDMNISTC_NAMES["breastmnist"])
    params = step_params("corruption_benchmark", config, {"corruption": "speckle_noise"})
    assert params["dataset"] == "breastmnist" and params["suite"] == "medmnistc"
    config["medical"]["methods"] = ["std", "dpaat", "rtda_medmnistc"]
    config = validate_config(config)
    wc = {"arch": "lenet5", "method": "rtda_medmnistc", "seed": "0"}
    assert step_params("medical_train", config, wc)["dataset"] == "breastmnist"
    assert "dataset" not in step_params("medical_train", config, {**wc, "method": "std"})


@pytest.mark.parametrize("change, match", [
    (lambda c, t: c["medical"].update(_medmnist(c, t, size=28)["medical"]),
     r"medical.corruptions.suite: the medmnistc suite needs the 224x224 .* set medical.dataset.size: 224"),
    (lambda c, t: c["medical"].update({"corruptions": {"suite": "medmnistc"}}),
     r"medical.corruptions.suite: .*MedMNIST-C has none for 'mnist5k'"),
    (lambda c, t: c["medical"].update(_medmnist(c, t, name="dermamnist")["medical"],
                                      corruptions={"suite": "mnistc"}),
     r"medical.corruptions.suite: mnistc \(MNIST-C\) is defined for 1x28x28 grey digits, but .*3x224x224"),
    (lambda c, t: c["medical"]["corruptions"].update({"corruptions": ["shot_noise", "zoom_blur"]}),
     r"medical.corruptions.corruptions: \['zoom_blur'\] are not mnistc corruptions"),
    (lambda c, t: c["medical"].update({"methods": ["std", "dpaat", "at_medmnistc"]}),
     r"medical.methods: \['at_medmnistc'\] .*MedMNIST-C has none for 'mnist5k'"),
    (lambda c, t: c["medical"]["corruptions"].update({"severities": [0, 1]}), r"medical.corruptions.severities"),
    (lambda c, t: c["corruptions"].update({"corruptions": ["zoom_blur"]}),
     r"^corruptions.corruptions: \['zoom_blur'\] are not mnistc corruptions of mnist5k"),
    (lambda c, t: c["corruptions"].update({"suite": "medmnistc"}), r"corruptions.suite"),
])
def test_inconsistent_corruption_settings_are_refused(smoke, tmp_path, change, match):
    change(smoke, tmp_path)
    with pytest.raises(ConfigError, match=match):
        validate_config(smoke)


def test_study_corruptions_params_list_every_model_of_the_seed(smoke):
    """study_corruption_evaluate's params name each model of the seed with its set's factor levels; null
    corruptions means all of MNIST-C."""
    from perturbstudy.perturbation.grid import training_sets
    from perturbstudy.robust_training.settings import section_corruptions

    config = validate_config(smoke)
    params = step_params("study_corruption_evaluate", config, {"seed": "0"})
    sets = training_sets(list(config["architectures"]), config["series"])
    assert [(m["arch"], m["series"], m["setid"]) for m in params["models"]] == [(t.arch, t.series, t.setid)
                                                                            for t in sets]
    assert params["models"][1]["factors"]["gaussian"] == 2.0 and params["seed"] == 0
    assert section_corruptions({**config["corruptions"], "corruptions": None}, "mnist5k") == list(MNISTC_NAMES)
