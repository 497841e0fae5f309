"""The hand-written half of the loss catalogue: one torch reference per codegen/spec/losses.yaml entry.

LOSS_TORCH[name] = LossRef(generic, fused): `generic(y, t, p)` is the loss summed over the batch (torch
reduction='sum') of the loss's input y (the output after its link activation), `fused(z, t, p)` the same from
the link's input z (default: generic(link(z))). p holds the entry's parameters (spec defaults overridden).
Gradients come from torch autograd in float64, so no formula here states a derivative. Targets follow the
entry's `targets` kind (TARGETS below). A loss without an entry here fails its own tests, not the collection.

Example:
    >>> import torch
    >>> float(LOSS_TORCH["huber"].generic(torch.tensor([3.0]), torch.tensor([0.0]), {"delta": 1.0}))
    2.5
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

Tensor = torch.Tensor
Fn = Callable[[Tensor, Tensor, dict[str, float]], Tensor]


@dataclass(frozen=True)
class LossRef:
    generic: Fn
    fused: Fn | None = None  # None: generic(link(z))


def _smoothed(t: Tensor, p: dict[str, float]) -> Tensor:
    eps = p["label_smoothing"]
    return (1.0 - eps) * t + eps / t.shape[1]


def _labels(t: Tensor) -> Tensor:
    return t.argmax(dim=1)


LOSS_TORCH: dict[str, LossRef] = {
    "mse": LossRef(lambda y, t, p: F.mse_loss(y, t, reduction="sum")),
    # torch.nn.BCELoss clamps its logs at -100 (as the kernels do).
    "bce": LossRef(lambda y, t, p: F.binary_cross_entropy(y, t, reduction="sum"),
                   lambda z, t, p: F.binary_cross_entropy_with_logits(z, t, reduction="sum")),
    # Generic: -sum t' log y with y clamped at 1e-7 (Keras; the kernels' guard); fused: torch's CrossEntropyLoss on
    # the logits with class-probability targets and label smoothing.
    "cce": LossRef(lambda y, t, p: -(_smoothed(t, p) * torch.log(torch.clamp(y, min=1e-7))).sum(),
                   lambda z, t, p: F.cross_entropy(z, t, label_smoothing=p["label_smoothing"], reduction="sum")),
    "mae": LossRef(lambda y, t, p: F.l1_loss(y, t, reduction="sum")),
    "huber": LossRef(lambda y, t, p: F.huber_loss(y, t, delta=p["delta"], reduction="sum")),
    "smooth_l1": LossRef(lambda y, t, p: F.smooth_l1_loss(y, t, beta=p["beta"], reduction="sum")),
    "bce_with_logits": LossRef(lambda y, t, p: F.binary_cross_entropy_with_logits(y, t, reduction="sum")),
    # torch's NLLLoss takes class indices: the tests' distribution targets are one-hot rows.
    "nll": LossRef(lambda y, t, p: F.nll_loss(y, _labels(t), reduction="sum"),
                   lambda z, t, p: F.nll_loss(torch.log_softmax(z, dim=1), _labels(t), reduction="sum")),
    "kl_divergence": LossRef(lambda y, t, p: F.kl_div(y, t, reduction="sum"),
                             lambda z, t, p: F.kl_div(torch.log_softmax(z, dim=1), t, reduction="sum")),
    # Keras-style hinges on -1/1 targets (torch has no module for them).
    "hinge": LossRef(lambda y, t, p: torch.clamp(p["margin"] - t * y, min=0).sum()),
    "squared_hinge": LossRef(lambda y, t, p: torch.clamp(p["margin"] - t * y, min=0).pow(2).sum()),
    # log(cosh(d)) written stably for the extreme inputs (cosh overflows float64 past |d| ~ 710).
    "log_cosh": LossRef(lambda y, t, p: ((y - t).abs() + F.softplus(-2.0 * (y - t).abs()) - math.log(2.0)).sum()),
    "cosine_similarity": LossRef(lambda y, t, p: F.cosine_embedding_loss(
        y, t, torch.ones(y.shape[0], dtype=y.dtype), reduction="sum")),
    "poisson_nll": LossRef(lambda y, t, p: F.poisson_nll_loss(y, t, log_input=bool(p["log_input"]), eps=p["eps"],
                                                              reduction="sum")),
}

# Parameter values the tests try besides the defaults (each entry's own names; reduction is tried separately).
LOSS_PARAM_SAMPLES: dict[str, list[dict[str, float]]] = {
    "cce": [{"label_smoothing": 0.1}, {"label_smoothing": 0.5}],
    "huber": [{"delta": 0.5}, {"delta": 2.0}],
    "smooth_l1": [{"beta": 0.5}, {"beta": 0.0}],
    "hinge": [{"margin": 0.5}],
    "squared_hinge": [{"margin": 2.0}],
    "poisson_nll": [{"log_input": 0.0}],
}

LINKS: dict[str, Callable[[Tensor], Tensor]] = {
    "identity": lambda z: z, "sigmoid": torch.sigmoid,
    "softmax": lambda z: torch.softmax(z, dim=1), "log_softmax": lambda z: torch.log_softmax(z, dim=1),
}

TARGETS: dict[str, Callable[[np.random.Generator, tuple[int, int]], np.ndarray]] = {
    "real": lambda rng, s: rng.normal(size=s),
    "probability": lambda rng, s: rng.uniform(size=s),
    "distribution": lambda rng, s: np.eye(s[1])[rng.integers(0, s[1], size=s[0])],
    "sign": lambda rng, s: rng.choice([-1.0, 1.0], size=s),
    "nonnegative": lambda rng, s: rng.poisson(2.0, size=s).astype(np.float64),
}


def normaliser(normalizer: str, shape: tuple[int, int], reduction: str) -> float:
    """What the spec's `normalizer` divides the summed loss by under this reduction."""
    if reduction == "sum":
        return 1.0
    return float(shape[0]) if normalizer == "rows" else float(shape[0] * shape[1])


def torch_loss(name: str, link: str, normalizer: str, x: np.ndarray, t: np.ndarray, params: dict[str, float],
               fused: bool, reduction: str = "mean") -> tuple[float, np.ndarray]:
    """(loss, dloss/dx) in float64 by torch autograd: x is y (generic) or z (fused)."""
    ref = LOSS_TORCH[name]
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64)
    if fused:
        total = ref.fused(xt, tt, params) if ref.fused else ref.generic(LINKS[link](xt), tt, params)
    else:
        total = ref.generic(xt, tt, params)
    value = total / normaliser(normalizer, x.shape, reduction)
    value.backward()
    return float(value.detach()), xt.grad.numpy()
