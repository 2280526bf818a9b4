"""The project's only attack implementations: FGSM (sign) and inverse FGSM, FGSM-L2, I-FGSM, PGD in Linf and
L2, and the boundary-stopping L2 PGD of AMAT's margin search. The loss defaults to cross-entropy at labels;
`loss=` gives another (e.g. segmentation's pixel-wise loss against masks).

Style after torchattacks: ``atk = PGDL2(model, eps=..., alpha=..., steps=...)`` then
``x_adv = atk(x, y)``. Every attack

- generates in eval mode and restores every module's previous mode afterwards (one place:
  `runtime.eval_mode`), so adversarial training can call it mid-epoch;
- takes input gradients with `torch.autograd.grad` only, so parameters' ``.grad`` is never touched;
- accepts ``eps`` and ``alpha`` as Python scalars or per-sample tensors of shape [N];
- clips to the box ``clip`` (default [0, 1]);
- works in batches of ``batch_size`` on the model's device and returns images on the input's device;
- for random starts draws from an explicit ``torch.Generator`` (on the CPU, so CPU and GPU agree).

FGSM variants: `FGSM` is the sign step x + eps * sign(grad) (Goodfellow et al.; the Linf attack,
used by the white-box evaluation's Linf setting and by adversarial-training rules that say
"FGSM"). `FGSML2` is the L2-normalised-gradient step x + eps * grad / ||grad||_2 (ART's
FastGradientMethod with norm=2). The equal-L2 FGSM *benchmark* uses neither scale rule: it
takes the sign direction from `input_gradient` and calibrates the scale to the exact L2 level
(see `perturbstudy.equal_l2.benchmarks`).

PGD follows ART's update order: step, clip to the box, project onto the eps-ball around x
(the projection of a point in the box stays in the box, because the box is convex).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .errors import ConfigError
from .runtime import eval_mode

Scalar = float | int
EpsLike = Scalar | torch.Tensor


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a parameterless model)."""
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


#: loss(outputs, targets) -> a scalar that sums the per-sample losses (so gradients carry no 1/N factor)
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def cross_entropy_sum(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The classifiers' attack loss: cross-entropy at label y, summed over the batch."""
    return F.cross_entropy(logits, y, reduction="sum")


def _loss_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: LossFn | None = None) -> torch.Tensor:
    """Per-sample gradient of the loss (default: cross-entropy) wrt the input (sum reduction: no 1/N factor)."""
    return _loss_gradient_and_logits(model, x, y, loss)[0]


