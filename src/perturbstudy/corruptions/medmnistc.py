"""MedMNIST-C (Di Salvo et al. 2024): dataset-specific corruptions and training augmentations via `medmnistc`.

`medmnistc` is an optional extra (``pip install 'perturbstudy[corruptions]'``); its filters import Wand, which needs
ImageMagick's MagickWand library (Debian/Ubuntu: ``apt-get install libmagickwand-6.q16-6``; conda:
``conda install -c conda-forge imagemagick``; macOS: ``brew install imagemagick``). Without them every function
here raises a DependencyError that says so.

The package's corruption objects (``medmnistc.corruptions.registry.CORRUPTIONS_DS``) are used as they are, on the
package's own terms: uint8 RGB PIL images of 224x224 (MedMNIST-C is defined on the 224x224 MedMNIST+ images; its
parameters are pixel sizes for that resolution, and several corruptions fail on smaller images), grey datasets
converted to RGB and back to grey (PIL 'L') as its DatasetManager does. Severity s (1..5) is the package's index
s - 1. Two adaptations, neither changing a corruption:
- determinism: the package draws from numpy's and Python's global RNGs; every call here seeds both from one draw of
  the caller's torch.Generator and restores their states afterwards (and seeds ImpulseNoise's own `rng`, as the
  package's DatasetManager does);
- motion_blur: medmnistc 0.1.0 decodes ImageMagick's output with ``np.fromstring``, removed in NumPy 2, so the same
  steps (PNG -> MagickMotionBlurImage with the package's radius/sigma and an angle in [-45, 45] -> decode) run here
  with ``np.frombuffer``.
"""

from __future__ import annotations

import functools
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError, DataError, DependencyError
from .mnistc import SEVERITIES

#: MedMNIST-C's image side: its corruption parameters are defined for the 224x224 MedMNIST+ images
WORK_SIZE = 224
INSTALL = ("pip install 'perturbstudy[corruptions]' (medmnistc, Wand) and ImageMagick's MagickWand library: "
           "apt-get install libmagickwand-6.q16-6 (Debian/Ubuntu), conda install -c conda-forge imagemagick, or "
           "brew install imagemagick (macOS)")


def _conda_magick_home() -> None:
    """Point Wand at ImageMagick installed into this Python's prefix (conda-forge `imagemagick` puts libMagickWand in
    sys.prefix/lib, where Wand only looks when MAGICK_HOME says so); a MAGICK_HOME already set is kept."""
    lib = Path(sys.prefix, "lib")
    found = any(lib.glob("libMagickWand*.so*")) or any(lib.glob("libMagickWand*.dylib"))
    if "MAGICK_HOME" not in os.environ and found:
        os.environ["MAGICK_HOME"] = sys.prefix


def _registry() -> dict[str, dict[str, Any]]:
    _conda_magick_home()
    try:
        from medmnistc.corruptions.registry import CORRUPTIONS_DS
    except ImportError as exc:  # medmnistc missing, or Wand without ImageMagick's MagickWand library
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DependencyError(f"MedMNIST-C corruptions need the medmnistc package and ImageMagick ({first}); "
                              f"install them: {INSTALL}") from exc
    return CORRUPTIONS_DS


def medmnistc_unavailable() -> str | None:
    """Why MedMNIST-C cannot run here (package or ImageMagick missing), or None when it can."""
    try:
        _registry()
    except DependencyError as exc:
        return str(exc)
    return None


def medmnistc_datasets() -> tuple[str, ...]:
    """The MedMNIST 2D datasets MedMNIST-C defines corruptions for."""
    return tuple(_registry())


def medmnistc_corruptions(dataset: str) -> tuple[str, ...]:
    """Names of MedMNIST-C's corruptions of `dataset` (e.g. dermamnist: pixelate, jpeg_compression, ...)."""
    return tuple(_corruptors(dataset))


