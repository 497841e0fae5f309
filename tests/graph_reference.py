"""Reference implementations of LearnKit's op graphs (dense, activation, add, dropout, batch_norm, layer_norm):
a float64 NumPy forward pass (for central finite differences), the same graph as a torch function (autograd and
torch.optim trajectories), and LearnKit's dropout masks re-implemented bit for bit (the lk_uniform hash of
templates/kernels/_math.inc.j2 and the seed derivation of core/session.cpp and core/ops/dropout.cpp).

A graph is a list of ops over tensors, like LKNetwork.add_op(): tensor 0 is the input, op i writes tensor i + 1.
``sequential()`` turns LearnKit.sequential()'s layer descriptions into that list by the rules of
gdextension/src/api/factories.cpp (a dense layer is a dense op plus an activation op unless identity; a residual
block is its layers, then add(block input, block output)). Parameters are ``{op index: {name: array}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import reference as ref
from activation_refs import ACT_REFS
from lk import spec

Array = np.ndarray
Tensors = dict[int, dict[str, Array]]  # op index -> {parameter or buffer name: values}
Masks = dict[int, Array]  # dropout op index -> keep mask (rows x width, bool)


def activation_settings(name: str, alpha: float | None) -> dict:
    """An activation op's settings as LearnKit.activation(name, alpha) makes them: alpha goes only to an
    activation with a parameter of that name (the op refuses settings it does not have)."""
    settings: dict = {"activation": name}
    entry = next((a for a in spec().activations if name in (a.name, *a.aliases)), None)
    if alpha is not None and entry is not None and "alpha" in entry.params:
        settings["alpha"] = alpha
    return settings


@dataclass(frozen=True)
class Node:
    type: str
    settings: dict[str, Any]
    inputs: tuple[int, ...]


@dataclass
class Graph:
    """Ops over tensors; ``widths[t]`` is tensor t's feature count."""

    width: int
    nodes: list[Node] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.widths = [self.width]

    def add(self, type_: str, settings: dict[str, Any] | None = None, inputs: Sequence[int] | None = None) -> int:
        ins = tuple(inputs) if inputs else (len(self.widths) - 1,)
        settings = dict(settings or {})
        self.nodes.append(Node(type_, settings, ins))
        self.widths.append(int(settings["units"]) if type_ == "dense" else self.widths[ins[0]])
        return len(self.widths) - 1

    def params(self, i: int) -> list[tuple[str, tuple[int, ...], bool]]:
        """Op i's parameters and buffers in storage order: (name, shape, trainable)."""
        n = self.nodes[i]
        w = self.widths[n.inputs[0]]
        affine = bool(n.settings.get("affine", True))
        if n.type == "dense":
            return [("weight", (self.widths[i + 1], w), True), ("bias", (self.widths[i + 1],), True)]
        norm = [("weight", (w,), True), ("bias", (w,), True)] if affine else []
        if n.type == "batch_norm":
            return [*norm, ("running_mean", (w,), False), ("running_var", (w,), False)]
        if n.type == "layer_norm":
            return norm
        if n.type == "prelu":
            return [("weight", (int(n.settings.get("num_parameters", 1)),), True)]
        return []

    def with_params(self) -> list[int]:
        return [i for i in range(len(self.nodes)) if self.params(i)]

    def as_ops(self) -> list[dict]:
        """The add_op() calls that build this graph: [{"type", "settings", "inputs"}]."""
        return [{"type": n.type, "settings": n.settings, "inputs": list(n.inputs)} for n in self.nodes]


