"""NumPy reference of what LearnKit computes: dense forward pass, losses, backward pass, optimizers, clipping.

Written from the textbook formulas and PyTorch's documented semantics, independently of the extension's code
(test_reference.py checks it against torch). Everything runs in float64 unless the caller passes float32.

Conventions (the extension's): a weight matrix is ``out x in`` (torch ``nn.Linear`` layout), ``y = act(x W^T + b)``;
losses are means (MSE and BCE over all elements, CCE over rows of ``-sum(t log y)``); gradients are those of that
mean loss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray
Params = list[tuple[Array, Array]]  # one (weight out x in, bias out) per layer


@dataclass(frozen=True)
class Layer:
    """A dense layer: ``inputs -> outputs`` followed by ``activation`` (``alpha``: leaky_relu's slope)."""

    inputs: int
    outputs: int
    activation: str = "identity"
    alpha: float = 0.01


# --- Activations ---------------------------------------------------------------------------------------------


def activate(name: str, z: Array, alpha: float = 0.01) -> Array:
    """The activation ``name`` applied to pre-activations ``z`` (rows x units)."""
    if name == "identity":
        return z.copy()
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # Same as 1/(1+exp(-z)), without overflow at z = -1000.
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return _table(name).forward(z, _params(name, alpha))


def activation_backward(name: str, z: Array, y: Array, grad_y: Array, alpha: float = 0.01) -> Array:
    """dL/dz from dL/dy for the activation ``name`` (``y = activate(name, z)``)."""
    if name == "identity":
        return grad_y.copy()
    if name == "sigmoid":
        return grad_y * y * (1.0 - y)
    if name == "tanh":
        return grad_y * (1.0 - y * y)
    if name == "relu":
        return grad_y * (z > 0)  # torch: relu'(0) = 0
    if name == "leaky_relu":
        return grad_y * np.where(z > 0, 1.0, alpha).astype(grad_y.dtype)
    if name == "softmax":
        # Jacobian-vector product of softmax: y_i (g_i - sum_j g_j y_j).
        return y * (grad_y - (grad_y * y).sum(axis=1, keepdims=True))
    row = _table(name)
    if row.vjp is not None:
        return row.vjp(z, grad_y, _params(name, alpha))
    return grad_y * row.derivative(z, _params(name, alpha))


# The activations written out above; the rest of the catalogue comes from the activation table
# (tests/activation_refs.py) at its spec defaults, `alpha` setting the parameter of that name.
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")


def _table(name: str):  # -> activation_refs.ActRef
    from activation_refs import ref
    return ref(name)


def _params(name: str, alpha: float) -> dict[str, float]:
    from lk import spec
    params = dict(spec().activation(name).params)
    if "alpha" in params:
        params["alpha"] = alpha
    return params


# --- Losses --------------------------------------------------------------------------------------------------

LOG_CLAMP = -100.0  # torch BCELoss clamps its logs at -100.
BCE_EPS = 1e-12  # torch's BCELoss backward divides by max(y (1 - y), 1e-12).


def _spec_loss(name: str, y: Array, t: Array, settings: dict | None) -> tuple[float, Array]:
    """(loss, dL/dy) of any spec loss with its settings (parameters by name, "reduction"), by torch autograd in
    float64 (tests/loss_refs.py): the losses past the first three, and any loss with settings."""
    from lk import spec
    from loss_refs import torch_loss
    entry = next(e for e in spec().losses if e.name == name)
    s = dict(settings or {})
    reduction = s.pop("reduction", "mean")
    return torch_loss(name, entry.link, entry.normalizer, y, t, {**entry.params, **s}, False, reduction)


def loss(name: str, y: Array, t: Array, settings: dict | None = None) -> float:
    """The mean loss ``name`` of outputs ``y`` against targets ``t`` (rows x outputs); settings: the loss's
    parameters and "reduction" (LKTrainer.loss_settings)."""
    if settings or name not in LOSSES:
        return _spec_loss(name, y, t, settings)[0]
    if name == "mse":
        return float(np.mean((y - t) ** 2))
    if name == "bce":
        with np.errstate(divide="ignore"):
            log_y = np.maximum(np.log(y), LOG_CLAMP)
            log_1my = np.maximum(np.log(1.0 - y), LOG_CLAMP)
        return float(-np.mean(t * log_y + (1.0 - t) * log_1my))
    if name == "cce":
        with np.errstate(divide="ignore"):
            return float(-np.mean(np.sum(t * np.log(y), axis=1)))
    raise ValueError(f"unknown loss {name!r}")


def loss_backward(name: str, y: Array, t: Array, settings: dict | None = None) -> Array:
    """dL/dy of the mean loss ``name``."""
    if settings or name not in LOSSES:
        return _spec_loss(name, y, t, settings)[1]
    if name == "mse":
        return 2.0 * (y - t) / y.size
    if name == "bce":
        return (y - t) / np.maximum(y * (1.0 - y), BCE_EPS) / y.size
    if name == "cce":
        return -t / y / y.shape[0]
    raise ValueError(f"unknown loss {name!r}")


LOSSES = ("mse", "bce", "cce")


# --- Network -------------------------------------------------------------------------------------------------


@dataclass
class Trace:
    """What a forward pass keeps for the backward pass: the input of each layer, its z and its y."""

    inputs: list[Array] = field(default_factory=list)
    z: list[Array] = field(default_factory=list)
    y: list[Array] = field(default_factory=list)


def forward(layers: Sequence[Layer], params: Params, x: Array, trace: Trace | None = None) -> Array:
    """The network's outputs for inputs ``x`` (rows x inputs)."""
    h = x
    for layer, (w, b) in zip(layers, params, strict=True):
        z = h @ w.T + b
        y = activate(layer.activation, z, layer.alpha)
        if trace is not None:
            trace.inputs.append(h)
            trace.z.append(z)
            trace.y.append(y)
        h = y
    return h


def gradients(layers: Sequence[Layer], params: Params, x: Array, t: Array, loss_name: str,
              settings: dict | None = None) -> tuple[float, Params]:
    """The loss and its gradients with respect to every weight and bias, by backpropagation."""
    trace = Trace()
    y = forward(layers, params, x, trace)
    value = loss(loss_name, y, t, settings)
    grad = loss_backward(loss_name, y, t, settings)
    grads: Params = []
    for i in reversed(range(len(layers))):
        layer = layers[i]
        gz = activation_backward(layer.activation, trace.z[i], trace.y[i], grad, layer.alpha)
        grads.append((gz.T @ trace.inputs[i], gz.sum(axis=0)))
        grad = gz @ params[i][0]
    grads.reverse()
    return value, grads


def finite_difference_gradients(layers: Sequence[Layer], params: Params, x: Array, t: Array, loss_name: str,
                                picks: Sequence[tuple[int, str, int]], h: float = 1e-6,
                                settings: dict | None = None) -> list[float]:
    """Central finite differences of the loss for the parameters ``picks`` = (layer, "weight"|"bias", flat index).

    Independent of ``gradients``: it only evaluates the loss. Use float64 parameters.
    """
    out = []
    for layer, kind, index in picks:
        values = []
        for sign in (1.0, -1.0):
            shifted = [(w.copy(), b.copy()) for w, b in params]
            target = shifted[layer][0 if kind == "weight" else 1]
            target.reshape(-1)[index] += sign * h
            values.append(loss(loss_name, forward(layers, shifted, x), t, settings))
        out.append((values[0] - values[1]) / (2.0 * h))
    return out


# --- Optimizers ----------------------------------------------------------------------------------------------

CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_ divides by (total_norm + 1e-6).


def clip_grad_norm(grads: Params, max_norm: float) -> Params:
    """torch.nn.utils.clip_grad_norm_: scale all gradients together so their global L2 norm is <= max_norm."""
    if max_norm <= 0:
        return grads
    total = math.sqrt(sum(float(np.sum(g * g)) for pair in grads for g in pair))
    coef = min(1.0, max_norm / (total + CLIP_EPS))
    return [(gw * coef, gb * coef) for gw, gb in grads]


@dataclass
class OptimizerSpec:
    """Hyper-parameters, as LearnKit.sgd()/LearnKit.adam() take them."""

    kind: str = "adam"
    momentum: float = 0.0
    weight_decay: float = 0.0
    clip_norm: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def as_case(self) -> dict:
        return {"kind": self.kind, "momentum": self.momentum, "weight_decay": self.weight_decay,
                "clip_norm": self.clip_norm, "beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}


class Optimizer:
    """Any optimizer of the spec by its NumPy reference (OPT_REFS in tests/kernel_harness.py, torch's formulas),
    with coupled or decoupled weight decay as the optimizer defines it, after clip_grad_norm_ when ``clip_norm``
    > 0. Hyperparameters the spec has beyond OptimizerSpec's take the spec defaults. State persists across
    steps."""

    def __init__(self, spec: OptimizerSpec):
        self.spec = spec
        self.steps = 0
        self.state: list[list[Array]] = []  # per parameter: the optimizer's states

    def step(self, params: Params, grads: Params, lr: float) -> Params:
        from kernel_harness import CAT, OPT_REFS

        s = self.spec
        entry = next((o for o in CAT.optimizers if o.name == s.kind), None)
        if entry is None:
            raise ValueError(f"unknown optimizer {s.kind!r}")
        h = {**entry.defaults, "lr": lr, "weight_decay": s.weight_decay, "momentum": s.momentum,
             "beta1": s.beta1, "beta2": s.beta2, "epsilon": s.epsilon}
        grads = clip_grad_norm(grads, s.clip_norm)
        flat_p = [p for pair in params for p in pair]
        flat_g = [g for pair in grads for g in pair]
        self.steps += 1
        if not self.state:
            self.state = [[np.full_like(p, h[entry.state_init[k]] if k in entry.state_init else 0.0)
                           for k in range(entry.state_per_param)] for p in flat_p]
        new = []
        for i, (p, g) in enumerate(zip(flat_p, flat_g, strict=True)):
            p = np.array(p, dtype=float, copy=True)
            OPT_REFS[s.kind](p, np.asarray(g, dtype=float), self.state[i], h, self.steps)
            new.append(p)
        return [(new[2 * i], new[2 * i + 1]) for i in range(len(params))]


def cosine_lr(epoch: int, lr_max: float, period: int, lr_min: float = 0.0) -> float:
    """torch CosineAnnealingLR's closed form, held at lr_min after ``period`` epochs."""
    if epoch >= period:
        return lr_min
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * epoch / period))


def fit(layers: Sequence[Layer], params: Params, x: Array, t: Array, loss_name: str, spec: OptimizerSpec,
        lr: float, epochs: int, batch_size: int, schedule: dict | None = None) -> tuple[Params, list[float]]:
    """Trains without shuffling: each epoch walks the rows in order in batches of ``batch_size`` (the last one
    may be smaller). Returns the final parameters and each epoch's mean of its batch losses (before update)."""
    opt = Optimizer(spec)
    history = []
    for epoch in range(epochs):
        rate = lr if schedule is None else cosine_lr(epoch, schedule["lr_max"], schedule["period"],
                                                     schedule.get("lr_min", 0.0))
        batch_losses = []
        for start in range(0, len(x), batch_size):
            xb, tb = x[start:start + batch_size], t[start:start + batch_size]
            value, grads = gradients(layers, params, xb, tb, loss_name)
            batch_losses.append(value)
            params = opt.step(params, grads, rate)
        history.append(float(np.mean(batch_losses)))
    return params, history


def one_hot(labels: Sequence[int], classes: int) -> Array:
    out = np.zeros((len(labels), classes))
    out[np.arange(len(labels)), list(labels)] = 1.0
    return out
