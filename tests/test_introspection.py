"""What a network shows of itself: forward_trace() gives every tensor's values for one row (checked against
NumPy, tensor by tensor), estimate_size() what it takes in memory and on disk."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BackendResults
from lk import BACKENDS, chain, dec, enc, enc_params, layers_case, ok, random_params

pytestmark = pytest.mark.usefixtures("godot_ready")

LAYERS = chain([3, 5, 2], ["tanh", "softmax"])
PARAMS = random_params(np.random.default_rng(11), LAYERS)
X = np.array([[0.5, -1.25, 2.0]], np.float32)


def make_cases() -> list[dict]:
    base = {"layers": layers_case(LAYERS), "params": enc_params(PARAMS)}
    return [{"id": "trace", "kind": "introspect.trace", "x": enc(X), **base},
            {"id": "size", "kind": "introspect.size", **base}]


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: make_cases())


def expected_tensors() -> list[tuple[str, np.ndarray]]:
    (w1, b1), (w2, b2) = ((w.astype(np.float64), b.astype(np.float64)) for w, b in PARAMS)
    x = X[0].astype(np.float64)
    z1 = w1 @ x + b1
    y1 = np.tanh(z1)
    z2 = w2 @ y1 + b2
    e = np.exp(z2 - z2.max())
    return [("input", x), ("dense", z1), ("activation", y1), ("dense", z2), ("activation", e / e.sum())]


@pytest.mark.parametrize("backend", BACKENDS)
def test_forward_trace_gives_every_tensor(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["trace"])
    trace = r["trace"]
    want = expected_tensors()
    assert [t["type"] for t in trace] == [w[0] for w in want]
    assert [t["shape"] for t in trace] == [[len(w[1])] for w in want]
    for t, (_, values) in zip(trace, want, strict=True):
        np.testing.assert_allclose(dec(t["values"]), values, rtol=1e-5, atol=1e-6)
    assert dec(trace[-1]["values"]).tobytes() == dec(r["predict"]).reshape(-1).tobytes(), "trace != predict"


@pytest.mark.parametrize("backend", BACKENDS)
def test_estimate_size(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["size"])
    params = 3 * 5 + 5 + 5 * 2 + 2
    s8, s64 = r["s8"], r["s64"]
    assert s8["parameters"] == params and s8["buffers"] == 0 and s8["parameter_bytes"] == 4 * params
    assert s8["file_bytes"] == r["json_bytes"]
    # Memory grows with the batch; training holds gradients and optimizer state on top of a prediction's.
    assert 4 * params < s8["predict_bytes"] < s64["predict_bytes"]
    assert s8["train_bytes"] > s8["predict_bytes"] + 3 * 4 * params
    assert r["bad_is_empty"]
