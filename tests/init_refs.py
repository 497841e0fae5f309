"""The initializers' reference table (one row per codegen/spec/initializers.yaml entry), written from torch:
what each initializer should draw for a W[fan_out x fan_in] and its bias, with the parameter values tests try.

A distribution is ("normal", mean, std), ("uniform", low, high), ("constant", value) or ("orthogonal", gain).
Gains and fans come from torch.nn.init itself (calculate_gain, _calculate_correct_fan); the bounds are the
formulas of torch's documentation, and torch_linear's are nn.Linear.reset_parameters'.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

Dist = tuple
Params = dict


def _fan(mode: str, fan_in: int, fan_out: int) -> int:
    w = torch.empty(fan_out, fan_in)
    return torch.nn.init._calculate_correct_fan(w, mode)


def _gain(nonlinearity: str, a: float) -> float:
    return torch.nn.init.calculate_gain(nonlinearity, a)


def _kaiming_std(p: Params, fi: int, fo: int) -> float:
    return _gain(p["nonlinearity"], p["a"]) / math.sqrt(_fan(p["mode"], fi, fo))


ZERO: Dist = ("constant", 0.0)


@dataclass(frozen=True)
class InitRef:
    """weight(params, fan_in, fan_out) and bias(...) -> Dist; samples: parameter sets to try (besides {})."""
    weight: Callable[[Params, int, int], Dist]
    bias: Callable[[Params, int, int], Dist] = lambda p, fi, fo: ZERO
    samples: list[Params] = field(default_factory=list)


INIT_REFS: dict[str, InitRef] = {
    "kaiming": InitRef(lambda p, fi, fo: ("normal", 0.0, _kaiming_std(
        {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"}, fi, fo))),
    "xavier": InitRef(lambda p, fi, fo: ("uniform", -math.sqrt(6 / (fi + fo)), math.sqrt(6 / (fi + fo)))),
    "kaiming_normal": InitRef(
        lambda p, fi, fo: ("normal", 0.0, _kaiming_std(p, fi, fo)),
        samples=[{"mode": "fan_out", "nonlinearity": "leaky_relu", "a": 0.1}, {"nonlinearity": "tanh"}]),
    "kaiming_uniform": InitRef(
        lambda p, fi, fo: ("uniform", -math.sqrt(3) * _kaiming_std(p, fi, fo), math.sqrt(3) * _kaiming_std(p, fi, fo)),
        samples=[{"mode": "fan_out", "nonlinearity": "relu"}, {"nonlinearity": "leaky_relu", "a": math.sqrt(5)}]),
    "xavier_normal": InitRef(lambda p, fi, fo: ("normal", 0.0, p["gain"] * math.sqrt(2 / (fi + fo))),
                             samples=[{"gain": 2.5}]),
    "xavier_uniform": InitRef(lambda p, fi, fo: ("uniform", -p["gain"] * math.sqrt(6 / (fi + fo)),
                                                 p["gain"] * math.sqrt(6 / (fi + fo))),
                              samples=[{"gain": _gain("tanh", 0.0)}]),
    "lecun_normal": InitRef(lambda p, fi, fo: ("normal", 0.0, _kaiming_std(
        {"a": 0.0, "mode": "fan_in", "nonlinearity": "linear"}, fi, fo))),
    "lecun_uniform": InitRef(lambda p, fi, fo: ("uniform", -math.sqrt(3 / fi), math.sqrt(3 / fi))),
    "orthogonal": InitRef(lambda p, fi, fo: ("orthogonal", p["gain"]), samples=[{"gain": 0.5}]),
    "zeros": InitRef(lambda p, fi, fo: ("constant", 0.0)),
    "ones": InitRef(lambda p, fi, fo: ("constant", 1.0)),
    "constant": InitRef(lambda p, fi, fo: ("constant", p["val"]), samples=[{"val": 0.25}, {"val": -3.0}]),
    "uniform": InitRef(lambda p, fi, fo: ("uniform", p["a"], p["b"]), samples=[{"a": -2.0, "b": 3.0}]),
    "normal": InitRef(lambda p, fi, fo: ("normal", p["mean"], p["std"]), samples=[{"mean": 1.5, "std": 0.2}]),
    "torch_linear": InitRef(
        lambda p, fi, fo: ("uniform", -1 / math.sqrt(_fan("fan_in", fi, fo)), 1 / math.sqrt(_fan("fan_in", fi, fo))),
        lambda p, fi, fo: ("uniform", -1 / math.sqrt(fi), 1 / math.sqrt(fi))),
}


def torch_linear_extremes(fan_in: int, fan_out: int) -> tuple[float, float]:
    """The largest |w| and |b| of a real torch.nn.Linear: its draws' bounds seen from outside (torch_linear's
    row spells the bounds out; the tests check the two agree)."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(fan_in, fan_out)
    return float(layer.weight.detach().abs().max()), float(layer.bias.detach().abs().max())