def sequential(layers: Sequence[list]) -> Graph:
    """The graph LearnKit.sequential() builds from layer descriptions (JSON-able lists, see ops.gd's _layer()):
    ["dense", in, out, activation, alpha], ["activation", name, alpha], ["dropout", p],
    ["batch_norm", eps, momentum, affine], ["layer_norm", eps, affine], ["residual", [layers...]]."""
    g = Graph(int(layers[0][1]))

    def put(layer: list) -> None:
        kind = layer[0]
        if kind == "dense":
            _, n_in, n_out, act, alpha = layer
            g.add("dense", {"units": n_out, "inputs": n_in})
            if act != "identity":
                g.add("activation", activation_settings(act, alpha))
        elif kind == "activation":
            g.add("activation", activation_settings(layer[1], layer[2]))
        elif kind == "layer":  # LearnKit.layer(type, settings)
            g.add(layer[1], dict(layer[2]))
        elif kind == "dropout":
            g.add("dropout", {"p": layer[1]})
        elif kind == "batch_norm":
            g.add("batch_norm", {"eps": layer[1], "momentum": layer[2], "affine": layer[3]})
        elif kind == "layer_norm":
            g.add("layer_norm", {"eps": layer[1], "affine": layer[2]})
        elif kind == "residual":
            skip = len(g.widths) - 1
            for inner in layer[1]:
                put(inner)
            g.add("add", {}, [skip, len(g.widths) - 1])
        else:
            raise ValueError(f"unknown layer kind {kind!r}")

    for layer in layers:
        put(layer)
    return g


def random_tensors(rng: np.random.Generator, g: Graph) -> Tensors:
    """float32 parameters away from the initial ones (so that a wrong gamma/beta or running statistic shows)."""
    out: Tensors = {}
    for i in g.with_params():
        d: dict[str, Array] = {}
        for name, shape, _ in g.params(i):
            if g.nodes[i].type == "dense":
                fan_in = shape[1] if name == "weight" else 1
                v = rng.normal(0, 1 / np.sqrt(fan_in) if name == "weight" else 0.1, shape)
            elif g.nodes[i].type == "prelu":  # slopes away from the initial 0.25, and apart from each other
                v = rng.uniform(-0.5, 0.8, shape)
            elif name == "weight":
                v = 1.0 + rng.normal(0, 0.2, shape)
            elif name == "running_var":
                v = rng.uniform(0.5, 1.5, shape)
            else:
                v = rng.normal(0, 0.2, shape)
            d[name] = v.astype(np.float32)
        out[i] = d
    return out


# --- Dropout masks: LearnKit's counter-based hash, re-implemented ----------------------------------------------

M64, M32 = (1 << 64) - 1, 0xFFFFFFFF
STEP_SEED_SALT = 0xD509A5EED  # core/session.cpp step_seed(): Rng::mix(seed ^ salt, steps taken before this one)


def rng_mix(seed: int, index: int) -> int:
    """core/rng.hpp Rng::mix: splitmix64 seeded with seed ^ (index * 0xD1B54A32D192ED03), second output."""
    state = (seed ^ (index * 0xD1B54A32D192ED03)) & M64
    z = 0
    for _ in range(2):
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
    return z


def lk_hash(x: Array) -> Array:
    """The lowbias32 mix of _math.inc.j2 on uint32 arrays (numpy wraps uint32 products like GLSL and C++)."""
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def lk_uniform(seed: int, count: int) -> Array:
    """lk_uniform(seed_lo, seed_hi, i) for i < count: float64 values on the 2^-24 grid."""
    lo, hi = np.array([seed & M32], np.uint32), np.array([seed >> 32], np.uint32)
    key = lk_hash(lo ^ lk_hash(hi ^ np.uint32(0x9E3779B9)))
    h = lk_hash(lk_hash(np.arange(count, dtype=np.uint32) ^ key) + key)
    return (h >> np.uint32(8)).astype(np.float64) * 2.0**-24


def step_seed(trainer_seed: int, step: int) -> int:
    return rng_mix((trainer_seed ^ STEP_SEED_SALT) & M64, step)


def dropout_masks(g: Graph, rows: int, trainer_seed: int, step: int) -> Masks:
    """The keep masks every dropout op of g draws in training step `step` (0-based: optimizer steps before it)."""
    s = step_seed(trainer_seed, step)
    out: Masks = {}
    for i, n in enumerate(g.nodes):
        if n.type == "dropout" and n.settings["p"] > 0:
            w = g.widths[i + 1]
            out[i] = (lk_uniform(rng_mix(s, i), rows * w) >= np.float32(n.settings["p"])).reshape(rows, w)
    return out


# --- float64 NumPy forward pass --------------------------------------------------------------------------------