def _loss_gradient_and_logits(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                              loss: LossFn | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`_loss_gradient` and the model outputs of the same forward pass (detached)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        (grad,) = torch.autograd.grad((loss or cross_entropy_sum)(logits, y), x)
    return grad.detach(), logits.detach()


def input_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Gradient of the cross-entropy at label y wrt the input, in eval mode, batched; mode restored.

    Row i is the gradient of sample i's own loss (not divided by the batch size). Parameters'
    gradients are never accumulated. The result is float32 on `x`'s device.
    """
    _check_xy(x, y)
    device = model_device(model)
    out = torch.empty_like(x, dtype=torch.float32)
    with eval_mode(model):
        for start in range(0, x.shape[0], batch_size):
            xb = x[start:start + batch_size].to(device, torch.float32)
            yb = y[start:start + batch_size].to(device)
            out[start:start + batch_size] = _loss_gradient(model, xb, yb).to(out.device)
    return out


def _check_xy(x: torch.Tensor, y: torch.Tensor, dense: bool = False) -> None:
    """x [N, ...] and y [N] (labels) or, for a dense loss (segmentation masks), y [N, ...]."""
    if x.ndim < 2 or (y.ndim != 1 and not dense) or y.ndim < 1 or x.shape[0] != y.shape[0]:
        want = "y [N, ...]" if dense else "y [N]"
        raise ValueError(f"attack inputs must be x [N, ...] and {want}; got x {tuple(x.shape)}, y {tuple(y.shape)}")


def _per_sample(value: EpsLike, n: int, name: str) -> torch.Tensor:
    """A scalar or [N] tensor as a float32 CPU tensor of shape [N]; errors name the parameter."""
    t = torch.as_tensor(value, dtype=torch.float32).detach().cpu()
    if t.ndim == 0:
        t = t.expand(n)
    t = t.reshape(-1) if t.numel() == n else t
    if t.shape != (n,):
        raise ValueError(f"{name} must be a scalar or a tensor with one value per sample ({n}); got shape "
                         f"{tuple(torch.as_tensor(value).shape)}")
    if torch.isnan(t).any() or (t < 0).any():
        raise ValueError(f"{name} must be finite and >= 0")
    return t.clone()


def _view(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Shape a per-sample [B] tensor to broadcast against images [B, ...]."""
    return t.to(like.device, like.dtype).reshape(-1, *([1] * (like.ndim - 1)))


def _rows(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A per-sample bool mask [B] shaped to select whole images of `like` in torch.where."""
    return mask.reshape(-1, *([1] * (like.ndim - 1)))


def l2_normalize(g: torch.Tensor) -> torch.Tensor:
    """g / ||g||_2 per sample; a zero gradient stays zero."""
    norms = g.flatten(1).norm(dim=1)
    scale = torch.where(norms > 0, 1.0 / norms.clamp_min(torch.finfo(g.dtype).tiny), torch.zeros_like(norms))
    return g * _view(scale, g)


def project_l2(delta: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Project each perturbation onto the L2 ball of its radius (eps: [B])."""
    norms = delta.flatten(1).norm(dim=1)
    factor = torch.where(norms > eps.to(norms), eps.to(norms) / norms.clamp_min(1e-30), torch.ones_like(norms))
    return delta * _view(factor, delta)


def project_linf(delta: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Clip each perturbation to the Linf ball of its radius (eps: [B])."""
    e = _view(eps, delta)
    return torch.maximum(torch.minimum(delta, e), -e)


class Attack:
    """Base class: batching, devices, per-sample parameters, eval mode and mode restoration."""

    #: Names of the constructor parameters that are per-sample (scalar or [N] tensor).
    per_sample: tuple[str, ...] = ("eps",)

    def __init__(self, model: nn.Module, eps: EpsLike, clip: tuple[float, float] | None = (0.0, 1.0),
                 batch_size: int | None = None, loss: LossFn | None = None) -> None:
        self.model = model
        self.eps = eps
        self.clip = clip
        self.batch_size = batch_size
        self.loss = loss  # None: cross-entropy at labels y; else e.g. a pixel-wise loss against masks y

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Adversarial examples for (x, y), on x's device, same dtype as float32 inputs."""
        _check_xy(x, y, dense=self.loss is not None)
        n = x.shape[0]
        params = {name: _per_sample(getattr(self, name), n, name) for name in self.per_sample}
        device = model_device(self.model)
        bs = self.batch_size or max(n, 1)
        out = torch.empty_like(x, dtype=torch.float32)
        with eval_mode(self.model):
            for start in range(0, n, bs):
                sl = slice(start, start + bs)
                xb = x[sl].to(device, torch.float32)
                yb = y[sl].to(device)
                adv = self.perturb(xb, yb, **{k: v[sl] for k, v in params.items()})
                out[sl] = adv.detach().to(out.device)
        return out

    def perturb(self, x: torch.Tensor, y: torch.Tensor, **params: torch.Tensor) -> torch.Tensor:
        """One batch already on the model's device, in eval mode; params are [B] tensors."""
        raise NotImplementedError

    def _clip(self, x: torch.Tensor) -> torch.Tensor:
        if self.clip is None:
            return x
        return x.clamp(self.clip[0], self.clip[1])

    def gradient(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Input gradient of the loss (the model is already in eval mode here)."""
        return _loss_gradient(self.model, x, y, self.loss)


class FGSM(Attack):
    """Fast gradient sign method: x + eps * sign(grad), clipped (the Linf single step)."""

    def perturb(self, x, y, eps):
        return self._clip(x + _view(eps, x) * self.gradient(x, y).sign())


class InverseFGSM(Attack):
    """Inverse FGSM (Pervin et al. 2023, eq. 3): x - eps * sign(grad), clipped: one sign step down the loss."""

    def perturb(self, x, y, eps):
        return self._clip(x - _view(eps, x) * self.gradient(x, y).sign())


class FGSML2(Attack):
    """L2-normalised fast gradient method: x + eps * grad / ||grad||_2, clipped (ART's FGM, norm=2)."""

    def perturb(self, x, y, eps):
        return self._clip(x + _view(eps, x) * l2_normalize(self.gradient(x, y)))


class _Iterative(Attack):
    """Shared loop of PGD-style attacks: optional random start, step, clip, project."""

    per_sample = ("eps", "alpha")

    def __init__(self, model: nn.Module, eps: EpsLike, alpha: EpsLike | None = None, steps: int = 10,
                 random_start: bool = False, generator: torch.Generator | None = None,
                 clip: tuple[float, float] | None = (0.0, 1.0), batch_size: int | None = None) -> None:
        super().__init__(model, eps, clip, batch_size)
        if steps < 1:
            raise ConfigError(f"{type(self).__name__}: steps must be >= 1, got {steps}")
        if alpha is None:  # Madry et al.'s rule of thumb: 2.5 * eps / steps
            alpha = 2.5 * (eps if isinstance(eps, torch.Tensor) else float(eps)) / steps
        self.alpha = alpha
        self.steps = int(steps)
        self.random_start = bool(random_start)
        self.generator = generator

    def _direction(self, g: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _project(self, delta: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _random_delta(self, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def perturb(self, x, y, eps, alpha):
        x_adv = x
        if self.random_start:
            x_adv = self._clip(x + self._random_delta(x, eps))
        a = _view(alpha, x)
        for _ in range(self.steps):
            x_adv = self._clip(x_adv + a * self._direction(self.gradient(x_adv, y)))
            x_adv = x + self._project(x_adv - x, eps.to(x.device))
        return x_adv.detach()


class PGD(_Iterative):
    """Projected gradient descent in Linf (Madry et al.): sign steps of size alpha, Linf projection."""

    def _direction(self, g):
        return g.sign()

    def _project(self, delta, eps):
        return project_linf(delta, eps)

    def _random_delta(self, x, eps):
        u = torch.rand(x.shape, generator=self.generator, dtype=torch.float32)
        return (2 * u - 1).to(x.device) * _view(eps, x)



class IFGSM(PGD):
    """Iterative FGSM (Kurakin et al.'s BIM): Linf PGD started at x (no random start)."""

    def __init__(self, model: nn.Module, eps: EpsLike, alpha: EpsLike | None = None, steps: int = 10,
                 clip: tuple[float, float] | None = (0.0, 1.0), batch_size: int | None = None) -> None:
        super().__init__(model, eps, alpha, steps, random_start=False, generator=None, clip=clip,
                         batch_size=batch_size)


class PGDL2(_Iterative):
    """Projected gradient descent in L2: L2-normalised gradient steps of size alpha, L2 projection."""

    def _direction(self, g):
        return l2_normalize(g)

    def _project(self, delta, eps):
        return project_l2(delta, eps)

    def _random_delta(self, x, eps):
        """Uniform in the L2 ball: Gaussian direction, radius eps * U^(1/D)."""
        b, d = x.shape[0], x[0].numel()
        direction = torch.randn((b, d), generator=self.generator, dtype=torch.float32)
        direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-30)
        radius = torch.rand(b, generator=self.generator, dtype=torch.float32) ** (1.0 / d)
        return (direction * radius[:, None]).reshape(x.shape).to(x.device) * _view(eps, x)


class BoundaryPGDL2(PGDL2):
    """L2 PGD that stops each sample where its prediction leaves y: the margin search of Ma & Liang's IMA/AMAT.

    A sample stops at the first iterate that the model misclassifies; `refine_steps` bisections on the
    segment from its last correctly classified iterate (x itself at first) to that one then place it on
    the decision boundary, on the misclassified side, so ||x_adv - x|| is the distance at which the
    prediction flipped. A sample that never flips ends where fixed-radius PGD ends (inside its eps-ball).
    A misclassified x flips at once (distance 0). After a call, `flipped` is a bool tensor [N] on x's
    device: which samples flipped within their radius.
    """

    def __init__(self, model: nn.Module, eps: EpsLike, alpha: EpsLike | None = None, steps: int = 10,
                 random_start: bool = False, generator: torch.Generator | None = None, refine_steps: int = 10,
                 clip: tuple[float, float] | None = (0.0, 1.0), batch_size: int | None = None) -> None:
        super().__init__(model, eps, alpha, steps, random_start, generator, clip, batch_size)
        if refine_steps < 0:
            raise ConfigError(f"BoundaryPGDL2: refine_steps must be >= 0, got {refine_steps}")
        self.refine_steps = int(refine_steps)
        self.flipped = torch.zeros(0, dtype=torch.bool)
        self._flipped: list[torch.Tensor] = []

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self._flipped = []
        out = super().__call__(x, y)
        self.flipped = torch.cat(self._flipped).to(x.device) if self._flipped else torch.zeros(0, dtype=torch.bool)
        return out

    def perturb(self, x, y, eps, alpha):
        x_adv = self._clip(x + self._random_delta(x, eps)) if self.random_start else x
        inside, outside = x.clone(), x.clone()  # last iterate still classified y / first one that is not
        flipped = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
        a, eps = _view(alpha, x), eps.to(x.device)
        for step in range(self.steps + 1):
            grad, logits = _loss_gradient_and_logits(self.model, x_adv, y)
            now = ~flipped & (logits.argmax(1) != y)
            outside[now], flipped = x_adv[now], flipped | now
            inside[~flipped] = x_adv[~flipped]
            if step == self.steps or bool(flipped.all()):
                break
            moved = self._clip(x_adv + a * self._direction(grad))
            moved = x + self._project(moved - x, eps)
            x_adv = torch.where(_rows(flipped, x), x_adv, moved)  # a flipped sample stops
        x_adv = self._refine(inside, outside, y, flipped) if bool(flipped.any()) else x_adv
        self._flipped.append(flipped.cpu())
        return torch.where(_rows(flipped, x), x_adv, inside).detach()

    @torch.no_grad()
    def _refine(self, inside: torch.Tensor, outside: torch.Tensor, y: torch.Tensor,
                flipped: torch.Tensor) -> torch.Tensor:
        """Bisect each flipped sample's segment [inside, outside] onto the boundary; returns the outside ends."""
        lo, hi = inside[flipped], outside[flipped]
        for _ in range(self.refine_steps):
            mid = 0.5 * (lo + hi)
            still = _rows(self.model(mid).argmax(1) == y[flipped], mid)
            lo, hi = torch.where(still, mid, lo), torch.where(still, hi, mid)
        out = outside.clone()
        out[flipped] = hi
        return out


ATTACKS: dict[str, type[Attack]] = {
    "fgsm": FGSM, "fgsm_l2": FGSML2, "ifgsm": IFGSM, "pgd_linf": PGD, "pgd_l2": PGDL2,
}
