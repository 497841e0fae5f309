"""LearnKit.dense(inputs, outputs, activation, alpha, init): a layer's own initializer, in the forms
sequential() takes (Dictionary with parameters, name, WeightInitialization value), checked against the
initializers' definitions (bounds and moments of U(a, b), exact zeros and ones), the network's initializer for
the layers without one, the same weights as dense ops with "init" settings (LearnKit.layer("dense", ...)), initialize()
keeping the own initializers, a NumPy forward pass, and the errors of bad values.
Initialisation runs on the host, the same for both backends, so one (headless) launch covers it
(godot_project/tests/cases/dense_init.gd)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import BackendResults
from lk import dec, enc, ok

pytestmark = pytest.mark.usefixtures("godot_ready")

X = np.random.default_rng(3).uniform(-1, 1, (5, 4)).astype(np.float32)
RESULTS = BackendResults(lambda backend: [
    {"id": "layers", "kind": "dense_init.layers", "seed": 21, "x": enc(X)},
    {"id": "errors", "kind": "dense_init.errors"},
])


def _params(r: dict, key: str = "params") -> list[tuple[np.ndarray, np.ndarray]]:
    return [(dec(p["weight"]).astype(np.float64), dec(p["bias"]).astype(np.float64)) for p in r[key]]


def _check_own_initializers(params: list[tuple[np.ndarray, np.ndarray]]) -> None:
    (w0, b0), (w1, b1), (w2, b2) = params[:3]
    # U(-0.2, 0.3): 1200 draws within the bounds, mean 0.05, variance 0.5^2 / 12, 5 standard errors.
    assert w0.size == 1200 and w0.min() >= -0.2 and w0.max() <= 0.3 and w0.min() < -0.18 and w0.max() > 0.28
    var = 0.25 / 12
    assert abs(w0.mean() - 0.05) < 5 * np.sqrt(var / w0.size), w0.mean()
    assert abs(w0.var() - var) < 5 * np.sqrt((0.5**4 / 80 - var**2) / w0.size), w0.var()
    np.testing.assert_array_equal(w1, np.zeros(600))
    np.testing.assert_array_equal(w2, np.ones(6))
    for b in (b0, b1, b2):  # these initializers leave biases at zero, as torch's do
        np.testing.assert_array_equal(b, np.zeros_like(b))


def test_each_dense_layer_keeps_its_own_initializer() -> None:
    r = ok(RESULTS["cpu"]["layers"])
    params = _params(r)
    _check_own_initializers(params)
    np.testing.assert_array_equal(params[3][0], np.full(6, 0.25))  # no init: the network's constant 0.25
    dense = [op["settings"] for op in r["ops"] if op["type"] == "dense"]
    assert dense[0]["init"] == "uniform" and dense[0]["init_a"] == pytest.approx(-0.2)
    assert dense[0]["init_b"] == pytest.approx(0.3)
    assert [d.get("init") for d in dense] == ["uniform", "zeros", "ones", None]
    # The same layers as dense ops with "init" settings get the same weights from the same seed.
    for (w, b), (tw, tb) in zip(params, _params(r, "twin_params"), strict=True):
        np.testing.assert_array_equal(w, tw)
        np.testing.assert_array_equal(b, tb)
    # initialize() draws again with a new network initializer: the own ones stay.
    again = _params(r, "reinit_params")
    _check_own_initializers(again)
    assert not np.array_equal(again[0][0], params[0][0]), "initialize() with a new seed drew the same weights"
    np.testing.assert_array_equal(again[3][0], np.zeros(6))


def test_forward_pass_of_the_initialised_network_matches_numpy() -> None:
    r = ok(RESULTS["cpu"]["layers"])
    (w0, b0), (w1, b1), (w2, b2), (w3, b3) = _params(r)
    h = np.maximum(X @ w0.reshape(300, 4).T + b0, 0)
    h = h @ w1.reshape(2, 300).T + b1
    h = np.tanh(h @ w2.reshape(3, 2).T + b2)
    want = h @ w3.reshape(2, 3).T + b3
    np.testing.assert_allclose(dec(r["y"]), want, rtol=1e-5, atol=1e-6)


def test_bad_init_values_are_refused_with_an_error_naming_them() -> None:
    r = ok(RESULTS["cpu"]["errors"])
    assert r["refused"] == [True] * 5
    errors = r["errors"]
    assert len(errors) == 5 and all("LearnKit.dense: " in e and "initializer" in e for e in errors), errors
    for text, error in zip(['"bogus_init"', "a <= b", '"q"', "3.5", "name"], errors, strict=True):
        assert text in error, (text, error)
