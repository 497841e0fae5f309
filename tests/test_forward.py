"""Forward pass: predict() and predict_flat() against the NumPy reference, for every activation, on awkward
shapes (widths 1, 7, 127; batches 1, 7, 33) and on extreme inputs (+-100, pre-activations beyond +-300)."""

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
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
    spec,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

# float32 forward vs a float64 reference: a float32 dot product of n terms carries a relative error of about
# n * 6e-8 of the sum of |terms|; a naive float32 forward pass on these shapes stays within 0.2 of this
# tolerance (measured), so these leave room for other summation orders but catch any real mistake.
RTOL, ATOL = 1e-4, 1e-5

# Whole networks of the first activations of the spec (those tests/reference.py implements), at their default
# alpha, and at alpha 0.2 when they have one. Every activation of the catalogue, with every parameter, on both
# backends: tests/test_activations.py.
NETWORK_ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
ACTIVATIONS = [(a.name, a.params.get("alpha", 0.01)) for a in spec().activations if a.name in NETWORK_ACTIVATIONS]
ACTIVATIONS += [(name, 0.2) for name, _ in ACTIVATIONS if "alpha" in spec().activation(name).params]
SHAPES = [  # (layer sizes, batch, input scale)
    ([1, 127, 7], 33, 1.0),
    ([127, 1], 1, 1.0),
    ([7, 7, 7], 7, 1.0),
    ([7, 127, 7], 33, 100.0),  # Extreme inputs: overflow in exp() shows up as inf/NaN.
]


def make_cases() -> list[dict]:
    rng = np.random.default_rng(20240601)
    cases = []
    for act, alpha in ACTIVATIONS:
        for sizes, batch, scale in SHAPES:
            layers = chain(sizes, [act] * (len(sizes) - 1), alpha)
            cases.append(case(f"{act}{alpha if alpha != 0.01 else ''}-{'x'.join(map(str, sizes))}-b{batch}"
                              f"-s{scale:g}", layers, random_params(rng, layers), rng, batch, scale))
    mixed = chain([7, 127, 33, 7], ["relu", "tanh", "softmax"])
    cases.append(case("mixed-rows-as-arrays", mixed, random_params(rng, mixed), rng, 7, 1.0, row_type="array"))
    cases.append(case("mixed-b1", mixed, random_params(rng, mixed), rng, 1, 1.0))
    return cases


def case(name: str, layers: list[ref.Layer], params, rng: np.random.Generator, batch: int, scale: float,
         row_type: str = "packed") -> dict:
    x = (rng.uniform(-1, 1, (batch, layers[0].inputs)) * scale).astype(np.float32)
    return {"id": name, "kind": "forward.predict", "layers": layers_case(layers), "params": enc_params(params),
            "x": enc(x), "row_type": row_type,
            # Kept for the test, ignored by the runner:
            "_ref": {"layers": layers, "params": params, "x": x, "scale": scale}}


CASES = make_cases()
_REFS = {c["id"]: c.pop("_ref") for c in CASES}


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", [c["id"] for c in CASES])
def test_predict_matches_numpy(results: BackendResults, backend: str, case_id: str) -> None:
    r = ok(results[backend][case_id])
    data = _REFS[case_id]
    expected = ref.forward(data["layers"], as64(data["params"]), data["x"].astype(np.float64))
    y = dec(r["y"])
    assert y.shape == expected.shape
    assert np.isfinite(y).all(), "non-finite outputs"
    # Inputs of magnitude s carry rounding errors proportional to s.
    np.testing.assert_allclose(y, expected, rtol=RTOL, atol=ATOL * data["scale"])
    np.testing.assert_allclose(dec(r["y_flat"]), y, rtol=1e-6, atol=1e-7, err_msg="predict_flat != predict")
    assert r["backend"] == backend and r["backend_flat"] == backend, "the network ran on another backend"
    assert not r["errors"], r["errors"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_shape_queries(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["mixed-b1"])
    assert (r["layer_count"], r["input_size"], r["output_size"]) == (3, 7, 7)
    assert [(la["inputs"], la["outputs"], la["activation"]) for la in r["layers"]] == [
        (7, 127, "relu"), (127, 33, "tanh"), (33, 7, "softmax")]


@pytest.mark.parametrize("case_id", [c["id"] for c in CASES])
def test_gpu_matches_cpu(results: BackendResults, case_id: str) -> None:
    cpu, gpu = ok(results["cpu"][case_id]), ok(results["gpu"][case_id])
    np.testing.assert_allclose(dec(gpu["y"]), dec(cpu["y"]), rtol=RTOL, atol=ATOL * _REFS[case_id]["scale"])
