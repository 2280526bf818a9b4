"""Mu & Gilmer's MNIST-C corruptions (2019), written once from the definitions of google-research/mnist-c.

No maintained package ships them: `imagecorruptions` is ImageNet-C (RGB photographs, other parameters) and MNIST-C's
own corruptions.py is a script (Wand/ImageMagick, a pickled noise matrix, removed numpy/skimage APIs). Each
corruption here is a pure function ``f(images, severity, generator) -> images``: a batch [N, 1, H, W] of grey images
in [0, 1], a severity 1..5 and a torch.Generator that supplies every random draw (the same generator state gives the
same bytes). The output is float32 of the same shape in [0, 1]. The parameters per severity are MNIST-C's, tuned for
28x28 digits.

Eleven of MNIST-C's fifteen corruptions: shot_noise, impulse_noise, glass_blur, motion_blur, shear, scale, rotate,
brightness, translate, fog, spatter. Left out: stripe, dotted_line, zigzag and canny_edges, which MNIST-C defines
without a severity (one fixed form): in a benchmark of five severities they would repeat the same images five times.
(MNIST-C's 16th entry, identity, is the clean test set.)

Where the arithmetic differs from the reference code (the definitions' meaning does not):
- float throughout (the reference rounds through uint8 images in places);
- motion blur: ImageMagick's MotionBlurImage (a one-sided Gaussian kernel of width 2 radius + 1 along the angle,
  edge pixels outside the image) in numpy, instead of ImageMagick through Wand;
- shear, rotate, scale, translate: the MNIST-C-era skimage AffineTransform matrices (shear s: [[1, -sin s],
  [0, cos s]]) about the image centre, bilinear with zeros outside (skimage.transform.warp), via torch grid_sample;
- brightness: the reference's grey -> HSV -> V + c -> grey round trip, which is exactly clip(x + c, 0, 1) on grey
  images.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from scipy import ndimage
from torch.nn import functional as F

from ..errors import ConfigError, DataError

SEVERITIES = (1, 2, 3, 4, 5)
#: corruption(images [N, 1, H, W] in [0, 1], severity 1..5, generator) -> images
Corruption = Callable[[torch.Tensor, int, torch.Generator], torch.Tensor]


# --------------------------------------------------------------------------- helpers


def numpy_rng(generator: torch.Generator) -> np.random.Generator:
    """A numpy Generator seeded by one draw of `generator` (numpy/scipy code stays on the torch seed)."""
    return np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=generator, dtype=torch.int64)))


def _prepare(x: torch.Tensor, severity: int, name: str) -> np.ndarray:
    if x.ndim != 4 or x.shape[1] != 1:
        raise DataError(f"MNIST-C {name}: grey images [N, 1, H, W] expected, got shape {tuple(x.shape)}; MNIST-C is "
                        "defined for digits - corrupt colour MedMNIST data with perturbstudy.corruptions.medmnistc")
    if severity not in SEVERITIES:
        raise ConfigError(f"MNIST-C {name}: severity {severity!r} is not one of {list(SEVERITIES)}")
    return x.detach().to("cpu", torch.float64).numpy().copy()


def _finish(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.clip(a, 0.0, 1.0)).to(device=like.device, dtype=torch.float32)


def _gaussian(a: np.ndarray, sigma: float) -> np.ndarray:
    """skimage.filters.gaussian of every image (mode nearest, truncate 4), as the reference blurs."""
    return ndimage.gaussian_filter(a, sigma=(0, 0, sigma, sigma), mode="nearest", truncate=4.0)


def _warp(a: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """skimage.transform.warp(image, inverse_map=A) per image: output pixel (col, row) reads the input at
    A @ (col, row, 1), bilinear, zero outside. `inverse` is [N, 3, 3] in (col, row) coordinates."""
    n, _c, h, w = a.shape
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    src_x = inverse[:, 0, 0, None, None] * cols + inverse[:, 0, 1, None, None] * rows + inverse[:, 0, 2, None, None]
    src_y = inverse[:, 1, 0, None, None] * cols + inverse[:, 1, 1, None, None] * rows + inverse[:, 1, 2, None, None]
    grid = np.stack([2 * src_x / (w - 1) - 1, 2 * src_y / (h - 1) - 1], axis=-1)
    out = F.grid_sample(torch.from_numpy(a), torch.from_numpy(grid), mode="bilinear", padding_mode="zeros",
                        align_corners=True)
    return out.numpy()


def _about_centre(linear: np.ndarray, h: int, w: int) -> np.ndarray:
    """[N, 2, 2] linear maps -> [N, 3, 3] affine maps that keep the image centre fixed (MNIST-C's a3, b3)."""
    cx, cy = (w - 1) / 2, (h - 1) / 2
    out = np.zeros((linear.shape[0], 3, 3))
    out[:, :2, :2] = linear
    out[:, 0, 2] = cx - linear[:, 0, 0] * cx - linear[:, 0, 1] * cy
    out[:, 1, 2] = cy - linear[:, 1, 0] * cx - linear[:, 1, 1] * cy
    out[:, 2, 2] = 1.0
    return out


def _signs(rng: np.random.Generator, n: int) -> np.ndarray:
    """MNIST-C's random direction per image: -1 or +1."""
    return rng.choice(np.array([-1.0, 1.0]), size=n)


# --------------------------------------------------------------------------- noise


def shot_noise(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Poisson noise: Poisson(x c) / c with c = 60, 25, 12, 5, 3 photons per unit intensity."""
    a, rng = _prepare(x, severity, "shot_noise"), numpy_rng(generator)
    c = (60, 25, 12, 5, 3)[severity - 1]
    return _finish(rng.poisson(a * c) / c, x)


def impulse_noise(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Salt-and-pepper noise (skimage random_noise 's&p'): a share 0.03..0.27 of pixels set to 0 or 1, half each."""
    a, rng = _prepare(x, severity, "impulse_noise"), numpy_rng(generator)
    amount = (0.03, 0.06, 0.09, 0.17, 0.27)[severity - 1]
    flipped = rng.random(a.shape) <= amount
    salted = rng.random(a.shape) <= 0.5
    a[flipped & salted] = 1.0
    a[flipped & ~salted] = 0.0
    return _finish(a, x)


# --------------------------------------------------------------------------- blur


def glass_blur(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Gaussian blur, then pixels swapped with random neighbours within max_delta (iterations passes), blurred again."""
    a, rng = _prepare(x, severity, "glass_blur"), numpy_rng(generator)
    sigma, delta, iterations = ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2))[severity - 1]
    a = _gaussian(a, sigma)
    n, _c, h, w = a.shape
    for _ in range(iterations):  # the reference's sequential swaps, each drawn for every image of the batch at once
        for row in range(h - delta, delta, -1):
            for col in range(w - delta, delta, -1):
                swap = np.nonzero(rng.random(n) < 0.5)[0]
                dx, dy = rng.integers(-delta, delta, size=(2, n))
                if swap.size == 0:
                    continue
                r2, c2 = row + dy[swap], col + dx[swap]
                here = a[swap, :, row, col].copy()
                a[swap, :, row, col] = a[swap, :, r2, c2]
                a[swap, :, r2, c2] = here
    return _finish(_gaussian(a, sigma), x)


def motion_blur(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """ImageMagick motion blur (radius, sigma) = (10, 3), (15, 5), (15, 8), (15, 12), (20, 15) at a random angle
    in [-45, 45] degrees per image: a one-sided Gaussian kernel of width 2 radius + 1 along the angle."""
    a, rng = _prepare(x, severity, "motion_blur"), numpy_rng(generator)
    radius, sigma = ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))[severity - 1]
    n, _c, h, w = a.shape
    steps = np.arange(2 * radius + 1)
    kernel = np.exp(-steps.astype(np.float64) ** 2 / (2 * sigma**2))
    kernel /= kernel.sum()
    angle = np.deg2rad(rng.uniform(-45, 45, size=n))
    dcol = np.ceil(steps[None, :] * np.cos(angle)[:, None] - 0.5).astype(np.int64)  # [N, width]
    drow = np.ceil(steps[None, :] * np.sin(angle)[:, None] - 0.5).astype(np.int64)
    image = np.arange(n)[:, None, None]
    out = np.zeros((n, h, w))
    for j, weight in enumerate(kernel):
        rows = np.clip(np.arange(h)[None, :] + drow[:, j:j + 1], 0, h - 1)  # edge pixels outside the image
        cols = np.clip(np.arange(w)[None, :] + dcol[:, j:j + 1], 0, w - 1)
        out += weight * a[image, 0, rows[:, :, None], cols[:, None, :]]
    return _finish(out[:, None], x)


# --------------------------------------------------------------------------- geometric


def shear(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Shear by 0.2..1.0 (random direction) about the centre: skimage AffineTransform(shear=s) of MNIST-C's time."""
    a, rng = _prepare(x, severity, "shear"), numpy_rng(generator)
    s = (0.2, 0.4, 0.6, 0.8, 1.0)[severity - 1] * _signs(rng, a.shape[0])
    linear = np.zeros((a.shape[0], 2, 2))
    linear[:, 0, 0], linear[:, 0, 1], linear[:, 1, 1] = 1.0, -np.sin(s), np.cos(s)
    return _finish(_warp(a, _about_centre(linear, *a.shape[2:])), x)


def rotate(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Rotation by 0.2..1.0 radians (random direction) about the centre."""
    a, rng = _prepare(x, severity, "rotate"), numpy_rng(generator)
    r = (0.2, 0.4, 0.6, 0.8, 1.0)[severity - 1] * _signs(rng, a.shape[0])
    linear = np.stack([np.stack([np.cos(r), -np.sin(r)], -1), np.stack([np.sin(r), np.cos(r)], -1)], 1)
    return _finish(_warp(a, _about_centre(linear, *a.shape[2:])), x)


def scale(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Shrink about the centre to 0.9..0.5 of the size (inverse map scales by 1/0.9..1/0.5); no randomness."""
    a = _prepare(x, severity, "scale")
    factor = 1 / (0.9, 0.8, 0.7, 0.6, 0.5)[severity - 1]
    linear = np.broadcast_to(np.eye(2) * factor, (a.shape[0], 2, 2))
    return _finish(_warp(a, _about_centre(linear, *a.shape[2:])), x)


def translate(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Shift by 1..5 pixels along each axis, each direction random."""
    a, rng = _prepare(x, severity, "translate"), numpy_rng(generator)
    n = a.shape[0]
    shift = severity * _signs(rng, 2 * n).reshape(n, 2)
    inverse = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
    inverse[:, 0, 2], inverse[:, 1, 2] = shift[:, 0], shift[:, 1]
    return _finish(_warp(a, inverse), x)


# --------------------------------------------------------------------------- weather and digital


def brightness(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Brightness + 0.1..0.5 (HSV value of a grey image = its grey level); deterministic."""
    a = _prepare(x, severity, "brightness")
    return _finish(a + (0.1, 0.2, 0.3, 0.4, 0.5)[severity - 1], x)


def plasma_fractal(n: int, rng: np.random.Generator, mapsize: int = 256, wibbledecay: float = 3.0) -> np.ndarray:
    """n diamond-square height maps [n, mapsize, mapsize] in [0, 1] (MNIST-C's and ImageNet-C's fog layer)."""
    if mapsize & (mapsize - 1):
        raise ConfigError(f"plasma_fractal: mapsize {mapsize} must be a power of two")
    m = np.zeros((n, mapsize, mapsize))
    step, wibble = mapsize, 100.0

    def wibbled_mean(array: np.ndarray) -> np.ndarray:
        return array / 4 + wibble * rng.uniform(-wibble, wibble, array.shape)

    while step >= 2:
        half = step // 2
        corners = m[:, 0::step, 0::step]
        squares = corners + np.roll(corners, -1, axis=1)
        squares = squares + np.roll(squares, -1, axis=2)
        m[:, half::step, half::step] = wibbled_mean(squares)
        centres = m[:, half::step, half::step]
        corners = m[:, 0::step, 0::step]
        left = centres + np.roll(centres, 1, axis=1) + corners + np.roll(corners, -1, axis=2)
        m[:, 0::step, half::step] = wibbled_mean(left)
        top = centres + np.roll(centres, 1, axis=2) + corners + np.roll(corners, -1, axis=1)
        m[:, half::step, 0::step] = wibbled_mean(top)
        step, wibble = half, wibble / wibbledecay
    m -= m.min(axis=(1, 2), keepdims=True)
    return m / m.max(axis=(1, 2), keepdims=True)


def fog(x: torch.Tensor, severity: int, generator: torch.Generator, chunk: int = 32) -> torch.Tensor:
    """Plasma-fractal fog of strength 1.5..3 (256x256 map, top-left corner), contrast rescaled by max / (max + c)."""
    a, rng = _prepare(x, severity, "fog"), numpy_rng(generator)
    strength, decay = ((1.5, 2.0), (2.0, 2.0), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4))[severity - 1]
    n, _c, h, w = a.shape
    mapsize = max(256, 1 << math.ceil(math.log2(max(h, w))))
    layer = np.concatenate([plasma_fractal(min(chunk, n - i), rng, mapsize, decay)[:, :h, :w]
                            for i in range(0, n, chunk)]) if n else np.zeros((0, h, w))
    top = a.max(axis=(1, 2, 3), keepdims=True)
    return _finish((a + strength * layer[:, None]) * top / (top + strength), x)


def spatter(x: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Mud spatter: a thresholded, blurred Gaussian liquid layer whose dense parts become grey 63/255 blots."""
    a, rng = _prepare(x, severity, "spatter"), numpy_rng(generator)
    loc, spread, sigma, threshold, mask_sigma = ((0.65, 0.3, 4, 0.69, 0.6), (0.65, 0.3, 3, 0.68, 0.6),
                                                 (0.65, 0.3, 2, 0.68, 0.5), (0.65, 0.3, 1, 0.65, 1.5),
                                                 (0.67, 0.4, 1, 0.65, 1.5))[severity - 1]
    liquid = _gaussian(rng.normal(loc, spread, size=a.shape), sigma)
    liquid[liquid < threshold] = 0
    mask = _gaussian((liquid > threshold).astype(np.float64), mask_sigma)
    mask[mask < 0.8] = 0
    return _finish(a * (1 - mask) + 63 / 255 * mask, x)


# --------------------------------------------------------------------------- registry

MNISTC: dict[str, Corruption] = {
    "shot_noise": shot_noise,
    "impulse_noise": impulse_noise,
    "glass_blur": glass_blur,
    "motion_blur": motion_blur,
    "shear": shear,
    "scale": scale,
    "rotate": rotate,
    "brightness": brightness,
    "translate": translate,
    "fog": fog,
    "spatter": spatter,
}
#: MNIST-C corruption families (for figures of accuracy vs severity per family)
MNISTC_FAMILIES = {"noise": ("shot_noise", "impulse_noise"), "blur": ("glass_blur", "motion_blur"),
                   "geometric": ("shear", "scale", "rotate", "translate"),
                   "weather": ("brightness", "fog", "spatter")}


def mnistc_corruptions() -> tuple[str, ...]:
    """Names of the MNIST-C corruptions implemented here, in MNIST-C's order."""
    return tuple(MNISTC)


def apply_mnistc(images: torch.Tensor, corruption: str, severity: int, generator: torch.Generator) -> torch.Tensor:
    """One MNIST-C corruption at one severity on a batch of grey images in [0, 1]."""
    if corruption not in MNISTC:
        raise ConfigError(f"unknown MNIST-C corruption {corruption!r}; choose from {list(MNISTC)}")
    return MNISTC[corruption](images, severity, generator)
