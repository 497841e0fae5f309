"""The activation reference table (torchgen's OpInfo, for codegen/spec/activations.yaml): one row per entry,
hand-written and independent of the spec's expressions, with

  - forward(x, p):     the NumPy formula in float64 (p: the parameters by name, the spec's defaults filled in);
  - derivative(x, p):  dy/dx in float64 (elementwise entries), with the torch/Roblox convention at the kinks;
  - vjp(x, g, p):      for row-wise entries, the gradient g . dy/dx of a row;
  - torch(x, p):       the torch equivalent, or None where torch has no such function (the Roblox library's
                       bent_identity, gaussian, sq_rbf);
  - samples:           parameter values to test besides the defaults.

tests/test_activations.py checks every row against the kernels (CPU through ctypes, both backends through
Godot), the derivatives against central finite differences of `forward`, and `forward` against `torch`. A spec
entry without a row fails its own test only (`ref()` raises inside the test), never the collection.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

F64 = np.ndarray
P = dict[str, float]


@dataclass(frozen=True)
class ActRef:
    forward: Callable[[F64, P], F64]
    derivative: Callable[[F64, P], F64] | None = None
    torch: Callable[[Any, P], Any] | None = None
    samples: tuple[P, ...] = ()
    vjp: Callable[[F64, F64, P], F64] | None = None


def sigmoid(x: F64) -> F64:
    return np.exp(-np.logaddexp(0.0, -x))


def softplus(x: F64) -> F64:
    return np.logaddexp(0.0, x)


def softmax(z: F64) -> F64:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z: F64) -> F64:
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _erf(x: F64) -> F64:
    return np.vectorize(math.erf, otypes=[float])(x)


def _erfc(x: F64) -> F64:
    return np.vectorize(math.erfc, otypes=[float])(x)


def _sinc(x: F64) -> F64:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0.0, 1.0, np.sin(x) / np.where(x == 0.0, 1.0, x))


def _sinc_derivative(x: F64) -> F64:
    safe = np.where(x == 0.0, 1.0, x)
    return np.where(x == 0.0, 0.0, (np.cos(x) - np.sin(x) / safe) / safe)


def _gelu_tanh_inner(x: F64) -> F64:
    return math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)


def _where(cond: F64, a: Any, b: Any) -> F64:
    return np.where(cond, a, b).astype(float)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _tf() -> Any:
    import torch
    return torch.nn.functional


ACT_REFS: dict[str, ActRef] = {
    "identity": ActRef(lambda x, p: x, lambda x, p: np.ones_like(x), lambda x, p: x),
    "sigmoid": ActRef(lambda x, p: sigmoid(x), lambda x, p: sigmoid(x) * sigmoid(-x),
                      lambda x, p: x.sigmoid()),
    "tanh": ActRef(lambda x, p: np.tanh(x), lambda x, p: 1.0 - np.tanh(x) ** 2, lambda x, p: x.tanh()),
    "relu": ActRef(lambda x, p: np.maximum(x, 0.0), lambda x, p: _where(x > 0.0, 1.0, 0.0),
                   lambda x, p: x.relu()),
    "leaky_relu": ActRef(lambda x, p: np.where(x > 0.0, x, p["alpha"] * x),
                         lambda x, p: _where(x > 0.0, 1.0, p["alpha"]),
                         lambda x, p: _tf().leaky_relu(x, p["alpha"]), ({"alpha": 0.2},)),
    "softmax": ActRef(lambda x, p: softmax(x), torch=lambda x, p: x.softmax(-1),
                      vjp=lambda x, g, p: softmax(x) * (g - (g * softmax(x)).sum(-1, keepdims=True))),
    "binary_step": ActRef(lambda x, p: _where(x >= 0.0, 1.0, 0.0), lambda x, p: np.zeros_like(x),
                          lambda x, p: x.heaviside(x.new_ones(()))),
    "arctan": ActRef(lambda x, p: np.arctan(x), lambda x, p: 1.0 / (1.0 + x * x), lambda x, p: x.atan()),
    "sin": ActRef(lambda x, p: np.sin(x), lambda x, p: np.cos(x), lambda x, p: x.sin()),
    "sinc": ActRef(lambda x, p: _sinc(x), lambda x, p: _sinc_derivative(x), lambda x, p: (x / math.pi).sinc()),
    "arsinh": ActRef(lambda x, p: np.arcsinh(x), lambda x, p: 1.0 / np.sqrt(1.0 + x * x), lambda x, p: x.asinh()),
    "softplus": ActRef(lambda x, p: np.where(p["beta"] * x > p["threshold"], x,
                                             softplus(p["beta"] * x) / p["beta"]),
                       lambda x, p: np.where(p["beta"] * x > p["threshold"], 1.0, sigmoid(p["beta"] * x)),
                       lambda x, p: _tf().softplus(x, p["beta"], p["threshold"]),
                       ({"beta": 2.0, "threshold": 5.0}, {"beta": 0.5, "threshold": 20.0})),
    "bent_identity": ActRef(lambda x, p: (np.sqrt(x * x + 1.0) - 1.0) / 2.0 + x,
                            lambda x, p: x / (2.0 * np.sqrt(x * x + 1.0)) + 1.0),
    "silu": ActRef(lambda x, p: x * sigmoid(x), lambda x, p: sigmoid(x) * (1.0 + x * sigmoid(-x)),
                   lambda x, p: _tf().silu(x)),
    "softsign": ActRef(lambda x, p: x / (1.0 + np.abs(x)), lambda x, p: 1.0 / (1.0 + np.abs(x)) ** 2,
                       lambda x, p: _tf().softsign(x)),
    "gaussian": ActRef(lambda x, p: np.exp(-x * x), lambda x, p: -2.0 * x * np.exp(-x * x)),
    "sq_rbf": ActRef(lambda x, p: np.select([np.abs(x) <= 1.0, np.abs(x) < 2.0], [1.0 - x * x / 2.0,
                                                                                   (2.0 - np.abs(x)) ** 2 / 2.0], 0.0),
                     lambda x, p: np.select([np.abs(x) <= 1.0, np.abs(x) < 2.0], [-x, np.sign(x) * (np.abs(x) - 2.0)],
                                            0.0)),
    "relu6": ActRef(lambda x, p: np.clip(x, 0.0, 6.0), lambda x, p: _where((x > 0.0) & (x < 6.0), 1.0, 0.0),
                    lambda x, p: _tf().relu6(x)),
    "elu": ActRef(lambda x, p: np.where(x > 0.0, x, p["alpha"] * np.expm1(np.minimum(x, 0.0))),
                  lambda x, p: np.where(x > 0.0, 1.0, p["alpha"] * np.exp(np.minimum(x, 0.0))),
                  lambda x, p: _tf().elu(x, p["alpha"]), ({"alpha": 0.5},)),
    "selu": ActRef(lambda x, p: SELU_SCALE * np.where(x > 0.0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
                   lambda x, p: np.where(x > 0.0, SELU_SCALE, SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(x, 0.0))),
                   lambda x, p: _tf().selu(x)),
    "celu": ActRef(lambda x, p: np.where(x > 0.0, x, p["alpha"] * np.expm1(np.minimum(x, 0.0) / p["alpha"])),
                   lambda x, p: np.where(x > 0.0, 1.0, np.exp(np.minimum(x, 0.0) / p["alpha"])),
                   lambda x, p: _tf().celu(x, p["alpha"]), ({"alpha": 2.0},)),
    "gelu": ActRef(lambda x, p: 0.5 * x * _erfc(-x / math.sqrt(2.0)),
                   lambda x, p: 0.5 * _erfc(-x / math.sqrt(2.0)) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi),
                   lambda x, p: _tf().gelu(x)),
    "gelu_tanh": ActRef(lambda x, p: 0.5 * x * (1.0 + np.tanh(_gelu_tanh_inner(x))),
                        lambda x, p: 0.5 * (1.0 + np.tanh(_gelu_tanh_inner(x))) + 0.5 * x
                        * (1.0 - np.tanh(_gelu_tanh_inner(x)) ** 2) * math.sqrt(2.0 / math.pi)
                        * (1.0 + 3.0 * 0.044715 * x * x),
                        lambda x, p: _tf().gelu(x, approximate="tanh")),
    "mish": ActRef(lambda x, p: x * np.tanh(softplus(x)),
                   lambda x, p: np.tanh(softplus(x)) + x * sigmoid(x) * (1.0 - np.tanh(softplus(x)) ** 2),
                   lambda x, p: _tf().mish(x)),
    "hard_sigmoid": ActRef(lambda x, p: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
                           lambda x, p: _where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0),
                           lambda x, p: _tf().hardsigmoid(x)),
    "hard_swish": ActRef(lambda x, p: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
                         lambda x, p: np.select([x <= -3.0, x < 3.0], [0.0, x / 3.0 + 0.5], 1.0),
                         lambda x, p: _tf().hardswish(x)),
    "hard_tanh": ActRef(lambda x, p: np.clip(x, p["min_val"], p["max_val"]),
                        lambda x, p: _where((x > p["min_val"]) & (x < p["max_val"]), 1.0, 0.0),
                        lambda x, p: _tf().hardtanh(x, p["min_val"], p["max_val"]),
                        ({"min_val": -2.0, "max_val": 0.5},)),
    "tanhshrink": ActRef(lambda x, p: x - np.tanh(x), lambda x, p: np.tanh(x) ** 2, lambda x, p: _tf().tanhshrink(x)),
    "softshrink": ActRef(lambda x, p: np.select([x > p["lambd"], x < -p["lambd"]], [x - p["lambd"], x + p["lambd"]],
                                                0.0),
                         lambda x, p: _where(np.abs(x) > p["lambd"], 1.0, 0.0),
                         lambda x, p: _tf().softshrink(x, p["lambd"]), ({"lambd": 1.5},)),
    "hardshrink": ActRef(lambda x, p: np.where(np.abs(x) > p["lambd"], x, 0.0),
                         lambda x, p: _where(np.abs(x) > p["lambd"], 1.0, 0.0),
                         lambda x, p: _tf().hardshrink(x, p["lambd"]), ({"lambd": 1.5},)),
    "log_sigmoid": ActRef(lambda x, p: -softplus(-x), lambda x, p: sigmoid(-x), lambda x, p: _tf().logsigmoid(x)),
    "log_softmax": ActRef(lambda x, p: log_softmax(x), torch=lambda x, p: x.log_softmax(-1),
                          vjp=lambda x, g, p: g - softmax(x) * g.sum(-1, keepdims=True)),
}


def ref(name: str) -> ActRef:
    """The row of `name`; fails the calling test (only) when the table has none."""
    if name not in ACT_REFS:
        raise AssertionError(f"activation {name!r} has no row in ACT_REFS (tests/activation_refs.py): add its "
                             "NumPy forward and derivative, and its torch equivalent")
    return ACT_REFS[name]
