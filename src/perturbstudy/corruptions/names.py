"""The corruption names of each suite, without torch or the optional medmnistc package.

The workflow needs a suite's corruption names when Snakemake parses it (one benchmark job per corruption) and the
config checks need them before any job runs; neither may require the optional `medmnistc` package (whose registry
imports torchvision and ImageMagick's Wand). So the names are listed here: MNIST-C's as implemented in
`corruptions.mnistc`, MedMNIST-C's per dataset as medmnistc 0.1.0 defines them
(`medmnistc.corruptions.registry.CORRUPTIONS_DS`). Tests check both lists against their sources; the benchmark
itself always runs the package's own corruption objects (`corruptions.medmnistc`).
"""

from __future__ import annotations

from ..errors import ConfigError

#: the suites of `corruptions.benchmark`
SUITES = ("mnistc", "medmnistc")
#: `corruptions.mnistc.MNISTC`'s keys, in its order
MNISTC_NAMES = ("shot_noise", "impulse_noise", "glass_blur", "motion_blur", "shear", "scale", "rotate", "brightness",
                "translate", "fog", "spatter")
_XRAY = ("pixelate", "jpeg_compression", "gaussian_noise", "speckle_noise", "impulse_noise", "shot_noise",
         "gaussian_blur", "brightness_up", "brightness_down", "contrast_up", "contrast_down", "gamma_corr_up",
         "gamma_corr_down")
_MICROSCOPY = ("pixelate", "jpeg_compression", "defocus_blur", "motion_blur", "brightness_up", "brightness_down",
               "contrast_up", "contrast_down", "saturate", "stain_deposit", "bubble")
#: MedMNIST-C (medmnistc 0.1.0): each MedMNIST 2D dataset's corruptions, in the package's order
MEDMNISTC_NAMES: dict[str, tuple[str, ...]] = {
    "pathmnist": _MICROSCOPY,
    "bloodmnist": _MICROSCOPY,
    "dermamnist": ("pixelate", "jpeg_compression", "gaussian_noise", "speckle_noise", "impulse_noise", "shot_noise",
                   "defocus_blur", "motion_blur", "zoom_blur", "brightness_up", "brightness_down", "contrast_up",
                   "contrast_down", "black_corner", "characters"),
    "retinamnist": ("pixelate", "jpeg_compression", "gaussian_noise", "speckle_noise", "defocus_blur", "motion_blur",
                    "brightness_down", "contrast_down"),
    "tissuemnist": ("pixelate", "jpeg_compression", "impulse_noise", "gaussian_blur", "brightness_up",
                    "brightness_down", "contrast_up", "contrast_down"),
    "octmnist": ("pixelate", "jpeg_compression", "speckle_noise", "defocus_blur", "motion_blur", "contrast_down"),
    "breastmnist": ("pixelate", "jpeg_compression", "speckle_noise", "motion_blur", "brightness_up",
                    "brightness_down", "contrast_down"),
    "chestmnist": _XRAY,
    "pneumoniamnist": _XRAY,
    "organamnist": _XRAY,
    "organcmnist": _XRAY,
    "organsmnist": _XRAY,
}
#: MedMNIST-C's image side (`corruptions.medmnistc.WORK_SIZE`)
MEDMNISTC_SIZE = 224


def corruption_names(suite: str, dataset: str | None = None) -> tuple[str, ...]:
    """Every corruption of a suite: MNIST-C's eleven, or MedMNIST-C's of the MedMNIST `dataset`."""
    if suite == "mnistc":
        return MNISTC_NAMES
    if suite != "medmnistc":
        raise ConfigError(f"unknown corruption suite {suite!r}; choose from {list(SUITES)}")
    if dataset not in MEDMNISTC_NAMES:
        raise ConfigError(f"MedMNIST-C has no corruptions for {dataset!r}; it covers {sorted(MEDMNISTC_NAMES)}")
    return MEDMNISTC_NAMES[dataset]