def np_forward(g: Graph, tensors: Tensors, x: Array, train: bool, masks: Masks | None = None) -> Array:
    """The graph's output; train: batch statistics and dropout masks (eval: running statistics, no dropout)."""
    vals = [np.asarray(x, np.float64)]
    for i, n in enumerate(g.nodes):
        a = vals[n.inputs[0]]
        p = {k: np.asarray(v, np.float64) for k, v in tensors.get(i, {}).items()}
        s = n.settings
        if n.type == "dense":
            y = a @ p["weight"].T + p["bias"]
        elif n.type == "activation":
            y = ACT_REFS[s["activation"]].forward(a, activation_params(s))
        elif n.type == "prelu":
            y = np.where(a > 0.0, a, p["weight"] * a)
        elif n.type == "add":
            y = a + vals[n.inputs[1]]
        elif n.type == "dropout":
            y = a * masks[i] / (1.0 - s["p"]) if train and s["p"] > 0 else a
        elif n.type == "batch_norm":
            if train:
                mean, var = a.mean(axis=0), a.var(axis=0)
            else:
                mean, var = p["running_mean"], p["running_var"]
            y = (a - mean) / np.sqrt(var + s["eps"])
            if s.get("affine", True):
                y = y * p["weight"] + p["bias"]
        elif n.type == "layer_norm":
            y = (a - a.mean(axis=1, keepdims=True)) / np.sqrt(a.var(axis=1, keepdims=True) + s["eps"])
            if s.get("affine", True):
                y = y * p["weight"] + p["bias"]
        else:
            raise ValueError(f"unknown op {n.type!r}")
        vals.append(y)
    return vals[-1]


def np_loss(g: Graph, tensors: Tensors, x: Array, t: Array, loss: str, masks: Masks | None = None) -> float:
    return ref.loss(loss, np_forward(g, tensors, x, True, masks), np.asarray(t, np.float64))


def finite_differences(g: Graph, tensors: Tensors, x: Array, t: Array, loss: str, masks: Masks | None,
                       picks: Sequence[tuple[int, str, int]], h: float = 1e-6) -> Array:
    """Central differences of the float64 train-mode loss for (op, parameter name, flat index) picks."""
    base = {i: {k: np.array(v, np.float64) for k, v in d.items()} for i, d in tensors.items()}
    out = []
    for i, name, k in picks:
        flat = base[i][name].reshape(-1)
        keep = flat[k]
        flat[k] = keep + h
        up = np_loss(g, base, x, t, loss, masks)
        flat[k] = keep - h
        down = np_loss(g, base, x, t, loss, masks)
        flat[k] = keep
        out.append((up - down) / (2 * h))
    return np.array(out)


# --- torch ---------------------------------------------------------------------------------------------------

def activation_params(settings: dict[str, Any]) -> dict[str, float]:
    """An activation op's parameters from its settings, as the op reads them (core/ops/activation.cpp): the
    spec's defaults, each overridden by the setting of its name; `alpha` only where a parameter has that name."""
    return {k: float(settings.get(k, v)) for k, v in spec().activation(settings["activation"]).params.items()}


def torch_activation(settings: dict[str, Any], z: Any) -> Any:
    """The catalogue's activations as torch computes them (the `torch` column of tests/activation_refs.py: a
    missing row fails only the cases that use that activation)."""
    row = ACT_REFS[settings["activation"]]
    assert row.torch is not None, f"{settings['activation']} has no torch equivalent"
    return row.torch(z, activation_params(settings))


