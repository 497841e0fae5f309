"""Bigger GEMM shapes through compute_gradients and predict: several tiles, aligned and unaligned, and one network
large enough that the builders pick the 128x128-tile GEMM kernels (>= GEMM_BIG_TILES tiles of output, see
gemm_big in gdextension/src/core/kernel_builders.cpp) for the forward, weight-gradient and input-gradient layouts,
on both their interior (aligned, unchecked) and edge (bounds-checked) paths."""
from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from conftest import BackendResults
from lk import (
    BACKENDS,
    as64,
    chain,
    dec,
    dec_params,
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
    random_targets,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

SETUPS = [
    ("mse", "relu", "identity", [256, 132, 64], 260),
    ("mse", "tanh", "identity", [257, 131, 67], 259),
    ("cce", "relu", "softmax", [784, 256, 10], 128),
    ("mse", "sigmoid", "leaky_relu", [3, 300, 1], 300),
    ("mse", "relu", "relu", [1, 129, 1], 1),
    ("mse", "identity", "tanh", [512, 516, 260], 384),
    # 128-tile kernels: layer 1 forward 2048x2048 (interior), layer 2 forward 2048x2052 (edge columns),
    # layer 2 weight gradient 2052x2048, input gradients 2048x2052 (inner 3) and 2048x2048 (inner 2052).
    ("cce", "relu", "softmax", [64, 2048, 2052, 3], 2048),
]
_REFS: dict[str, tuple] = {}


def make_cases() -> list[dict]:
    rng = np.random.default_rng(3)
    cases = []
    for loss, hidden, output, sizes, batch in SETUPS:
        layers = chain(sizes, [hidden] * (len(sizes) - 2) + [output], alpha=0.1)
        params = random_params(rng, layers)
        x = rng.uniform(-1, 1, (batch, sizes[0])).astype(np.float32)
        t = random_targets(rng, loss, batch, sizes[-1])
        name = f"{loss}-{hidden}-{output}-{'x'.join(map(str, sizes))}-b{batch}"
        cases.append({"id": name, "kind": "gradients.compute", "layers": layers_case(layers),
                      "params": enc_params(params), "loss": loss, "x": enc(x), "targets": enc(t)})
        cases.append({"id": name + "-fwd", "kind": "forward.predict", "layers": layers_case(layers),
                      "params": enc_params(params), "x": enc(x), "row_type": "packed"})
        _REFS[name] = (layers, params, x, t, loss)
    return cases


CASES = make_cases()


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", list(_REFS))
def test_big(results: BackendResults, backend: str, case_id: str) -> None:
    layers, params, x, t, loss = _REFS[case_id]
    r = ok(results[backend][case_id])
    assert r["backend"] == backend
    lval, expected = ref.gradients(layers, as64(params), x.astype(np.float64), t.astype(np.float64), loss)
    assert r["loss"] == pytest.approx(lval, rel=1e-5, abs=1e-7)
    for i, ((aw, ab), (ew, eb)) in enumerate(zip(dec_params(r["gradients"]), expected, strict=True)):
        for a, e, what in ((aw, ew, "w"), (ab, eb, "b")):
            scale = max(float(np.abs(e).max()), 1e-12)
            np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-5 * scale, err_msg=f"layer {i} {what}")
    f = ok(results[backend][case_id + "-fwd"])
    y = dec(f["y_flat"])
    yref = ref.forward(layers, as64(params), x.astype(np.float64), ref.Trace())
    np.testing.assert_allclose(y, yref, rtol=1e-4, atol=1e-5)
