"""Replacing and unregistering custom activations, and their GPU warm-up, through Godot on both backends
(godot_project/tests/cases/custom_act_life.gd; one launch per backend, its cases in order):

  - register_activation(name, ..., replace = true) replaces a registered activation: a network built before
    keeps computing (forward and gradients) with the definition it was built with, a network built afterwards
    gets the new one; without replace the name is refused. Each is checked against NumPy, on both backends, in
    one process: a GPU pipeline cache keyed on the name would give one network the other's numbers;
  - unregister_activation(name): layer descriptions, sequential(), loading and duplicate() of a model that name
    it fail with an error naming it (duplicate() resolves the name anew: the current definition); networks built before still predict, compute gradients and train; bad names (unknown,
    built-in, alias, not a String) return an Error with a message naming them; the name can be registered again;
  - warm_up("gpu") builds the pipelines of the custom activations registered at its call: a fit, predict and
    compute_gradients afterwards build none on demand (get_device_info().gpu_pipelines), and the numbers match
    NumPy and the CPU backend; a replacement's new kernels are built on demand;
  - four threads replacing, using and unregistering one name while a network built before predicts: every
    prediction comes from one whole definition.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from conftest import BackendResults
from lk import BACKENDS, dec, enc, ok

pytestmark = pytest.mark.usefixtures("godot_ready")

ERR_INVALID_PARAMETER = 31  # Godot's Error enum
ERR_DOES_NOT_EXIST = 33

Act = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]  # NumPy f and f'


def _sig(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


NAME = "cl_act"
V1 = {"name": NAME, "forward": "a * lk_tanh(x)", "derivative": "a * (1.0 - (y / a) * (y / a))", "params": {"a": 1.5}}
V2 = {"name": NAME, "forward": "x / (1.0 + lk_abs(x))", "derivative": "1.0 / ((1.0 + lk_abs(x)) * (1.0 + lk_abs(x)))"}
V3 = {"name": NAME, "forward": "x * lk_sigmoid(x)", "derivative": "lk_sigmoid(x) * (1.0 + x * (1.0 - lk_sigmoid(x)))"}
NP: dict[str, Act] = {
    "v1": (lambda z: 1.5 * np.tanh(z), lambda z: 1.5 / np.cosh(z) ** 2),
    "v2": (lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2),
    "v3": (lambda z: z * _sig(z), lambda z: _sig(z) * (1 + z * (1 - _sig(z)))),
    "gauss": (lambda z: np.exp(-z * z), lambda z: -2 * z * np.exp(-z * z)),
    "gauss_half": (lambda z: np.exp(-0.5 * z * z), lambda z: -z * np.exp(-0.5 * z * z)),
}
WARM = [{"name": "cw_gauss", "forward": "lk_exp(-x * x)", "derivative": "-2.0 * x * y"},
        {"name": "cw_cubic", "forward": "0.1 * x * x * x + x", "derivative": "0.3 * x * x + 1.0"}]
WARM_REPLACEMENT = {"name": "cw_gauss", "forward": "lk_exp(-0.5 * x * x)", "derivative": "-x * y"}

RNG = np.random.default_rng(15)
X = RNG.uniform(-2, 2, (6, 3)).astype(np.float32)
T = RNG.uniform(-1, 1, (6, 2)).astype(np.float32)


def _cases(backend: str) -> list[dict]:
    common = {"v1": V1, "v2": V2, "v3": V3, "x": enc(X), "t": enc(T), "seed": 7,
              "path": f"user://custom_act_life_{backend}.json"}
    cases = [{"id": f"life_{k}", "kind": f"custom_act_life.{k}", **common}
             for k in ("register", "replace", "unregister", "errors", "reregister")]
    cases.append({"id": "threads", "kind": "custom_act_life.threads", "iterations": 150})
    if backend == "gpu":
        cases.append({"id": "warm", "kind": "custom_act_life.warm", "register": WARM, "act": "cw_gauss",
                      "replacement": WARM_REPLACEMENT, "x": enc(X), "t": enc(T), "seed": 5})
    return cases


RESULTS = BackendResults(_cases)


def _params(snap: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(dec(p["weight"]).astype(np.float64), dec(p["bias"]).astype(np.float64)) for p in snap["params"]]


def _reference(snap: dict, act: Act) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """NumPy's predictions and mse gradients of dense(3, 4, act) -> dense(4, 2) with the snapshot's parameters."""
    (w1, b1), (w2, b2) = _params(snap)
    f, df = act
    x, t = X.astype(np.float64), T.astype(np.float64)
    h = x @ w1.T + b1
    a = f(h)
    o = a @ w2.T + b2
    d_o = 2.0 * (o - t) / o.size
    d_h = (d_o @ w2) * df(h)
    return o, [(d_h.T @ x, d_h.sum(0)), (d_o.T @ a, d_o.sum(0))]


def _check(snap: dict, version: str, backend: str, what: str) -> None:
    assert not snap.get("missing"), f"{what}: the network was not built"
    assert snap["backend"] == backend, f"{what}: ran on {snap['backend']}"
    want_y, want_g = _reference(snap, NP[version])
    np.testing.assert_allclose(dec(snap["y"]), want_y, rtol=1e-4, atol=1e-5, err_msg=f"{what}: predict vs {version}")
    for (gw, gb), (ww, wb) in zip(_params({"params": snap["grads"]}), want_g, strict=True):
        np.testing.assert_allclose(gw, ww, rtol=1e-4, atol=1e-5, err_msg=f"{what}: weight gradient vs {version}")
        np.testing.assert_allclose(gb, wb, rtol=1e-4, atol=1e-5, err_msg=f"{what}: bias gradient vs {version}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_replace_keeps_existing_networks_on_their_definition(backend: str) -> None:
    r1 = ok(RESULTS[backend]["life_register"])
    assert r1["first"] == 0 and r1["again"] == ERR_INVALID_PARAMETER and r1["bad_replace"] == ERR_INVALID_PARAMETER
    assert len(r1["errors"]) == 2, r1["errors"]
    assert f'"{NAME}" is already registered (pass replace = true' in r1["errors"][0], r1["errors"]
    assert f'forward of "{NAME}": ' in r1["errors"][1], r1["errors"]
    assert r1["info"]["version"] == 1 and r1["info"]["forward"] == V1["forward"]
    _check(r1["old"], "v1", backend, "built with v1")

    r2 = ok(RESULTS[backend]["life_replace"])
    assert r2["returned"] == 0 and r2["export"] == 0 and r2["duplicate_empty"]
    assert len(r2["errors"]) == 1 and 'LKNetwork.model: ' in r2["errors"][0], r2["errors"]
    assert 'unknown setting "a"' in r2["errors"][0], r2["errors"]  # v2 has no parameter a: duplicate() resolved anew
    assert r2["info"]["version"] == 2 and r2["info"]["forward"] == V2["forward"] and r2["info"]["params"] == {}
    _check(r2["old"], "v1", backend, "built with v1, after the replacement")
    _check(r2["new"], "v2", backend, "built after the replacement")
    # Same seed, same weights: only the definition differs, and it shows.
    for (w_old, b_old), (w_new, b_new) in zip(_params(r2["old"]), _params(r2["new"]), strict=True):
        np.testing.assert_array_equal(w_old, w_new)
        np.testing.assert_array_equal(b_old, b_new)
    assert np.abs(dec(r2["old"]["y"]) - dec(r2["new"]["y"])).max() > 1e-2
    if backend == "gpu":  # the new definition got pipelines of its own
        assert r2["pipelines"]["custom"] - r1["pipelines"]["custom"] == 2, (r1["pipelines"], r2["pipelines"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_unregistered_names_are_refused_and_existing_networks_keep_working(backend: str) -> None:
    r = ok(RESULTS[backend]["life_unregister"])
    assert r["returned"] == 0 and r["info"] == {}
    refused = ("dense", "activation", "layer", "sequential", "import", "duplicate")
    assert all(r[f"{k}_refused"] for k in refused[:-1]) and r["duplicate_empty"], r
    # One error per refusal, each naming the activation and the call.
    assert len(r["errors"]) == len(refused), r["errors"]
    calls = ("dense", "activation", "layer", "sequential", "serialize.import", "LKNetwork.model")
    for call, error in zip(calls, r["errors"], strict=True):
        assert f"LearnKit.{call}:" in error and f'unknown activation "{NAME}"' in error, error
    _check(r["old"], "v1", backend, "v1 network after unregister")
    _check(r["new"], "v2", backend, "v2 network after unregister")
    loss = np.asarray(r["fit_loss"])
    assert loss.size == 5 and np.all(np.isfinite(loss)) and loss[-1] < loss[0], loss
    _check(r["trained"], "v2", backend, "v2 network trained after unregister")


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_names_return_an_error_naming_them(backend: str) -> None:
    r = ok(RESULTS[backend]["life_errors"])
    assert r["returned"] == [ERR_DOES_NOT_EXIST] + [ERR_INVALID_PARAMETER] * 5
    errors = "\n".join(r["errors"])
    assert f'no custom activation named "{NAME}" is registered (registered: none)' in errors, errors
    assert '"relu" is a built-in activation: only custom activations can be unregistered' in errors, errors
    assert '"swish" is a built-in activation (an alias of silu)' in errors, errors
    assert errors.count("expected a String (a custom activation's name)") == 3, errors
    assert all("unregister_activation" in e for e in r["errors"]), errors
    assert r["string_name_register"] == 0 and r["string_name"] == 0 and "cl_by_string_name" not in r["names_after"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_name_can_be_registered_again_after_unregister(backend: str) -> None:
    r = ok(RESULTS[backend]["life_reregister"])
    assert r["returned"] == 0 and not r["errors"], r["errors"]
    assert r["info"]["version"] == 3 and r["info"]["forward"] == V3["forward"]
    _check(r["third"], "v3", backend, "built after registering again")
    _check(r["old"], "v1", backend, "v1 network at the end")
    _check(r["duplicate"], "v3", backend, "duplicate() of the v2 network")


@pytest.mark.parametrize("backend", BACKENDS)
def test_replacing_and_unregistering_while_other_threads_compute(backend: str) -> None:
    r = ok(RESULTS[backend]["threads"])
    assert r["checked"] > 150, r  # networks built between another thread's unregister and register are refused
    assert r["wrong"] == 0 and r["old_wrong"] == 0, r


def test_warm_up_builds_the_registered_custom_pipelines() -> None:
    r = ok(RESULTS["gpu"]["warm"])
    assert r["warm"] == {"done": True, "success": True}, r
    before, warm, fit, replaced = r["before"], r["after_warm"], r["after_fit"], r["after_replace"]
    assert warm["custom"] - before["custom"] == 4, (before, warm)  # two activations, forward and backward
    assert warm["warmed"] - before["warmed"] >= 4 and warm["from_glsl"] - before["from_glsl"] == 4, (before, warm)
    # fit, predict and compute_gradients after the warm-up: nothing built on demand, custom or built-in.
    assert fit["on_demand"] == warm["on_demand"] and fit["custom"] == warm["custom"], (warm, fit)
    assert r["fit_backend"] == "gpu"
    _check(r["trained"], "gauss", "gpu", "trained after warm-up")
    np.testing.assert_allclose(r["fit_loss"], r["cpu_fit_loss"], rtol=1e-4, atol=1e-6)
    assert len(r["fit_loss"]) == 4 and r["fit_loss"][-1] < r["fit_loss"][0]
    # A replacement is a new definition with new kernels: built on demand by its first network.
    assert r["replaced"] == 0
    assert replaced["on_demand"] - fit["on_demand"] == 2 and replaced["custom"] - fit["custom"] == 2, (fit, replaced)
    _check(r["replaced_net"], "gauss_half", "gpu", "after replacing a warmed activation")
