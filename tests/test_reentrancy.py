"""Re-entrant calls, on each backend: what an epoch_completed handler may do while its fit() runs (the handler
runs on the thread running the fit, between two epochs; on the GPU after the readback of a chunk of epochs).

Allowed, and without effect on the running fit (its losses and parameters are bit for bit those of the same fit
without the handler): predict() and LearnKit.evaluate.* on the network being trained (they see its parameters
from before the fit: a network's parameters change when fit() returns), predict() on another network, a whole
fit() of another network with another trainer. Refused with an error, leaving the running fit as it was: any
training call on the same trainer or on another trainer of the same network, and set_parameters(), initialize(),
add_op() and the model property of the network being trained.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from conftest import BackendResults
from lk import (
    BACKENDS,
    as64,
    assert_params_close,
    chain,
    dec,
    dec_params,
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

ACTIONS = ["predict_self", "predict_other", "same_trainer", "other_trainer_same_network", "edit_network",
           "fit_other_network", "change_trainer"]
AT = [0, 17, 39]  # the epochs at which the handler acts: first, in the middle of a GPU chunk, last


def training(rng: np.random.Generator, sizes: list[int], acts: list[str], loss: str, rows: int,
             epochs: int) -> tuple[dict, tuple]:
    layers = chain(sizes, acts)
    params = random_params(rng, layers)
    x = rng.uniform(-1, 1, (rows, sizes[0])).astype(np.float32)
    t = (rng.normal(0, 1, (rows, sizes[-1])) if loss == "mse"
         else np.eye(sizes[-1])[rng.integers(0, sizes[-1], rows)]).astype(np.float32)
    case = {"layers": layers_case(layers), "params": enc_params(params), "loss": loss, "x": enc(x),
            "targets": enc(t), "learning_rate": 1e-2, "epochs": epochs, "batch_size": 16, "shuffle": False,
            "optimizer": {"kind": "adam"}}
    return case, (layers, params, x, t, loss, epochs)


RNG = np.random.default_rng(41)
TRAIN, TRAIN_REF = training(RNG, [8, 32, 4], ["tanh", "identity"], "mse", 64, 40)
OTHER, OTHER_REF = training(RNG, [5, 24, 3], ["relu", "softmax"], "cce", 48, 30)
OTHER_PARAMS = random_params(RNG, TRAIN_REF[0])

# Over 16 MB of inputs on the CPU: 70000 rows x 64 float32.
BIG = {"id": "big-predict-in-handler", "kind": "reentrancy.big_predict_in_handler", "device": "cpu",
       "layers": layers_case(chain([64, 16, 4], ["relu", "identity"])), "inputs": 64, "rows": 70000,
       "loss": "mse", "learning_rate": 1e-3, "epochs": 3, "batch_size": 1024, "shuffle": True, "seed": 3}


def make_cases(backend: str) -> list[dict]:
    cases = [{"id": action, "kind": "reentrancy.handler", "action": action, "at": AT, "train": TRAIN,
              "other": OTHER, "other_params": enc_params(OTHER_PARAMS)} for action in ACTIONS]
    for c in cases:
        c["train"] = {**TRAIN, "device": backend}
        c["other"] = {**OTHER, "device": backend}
    return cases + ([BIG] if backend == "cpu" else [])


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(make_cases)


def errors(r: dict) -> list[str]:
    return [e for e in r["errors"] if e.startswith(("ERROR", "SCRIPT ERROR"))]


def reference_fit(which: tuple) -> ref.Params:
    layers, params, x, t, loss, epochs = which
    expected, _ = ref.fit(layers, as64(params), x.astype(np.float64), t.astype(np.float64), loss,
                          ref.OptimizerSpec("adam"), 1e-2, epochs, 16, None)
    return expected


def assert_same_fit(got: dict, alone: dict, backend: str) -> None:
    assert "error" not in alone, alone.get("error")
    assert "error" not in got, got.get("error")
    assert got["backend"] == alone["backend"] == backend
    np.testing.assert_array_equal(np.array(got["loss"]), np.array(alone["loss"]))
    for (gw, gb), (aw, ab) in zip(dec_params(got["params"]), dec_params(alone["params"]), strict=True):
        assert gw.tobytes() == aw.tobytes() and gb.tobytes() == ab.tobytes()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_handler_leaves_the_running_fit_unchanged(results: BackendResults, backend: str, action: str) -> None:
    r = ok(results[backend][action])
    assert_same_fit(r["handled"], r["alone"], backend)
    assert_params_close(dec_params(r["alone"]["params"]), reference_fit(TRAIN_REF), 1e-3, 1e-4, "fit vs NumPy")
    assert len(r["seen"]) == len(AT), "the handler did not run at every epoch it was meant to"


@pytest.mark.parametrize("backend", BACKENDS)
def test_predict_and_evaluate_the_network_being_trained(results: BackendResults, backend: str) -> None:
    """What the handler sees is the network as it is at that moment, whole: while a handler is connected, fit()
    writes each epoch's parameters back before its handlers run, so epoch e's handler sees the network after
    epoch e (the last one the trained network); predict() and evaluate.* agree with those parameters."""
    r = ok(results[backend]["predict_self"])
    assert not errors(r), errors(r)
    layers, params, x, t, *_ = TRAIN_REF
    before, after = r["before"], r["after"]
    assert _bits(before["params"]) == _bits(enc_params(params))
    assert _bits(after["params"]) == _bits(r["handled"]["params"])
    np.testing.assert_allclose(dec(before["y"]), ref.forward(layers, as64(params), x.astype(np.float64)),
                               rtol=1e-4, atol=1e-5)
    distinct = set()
    for seen in r["seen"]:
        assert _bits(seen["params"]) != _bits(before["params"]), "a handler saw the network from before the fit"
        distinct.add(b"".join(_bits(seen["params"])))
        y = ref.forward(layers, as64(dec_params(seen["params"])), x.astype(np.float64))
        np.testing.assert_allclose(dec(seen["y"]), y, rtol=1e-4, atol=1e-5, err_msg="predict() disagrees with the "
                                   "parameters")
        assert seen["mse"] == pytest.approx(float(np.mean((y - t) ** 2)), rel=1e-4)
        assert seen["accuracy"] == pytest.approx(float(np.mean(y.argmax(1) == t.argmax(1))), abs=1e-9)
    assert len(distinct) == len(r["seen"]), "every epoch's handler sees that epoch's parameters"
    assert _bits(r["seen"][-1]["params"]) == _bits(after["params"])


def _bits(params: list[dict]) -> list[bytes]:
    return [a.tobytes() for layer in dec_params(params) for a in layer]


@pytest.mark.parametrize("backend", BACKENDS)
def test_predict_another_network(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["predict_other"])
    assert not errors(r), errors(r)
    layers, params, x, *_ = OTHER_REF
    expected = ref.forward(layers, as64(params), x.astype(np.float64))
    for seen in r["seen"]:
        np.testing.assert_allclose(dec(seen["y"]), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_calls_on_the_same_trainer_are_refused(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["same_trainer"])
    for seen in r["seen"]:
        assert seen == {"fit_null": True, "step_nan": True, "gradients_empty": True}
    text = errors(r)
    assert len(text) == 3 * len(AT), text
    assert all("this trainer is already running a call" in e for e in text), text
    for where in ("LKTrainer.fit", "LKTrainer.step", "LKTrainer.compute_gradients"):
        assert sum(where + ":" in e for e in text) == len(AT), where


@pytest.mark.parametrize("backend", BACKENDS)
def test_another_trainer_of_the_same_network_is_refused(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["other_trainer_same_network"])
    for seen in r["seen"]:
        assert seen == {"fit_null": True, "step_nan": True}
    text = errors(r)
    assert len(text) == 2 * len(AT), text
    assert all("the network is already being trained by another call" in e for e in text), text


@pytest.mark.parametrize("backend", BACKENDS)
def test_editing_the_network_being_trained_is_refused(results: BackendResults, backend: str) -> None:
    """Refused with an error, not silently overwritten by the fit's write-back."""
    r = ok(results[backend]["edit_network"])
    for seen in r["seen"]:
        assert seen == {"set_parameters": "Busy", "initialize": "Busy", "add_op": -1, "unchanged": True, "ops": 3}
    text = errors(r)
    assert len(text) == 4 * len(AT), text
    for where in ("LKNetwork.set_parameters", "LKNetwork.initialize", "LKNetwork.add_op", "LKNetwork.model"):
        hits = [e for e in text if where + ":" in e]
        assert len(hits) == len(AT) and all("being trained" in e for e in hits), (where, text)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_fit_of_another_network(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["fit_other_network"])
    assert not errors(r), errors(r)
    for seen in r["seen"]:
        assert_same_fit(seen, r["other_alone"], backend)
    assert_params_close(dec_params(r["other_alone"]["params"]), reference_fit(OTHER_REF), 1e-3, 1e-4,
                        "nested fit vs NumPy")


