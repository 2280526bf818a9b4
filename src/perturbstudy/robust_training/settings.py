"""Cross-key checks of the `medical` config section (the schema checks each key alone)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def check_pretrained(med: dict[str, Any]) -> None:
    """Pretrained weights and the head warm-up only for the torchvision CNNs; a local weights file must exist."""
    for arch, cfg in med.get("architectures", {}).items():
        key = f"medical.architectures.{arch}"
        weights = (cfg.get("model") or {}).get("weights")
        if arch in MNIST_CNNS and (weights or cfg.get("head_warmup_epochs")):
            raise ConfigError(f"{key}: {arch} has no pretrained weights and no replaceable head; remove model.weights "
                              "and head_warmup_epochs (they are for the six torchvision CNNs)")
        if weights and weights != "imagenet" and not Path(weights).is_file():
            raise ConfigError(f"{key}.model.weights: {weights} is not a file; point it at a torchvision ImageNet "
                              "state-dict .pth (downloaded where there is network), use imagenet to let torchvision "
                              "download it, or null to train from scratch")


#: methods trained next to copies made by the STD model of the same CNN and seed (Pervin et al.)
SOURCE_METHODS = ("fgsm_aug", "invfgsm_aug")


def check_medical(med: dict[str, Any]) -> None:
    """Raise ConfigError naming the key when medical settings disagree with each other."""
    augmenting = [m for m in med.get("methods", []) if m in SOURCE_METHODS]
    if augmenting and "std" not in med.get("methods", []):
        raise ConfigError(f"medical.methods: {augmenting} augment with copies made by the STD model of the same CNN "
                          "and seed; add 'std' to medical.methods")
    check_pretrained(med)
    names = [a["name"] for a in med.get("attacks", [])]
    if len(set(names)) != len(names):
        raise ConfigError(f"medical.attacks: attack names must be unique, got {names}")
    if "clean" in names:
        raise ConfigError("medical.attacks: 'clean' is reserved for the unattacked test set; rename the attack")
    for attack in med.get("attacks", []):
        stated = re.match(r"(\d+)-", attack["name"])
        if stated and "steps" in attack and int(stated.group(1)) != attack["steps"]:
            raise ConfigError(f"medical.attacks: {attack['name']!r} names {stated.group(1)} steps but runs "
                              f"{attack['steps']}; rename it (e.g. '{attack['steps']}-...') or change its steps")
    if med.get("table2_attack") not in names:
        raise ConfigError(f"medical.table2_attack: {med.get('table2_attack')!r} is not one of medical.attacks {names}")
    methods = med.get("methods", [])
    missing = [m for m in med.get("gradcam", {}).get("methods", []) if m not in methods]
    if missing:
        raise ConfigError(f"medical.gradcam.methods: {missing} are not in medical.methods {methods}")
    if "ablation_architectures" in med:
        raise ConfigError("medical.ablation_architectures: replaced by the section medical.ablation, the ablation's "
                          "own runs: `ablation: {architectures: [...], methods: [at, da, db, dpaat], "
                          "train: {batch_size: 64, max_epochs: 100}}` (config/README.md, Medical); move the CNNs "
                          "to medical.ablation.architectures")
    ablation = med.get("ablation")
    if ablation:
        unknown = [a for a in ablation["architectures"] if a not in med["architectures"]]
        if unknown:
            raise ConfigError(f"medical.ablation.architectures: {unknown} are not in medical.architectures "
                              f"{list(med['architectures'])}, which give each CNN its model settings; add them "
                              "there or remove them here")
    check_corruptions(med)
    training = med.get("training", {})
    eps = training.get("adversary", {}).get("eps", 0.3)
    for name in ("amat", "dpaat"):
        group = training.get(name, {})
        eps_max = 2 * eps if group.get("eps_max") is None else group["eps_max"]
        if group.get("eps_min", 0.0) > eps_max:
            raise ConfigError(f"medical.training.{name}: eps_min {group.get('eps_min')} exceeds eps_max {eps_max} "
                              "(null eps_max means 2 x adversary.eps); lower eps_min or raise eps_max")


#: methods whose augmentation policy is MedMNIST-C's (its rule's params carry the medical dataset's name)
DATASET_METHODS = ("medmnistc", "at_medmnistc", "rtda_medmnistc")


def _image_shape(dataset: dict[str, Any]) -> tuple[int, int]:
    """(channels, side) of a dataset section's images."""
    from ..data import REGISTRY

    spec = REGISTRY[dataset["name"]]
    return spec.channels, int(dataset.get("size", 28)) if spec.sized else 28


def _check_medmnistc(dataset: dict[str, Any], key: str, what: str) -> None:
    from ..corruptions.names import MEDMNISTC_NAMES, MEDMNISTC_SIZE

    name = dataset["name"]
    if name not in MEDMNISTC_NAMES:
        raise ConfigError(f"{key}: {what} uses MedMNIST-C's corruptions of the medical dataset, but MedMNIST-C has "
                          f"none for {name!r}; use a dataset it covers ({', '.join(sorted(MEDMNISTC_NAMES))}) or "
                          "another suite / policy (mnistc for 28x28 grey digits; augmix, randaugment)")
    side = _image_shape(dataset)[1]
    if side != MEDMNISTC_SIZE:
        raise ConfigError(f"{key}: {what} needs the {MEDMNISTC_SIZE}x{MEDMNISTC_SIZE} MedMNIST+ images (its "
                          f"parameters are pixel sizes at that resolution), but medical.dataset.size is {side}; set "
                          f"medical.dataset.size: {MEDMNISTC_SIZE}")