def torch_forward(g: Graph, p: dict[int, dict[str, Any]], x: Any, train: bool, masks: Masks | None = None) -> Any:
    """The graph on torch tensors ``p`` (same layout as Tensors). In train mode, batch_norm moves the running
    statistics tensors of ``p`` in place, as torch.nn.BatchNorm1d does (momentum, unbiased variance)."""
    import torch

    fn = torch.nn.functional
    vals = [x]
    for i, n in enumerate(g.nodes):
        a = vals[n.inputs[0]]
        s, q = n.settings, p.get(i, {})
        if n.type == "dense":
            y = fn.linear(a, q["weight"], q["bias"])
        elif n.type == "activation":
            y = torch_activation(s, a)
        elif n.type == "prelu":
            y = fn.prelu(a, q["weight"])
        elif n.type == "add":
            y = a + vals[n.inputs[1]]
        elif n.type == "dropout":
            keep = torch.tensor(masks[i], dtype=a.dtype) if train and s["p"] > 0 else None
            y = a * keep / (1.0 - s["p"]) if keep is not None else a
        elif n.type == "batch_norm":
            y = fn.batch_norm(a, q["running_mean"], q["running_var"], q.get("weight"), q.get("bias"), train,
                              s["momentum"], s["eps"])
        elif n.type == "layer_norm":
            y = fn.layer_norm(a, (a.shape[1],), q.get("weight"), q.get("bias"), s["eps"])
        else:
            raise ValueError(f"unknown op {n.type!r}")
        vals.append(y)
    return vals[-1]


def torch_loss(loss: str, y: Any, t: Any) -> Any:
    import torch

    if loss == "mse":
        return ((y - t) ** 2).mean()
    if loss == "cce":
        return -(t * torch.log(y)).sum(dim=1).mean()
    if loss == "bce":
        return -(t * torch.clamp(torch.log(y), min=-100) + (1 - t) * torch.clamp(torch.log(1 - y), min=-100)).mean()
    raise ValueError(f"unknown loss {loss!r}")


def torch_tensors(g: Graph, tensors: Tensors, dtype: Any) -> dict[int, dict[str, Any]]:
    """Leaf tensors: trainable ones require grad, buffers do not."""
    import torch

    out: dict[int, dict[str, Any]] = {}
    for i, d in tensors.items():
        kinds = {name: tr for name, _, tr in g.params(i)}
        out[i] = {k: torch.tensor(np.asarray(v, np.float64), dtype=dtype, requires_grad=kinds[k])
                  for k, v in d.items()}
    return out


def torch_gradients(g: Graph, tensors: Tensors, x: Array, t: Array, loss: str,
                    masks: Masks | None = None) -> tuple[float, Tensors, Tensors]:
    """float64 autograd: the loss, every trainable parameter's gradient and the buffers after the forward."""
    import torch

    p = torch_tensors(g, tensors, torch.float64)
    value = torch_loss(loss, torch_forward(g, p, torch.tensor(x, dtype=torch.float64), True, masks),
                       torch.tensor(t, dtype=torch.float64))
    value.backward()
    grads = {i: {k: v.grad.numpy() for k, v in d.items() if v.requires_grad} for i, d in p.items()}
    after = {i: {k: v.detach().numpy() for k, v in d.items()} for i, d in p.items()}
    return value.item(), grads, after


def torch_trajectory(g: Graph, tensors: Tensors, x: Array, t: Array, loss: str, optimizer: dict, lr: float,
                     steps: int, trainer_seed: int) -> tuple[list[float], Tensors]:
    """`steps` torch.optim steps on the batch (x, t), float64, with LearnKit's dropout mask of each step; returns
    the loss before each step and every parameter and buffer afterwards."""
    import torch

    p = torch_tensors(g, tensors, torch.float64)
    leaves = [v for d in p.values() for v in d.values() if v.requires_grad]
    if optimizer["kind"] == "sgd":
        opt: Any = torch.optim.SGD(leaves, lr=lr, momentum=optimizer.get("momentum", 0.0),
                                   weight_decay=optimizer.get("weight_decay", 0.0))
    else:
        opt = torch.optim.Adam(leaves, lr=lr, betas=(optimizer.get("beta1", 0.9), optimizer.get("beta2", 0.999)),
                               eps=optimizer.get("epsilon", 1e-8), weight_decay=optimizer.get("weight_decay", 0.0))
    xt, tt = torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)
    losses = []
    for k in range(steps):
        opt.zero_grad()
        value = torch_loss(loss, torch_forward(g, p, xt, True, dropout_masks(g, len(x), trainer_seed, k)), tt)
        value.backward()
        opt.step()
        losses.append(value.item())
    return losses, {i: {k: v.detach().numpy().copy() for k, v in d.items()} for i, d in p.items()}