@pytest.mark.parametrize("backend", BACKENDS)
def test_changing_the_trainer_affects_only_its_next_fit(results: BackendResults, backend: str) -> None:
    """fusion, learning_rate, epochs, batch_size, shuffle and optimizer set in the handler: the running fit
    keeps the settings it started with (test_the_handler_leaves_the_running_fit_unchanged)."""
    r = ok(results[backend]["change_trainer"])
    assert not errors(r), errors(r)
    assert [seen["fusion"] for seen in r["seen"]] == [False, True, False]


def test_predict_in_handler_with_a_training_set_over_16_mb(results: BackendResults) -> None:
    """The CPU training arena holds the whole training set; a prediction in the handler has its own arena and
    must neither grow nor shrink the fit's (it used to share it and overflow the heap)."""
    r = ok(results["cpu"]["big-predict-in-handler"])
    assert not errors(r), errors(r)
    assert r["megabytes"] > 16 and r["backend"] == "cpu"
    assert r["same_fit"], "predicting in the handler changed the fit"
    # Each handler sees its epoch's network (written back before the handlers run): never the one from before.
    assert len(r["seen"]) == BIG["epochs"] and "before" not in r["seen"], r["seen"]
    assert r["seen"][-1] == "after", r["seen"]
    assert all(np.isfinite(r["loss"]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_godot_exits_cleanly(results: BackendResults, backend: str) -> None:
    output = results[backend].output
    assert results[backend].exit_codes == [0], output[-2000:]
    assert "leaked" not in output, output[-2000:]