@functools.cache
def _corruptors(dataset: str) -> dict[str, Any]:
    """The package's corruption objects of `dataset`, its motion blur replaced by the NumPy-2-safe one."""
    registry = _registry()
    if dataset not in registry:
        raise ConfigError(f"MedMNIST-C has no corruptions for {dataset!r}; it covers {sorted(registry)}")
    from medmnistc.corruptions.filter import MotionBlur

    class NumpyTwoMotionBlur(MotionBlur):
        """medmnistc's MotionBlur.apply with np.frombuffer for the removed np.fromstring (same steps otherwise)."""

        def apply(self, img, severity=-1, augmentation=False):
            import cv2
            from wand.image import Image as WandImage

            if augmentation:
                (r_min, s_min), (r_max, s_max) = self.severity_params[0], self.severity_params[-1]
                radius, sigma = np.random.uniform(r_min, r_max), np.random.uniform(s_min, s_max)
            else:
                radius, sigma = self.severity_params[severity]
            png = BytesIO()
            img.save(png, format="PNG")
            with WandImage(blob=png.getvalue()) as image:
                image.motion_blur(radius=radius, sigma=sigma, angle=np.random.uniform(-45, 45))
                blob = image.make_blob()
            out = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_UNCHANGED)
            out = np.stack([out] * 3, axis=-1) if out.ndim == 2 else out[..., [2, 1, 0]]  # grey, or BGR -> RGB
            return np.clip(out, 0, 255).astype(np.uint8)

    return {name: NumpyTwoMotionBlur(c.severity_params) if isinstance(c, MotionBlur) else c
            for name, c in registry[dataset].items()}


@contextmanager
def _global_rngs(seed: int) -> Iterator[None]:
    """numpy's and Python's global RNGs seeded for the block, their states restored after it."""
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(seed % 2**32)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def _pil_images(images: torch.Tensor, name: str) -> list[Any]:
    """[N, C, H, W] in [0, 1] -> RGB PIL images (uint8, rounded), checked for MedMNIST-C's 224x224 size."""
    from PIL import Image

    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise DataError(f"MedMNIST-C {name}: images [N, 1 or 3, H, W] expected, got shape {tuple(images.shape)}")
    if tuple(images.shape[2:]) != (WORK_SIZE, WORK_SIZE):
        raise DataError(f"MedMNIST-C {name}: images of {images.shape[2]}x{images.shape[3]}, but MedMNIST-C's "
                        f"corruption parameters are defined for the {WORK_SIZE}x{WORK_SIZE} MedMNIST+ images (some "
                        f"fail on smaller ones); load the dataset at dataset.size: {WORK_SIZE}")
    arrays = (images.detach().cpu().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return [Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a).convert("RGB") for a in arrays]


def _tensor(outputs: list[Any], like: torch.Tensor) -> torch.Tensor:
    """The package's uint8 RGB outputs -> float32 [N, C, H, W] in [0, 1]; grey datasets through PIL 'L'."""
    from PIL import Image

    grey = like.shape[1] == 1
    arrays = [np.asarray(Image.fromarray(np.asarray(o, dtype=np.uint8)).convert("L" if grey else "RGB"))
              for o in outputs]
    stacked = np.stack(arrays)[:, None] if grey else np.stack(arrays).transpose(0, 3, 1, 2)
    return torch.from_numpy(stacked.astype(np.float32) / 255.0).to(like.device)


def _seed(generator: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=generator, dtype=torch.int64))


def apply_medmnistc(images: torch.Tensor, dataset: str, corruption: str, severity: int,
                    generator: torch.Generator) -> torch.Tensor:
    """MedMNIST-C's `corruption` of `dataset` at `severity` (1..5) on 224x224 images in [0, 1], seeded."""
    corruptors = _corruptors(dataset)
    if corruption not in corruptors:
        raise ConfigError(f"MedMNIST-C {dataset} has no corruption {corruption!r}; choose from {list(corruptors)}")
    if severity not in SEVERITIES:
        raise ConfigError(f"MedMNIST-C {corruption}: severity {severity!r} is not one of {list(SEVERITIES)}")
    pils, seed = _pil_images(images, corruption), _seed(generator)
    corruptor = corruptors[corruption]
    with _global_rngs(seed):
        corruptor.rng = np.random.default_rng(seed)  # ImpulseNoise's generator (the DatasetManager sets it too)
        outputs = [corruptor.apply(img, severity - 1) for img in pils]
    return _tensor(outputs, images)


def augment_medmnistc(images: torch.Tensor, dataset: str, generator: torch.Generator) -> torch.Tensor:
    """MedMNIST-C's training augmentation (AugMedMNISTC) per image: one of `dataset`'s corruptions or identity,
    uniformly, at an intensity drawn uniformly between its severity-1 and severity-5 parameters; seeded."""
    from medmnistc.augmentation import AugMedMNISTC

    augment = AugMedMNISTC(_corruptors(dataset))
    pils, seed = _pil_images(images, "augmentation"), _seed(generator)
    with _global_rngs(seed):
        outputs = [augment(img) for img in pils]
    return _tensor(outputs, images)
