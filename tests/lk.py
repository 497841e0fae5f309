"""Helpers that build test cases for godot_project/tests/runner.gd and read their results.

Matrices cross the JSON boundary as ``{"f32": base64 of little-endian float32, "shape": [...]}`` so that numbers
arrive bit for bit (see godot_project/tests/cases/util.gd).
"""

from __future__ import annotations

import base64
import functools
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from reference import Layer, Params

BACKENDS = ("cpu", "gpu")
ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def spec():
    """The validated catalogue of codegen/spec/*.yaml (activations, losses, optimizers, initializers): the tests
    cover every entry, so a new one is tested at once (and fails until reference.py knows it)."""
    sys.path.insert(0, str(ROOT / "codegen"))
    from lk_codegen import catalogue

    return catalogue.load()


def loss_link(loss: str) -> str:
    """The output activation a loss pairs with in the spec (mse: identity, bce: sigmoid, cce: softmax)."""
    return next(entry.link for entry in spec().losses if entry.name == loss)


def loss_targets(loss: str) -> str:
    """The kind of targets a loss takes in the spec: real, probability or distribution."""
    return next(entry.targets for entry in spec().losses if entry.name == loss)


def enc(a: np.ndarray) -> dict:
    """Encodes an array as float32 (row-major) with its shape."""
    a32 = np.ascontiguousarray(a, dtype="<f4")
    return {"f32": base64.b64encode(a32.tobytes()).decode("ascii"), "shape": list(a32.shape)}


def dec(m: dict) -> np.ndarray:
    """Decodes what enc() or the runner's Util.encode() wrote."""
    if "error" in m:
        raise AssertionError(f"the runner could not encode a result: {m['error']}")
    a = np.frombuffer(base64.b64decode(m["f32"]), dtype="<f4")
    shape = [int(s) for s in m["shape"]]
    if int(np.prod(shape)) != a.size:
        raise AssertionError(f"{a.size} values where shape {shape} needs {int(np.prod(shape))}")
    return a.reshape(shape)


def enc_params(params: Params) -> list[dict]:
    return [{"weight": enc(w), "bias": enc(b)} for w, b in params]


def dec_params(encoded: list[dict]) -> Params:
    return [(dec(p["weight"]), dec(p["bias"])) for p in encoded]


def layers_case(layers: Sequence[Layer]) -> list[dict]:
    return [{"inputs": la.inputs, "outputs": la.outputs, "activation": la.activation, "alpha": la.alpha}
            for la in layers]


def chain(sizes: Sequence[int], activations: Sequence[str], alpha: float = 0.01) -> list[Layer]:
    """Layers sizes[0] -> sizes[1] -> ... with the given activations (one per layer)."""
    assert len(activations) == len(sizes) - 1
    return [Layer(a, b, act, alpha) for a, b, act in zip(sizes[:-1], sizes[1:], activations, strict=True)]


def random_params(rng: np.random.Generator, layers: Sequence[Layer], scale: float = 1.0) -> Params:
    """float32 parameters, weights ~ N(0, scale/sqrt(fan_in)), biases ~ N(0, 0.1)."""
    return [(rng.normal(0, scale / np.sqrt(la.inputs), (la.outputs, la.inputs)).astype(np.float32),
             rng.normal(0, 0.1, la.outputs).astype(np.float32)) for la in layers]


def as64(params: Params) -> Params:
    return [(w.astype(np.float64), b.astype(np.float64)) for w, b in params]


def random_targets(rng: np.random.Generator, loss: str, rows: int, width: int) -> np.ndarray:
    """float32 targets of the kind the loss takes (spec key `targets`): reals, 0/1 labels, one-hot rows."""
    kind = loss_targets(loss)
    if kind == "real":
        return rng.normal(0, 1, (rows, width)).astype(np.float32)
    if kind == "probability":
        return rng.integers(0, 2, (rows, width)).astype(np.float32)
    if kind == "distribution":
        return np.eye(width, dtype=np.float32)[rng.integers(0, width, rows)]
    if kind == "sign":
        return rng.choice([-1.0, 1.0], (rows, width)).astype(np.float32)
    if kind == "nonnegative":
        return rng.poisson(2.0, (rows, width)).astype(np.float32)
    raise ValueError(f"loss {loss!r} takes targets of kind {kind!r}: teach random_targets about it")


def for_backend(cases: Iterable[dict], backend: str) -> list[dict]:
    """The cases with "device" set to the backend (a case that names its own device keeps it)."""
    return [{"device": backend, **c} for c in cases]


def ok(result: dict) -> dict:
    """The result when its case ran, else an AssertionError that says why (with the Godot errors it printed)."""
    if not result.get("ok"):
        errors = "\n  ".join(result.get("errors", [])) or "(none)"
        raise AssertionError(f"case {result.get('id')!r} failed: {result.get('error')}\n Godot errors:\n  {errors}")
    return result


def assert_params_close(actual: Params, expected: Params, rtol: float, atol: float, what: str = "") -> None:
    assert len(actual) == len(expected), f"{what}: {len(actual)} layers, expected {len(expected)}"
    for i, ((aw, ab), (ew, eb)) in enumerate(zip(actual, expected, strict=True)):
        np.testing.assert_allclose(aw, ew, rtol=rtol, atol=atol, err_msg=f"{what}: layer {i} weight")
        np.testing.assert_allclose(ab, eb, rtol=rtol, atol=atol, err_msg=f"{what}: layer {i} bias")