def check_corruptions(med: dict[str, Any]) -> None:
    """The corruption suite fits the medical dataset's images, its corruptions exist, and the MedMNIST-C policy
    methods have a MedMNIST-C dataset at 224x224."""
    dataset = med.get("dataset") or {}
    policy_methods = [m for m in med.get("methods", []) if m in DATASET_METHODS]
    if policy_methods and dataset:
        _check_medmnistc(dataset, "medical.methods", f"{policy_methods} (MedMNIST-C's training augmentation)")
    if med.get("corruptions") and dataset:
        check_corruption_section(med["corruptions"], dataset, "medical.corruptions", "medical.dataset")


def check_corruption_section(corr: dict[str, Any], dataset: dict[str, Any], key: str, dataset_key: str) -> None:
    """A corruption benchmark section (`medical.corruptions`, or the MNIST study's top-level `corruptions`): its
    suite fits the dataset's images and its corruptions exist."""
    from ..corruptions.names import corruption_names

    suite = corr["suite"]
    if suite == "mnistc":
        channels, side = _image_shape(dataset)
        if (channels, side) != (1, 28):
            raise ConfigError(f"{key}.suite: mnistc (MNIST-C) is defined for 1x28x28 grey digits, but "
                              f"{dataset_key} {dataset['name']!r} gives {channels}x{side}x{side} images; use "
                              "suite: medmnistc with a MedMNIST dataset at size 224, or a grey dataset at 28x28")
    else:
        _check_medmnistc(dataset, f"{key}.suite", "the medmnistc suite")
    known = corruption_names(suite, dataset["name"])
    unknown = [c for c in corr.get("corruptions") or [] if c not in known]
    if unknown:
        raise ConfigError(f"{key}.corruptions: {unknown} are not {suite} corruptions of "
                          f"{dataset['name']}; choose from {list(known)}, or null for all of them")


def medical_corruptions(med: dict[str, Any]) -> list[str]:
    """The corruptions of the benchmark (`medical.corruptions`): its list, or every corruption of its suite (for
    medmnistc: of the medical dataset); none without the section."""
    med = med or {}
    return section_corruptions(med.get("corruptions"), (med.get("dataset") or {}).get("name"))


def section_corruptions(corr: dict[str, Any] | None, dataset: str | None) -> list[str]:
    """The corruptions of a benchmark section: its list, or every corruption of its suite (for medmnistc: of
    `dataset`); none without the section."""
    if not corr:
        return []
    if corr.get("corruptions"):
        return list(corr["corruptions"])
    from ..corruptions.names import corruption_names

    return list(corruption_names(corr["suite"], dataset))


#: the architectures without ImageNet weights or a replaceable head (perturbstudy.models.mnist_cnns)
MNIST_CNNS = ("lenet5", "alexnet8")
# The `medical.training` keys each method reads (its rule's params carry exactly these).
METHOD_SETTINGS: dict[str, tuple[str, ...]] = {
    "std": (),
    "at": ("adversary",),
    "sat": ("adversary", "alpha"),
    "amat": ("adversary", "amat"),
    "dpaat": ("adversary", "alpha", "beta", "dpaat"),
    "da": ("adversary", "alpha", "beta", "dpaat"),
    "db": ("adversary", "alpha", "beta", "dpaat"),
    "fgsm_aug": ("sign_augmentation",),  # Pervin et al.: copies made by the STD model (sign_augmentation)
    "invfgsm_aug": ("sign_augmentation",),
    # robust_training.rtda: augmentation alone, AT + augmentation side by side (alpha), RTDA (rtda.adv_weight); each
    # reads its policy's settings (augmix, randaugment; medmnistc has none - it takes the medical dataset's name)
    "augmix": ("augmix",),
    "randaugment": ("randaugment",),
    "medmnistc": (),
    "at_augmix": ("adversary", "alpha", "augmix"),
    "at_randaugment": ("adversary", "alpha", "randaugment"),
    "at_medmnistc": ("adversary", "alpha"),
    "rtda_augmix": ("adversary", "rtda", "augmix"),
    "rtda_randaugment": ("adversary", "rtda", "randaugment"),
    "rtda_medmnistc": ("adversary", "rtda"),
}


def medical_runs(med: dict[str, Any], seeds: list[int]) -> list[tuple[str, str, int]]:
    """Every (architecture, method, seed) of the medical runs of a `medical` section."""
    methods = (med or {}).get("methods", [])
    return [(a, m, int(s)) for a in (med or {}).get("architectures", {}) for m in methods for s in seeds]


def ablation_runs(med: dict[str, Any], seeds: list[int]) -> list[tuple[str, str, int]]:
    """Every (architecture, method, seed) of the ablation runs (`medical.ablation`); none without the section."""
    ablation = (med or {}).get("ablation") or {}
    return [(a, m, int(s)) for a in ablation.get("architectures", []) for m in ablation.get("methods", [])
            for s in seeds]


def ablation_train(med: dict[str, Any], arch: str) -> dict[str, Any]:
    """The training settings of an ablation run of `arch`: the CNN's `medical.architectures.<arch>.train`, each key
    of `medical.ablation.train` replacing its value (the paper's ablation: batch 64, 100 epochs)."""
    return {**med["architectures"][arch]["train"], **(med.get("ablation") or {}).get("train", {})}
