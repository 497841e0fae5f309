"""Threads, on each backend: a GDScript Thread trains while the main thread predicts with another network or
with the network being trained, two Threads train two networks at once, two threads call fit() on one trainer,
and a WorkerThreadPool task trains. Each threaded run must give exactly the numbers of the same run alone on the
main thread (same backend, same kernels, same order), and match NumPy.

Every session (a trainer's, a network's predictions) owns its arena on each backend, so nothing is shared
between threads but the model's host parameters, read and written under its lock. The CPU backend used to be
one shared arena: a fit next to a predicting thread ended at loss 0.09 instead of 0.56, silently."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from conftest import BackendResults
from lk import (
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


def train_case(
    rng: np.random.Generator,
    device: str,
    sizes: list[int],
    acts: list[str],
    loss: str,
    rows: int,
    epochs: int,
) -> tuple[dict, tuple]:
    layers = chain(sizes, acts)
    params = random_params(rng, layers)
    x = rng.uniform(-1, 1, (rows, sizes[0])).astype(np.float32)
    t = (
        rng.normal(0, 1, (rows, sizes[-1]))
        if loss == "mse"
        else np.eye(sizes[-1])[rng.integers(0, sizes[-1], rows)]
    ).astype(np.float32)
    case = {
        "layers": layers_case(layers),
        "params": enc_params(params),
        "device": device,
        "loss": loss,
        "x": enc(x),
        "targets": enc(t),
        "learning_rate": 1e-2,
        "epochs": epochs,
        "batch_size": 16,
        "shuffle": False,
        "optimizer": {"kind": "adam"},
    }
    return case, (layers, params, x, t, loss, epochs)


def make_cases(backend: str) -> tuple[list[dict], dict]:
    rng = np.random.default_rng(29)
    refs = {}
    train, refs["train"] = train_case(
        rng, backend, [8, 32, 4], ["tanh", "identity"], "mse", 64, 40
    )
    train2, refs["train2"] = train_case(
        rng, backend, [5, 24, 3], ["relu", "softmax"], "cce", 48, 30
    )
    layers = chain([6, 16, 3], ["relu", "softmax"])
    params = random_params(rng, layers)
    x = rng.uniform(-1, 1, (40, 6)).astype(np.float32)
    predict = {
        "layers": layers_case(layers),
        "params": enc_params(params),
        "device": backend,
        "x": enc(x),
    }
    refs["predict"] = (layers, params, x)
    cases = [
        {
            "id": "train-while-predicting",
            "kind": "threads.train_while_predicting",
            "train": train,
            "predict": predict,
        },
        {
            "id": "two-trainers",
            "kind": "threads.two_trainers",
            "train": train,
            "train2": train2,
        },
        {"id": "worker-pool", "kind": "threads.worker_pool_fit", "train": train},
        {"id": "same-network", "kind": "threads.same_network", "train": train, "repeat": 64},
        {"id": "same-trainer", "kind": "threads.same_trainer", "train": train},
    ]
    return cases, refs


CASES, REFS = make_cases("gpu")


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: make_cases(backend)[0])


def reference_params(which: str) -> ref.Params:
    layers, params, x, t, loss, epochs = REFS[which]
    expected, _ = ref.fit(
        layers,
        as64(params),
        x.astype(np.float64),
        t.astype(np.float64),
        loss,
        ref.OptimizerSpec("adam"),
        1e-2,
        epochs,
        16,
        None,
    )
    return expected


def assert_same_fit(threaded: dict, alone: dict, which: str, backend: str) -> None:
    assert "error" not in alone, alone.get("error")
    assert "error" not in threaded, threaded.get("error")
    assert threaded["backend"] == alone["backend"] == backend
    # Bit for bit: one device, the same kernels in the same order; a thread that used another network's arena
    # or a device bound to another thread would change (or zero) these numbers.
    np.testing.assert_array_equal(np.array(threaded["loss"]), np.array(alone["loss"]))
    for (tw, tb), (aw, ab) in zip(
        dec_params(threaded["params"]), dec_params(alone["params"]), strict=True
    ):
        np.testing.assert_array_equal(tw, aw)
        np.testing.assert_array_equal(tb, ab)
    assert_params_close(
        dec_params(threaded["params"]),
        reference_params(which),
        1e-3,
        1e-4,
        f"{which} vs NumPy",
    )


def errors(r: dict) -> list[str]:
    return [e for e in r["errors"] if e.startswith(("ERROR", "SCRIPT ERROR"))]


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
def test_thread_trains_while_main_thread_predicts(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["train-while-predicting"])
    assert not errors(r), errors(r)
    assert_same_fit(r["threaded"], r["alone"], "train", backend)
    assert r["predictions"] >= 1
    assert r["max_diff"] == 0.0, "a prediction changed while the other network trained"
    layers, params, x = REFS["predict"]
    expected = ref.forward(layers, as64(params), x.astype(np.float64))
    np.testing.assert_allclose(dec(r["first"]), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
def test_two_threads_train_two_networks(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["two-trainers"])
    assert not errors(r), errors(r)
    for i, which in enumerate(("train", "train2")):
        assert_same_fit(r["threaded"][i], r["alone"][i], which, backend)


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
def test_predicting_with_the_network_a_thread_trains_sees_a_whole_network(
    results: BackendResults, backend: str
) -> None:
    """A network's parameters change all at once: when fit() returns, or (while a handler is connected, as here)
    at each epoch's write-back. A prediction on another thread meanwhile uses the parameters from before the fit,
    after one of its epochs or after it, never a mix; and the fit is the one it would be alone."""
    r = ok(results[backend]["same-network"])
    assert not errors(r), errors(r)
    assert_same_fit(r["threaded"], r["alone"], "train", backend)
    # Held in epoch 0's handler: the network is epoch 0's, whole (parameters and predictions).
    assert r["mid"] == "epoch" and r["mid_is_epoch0"], r["mid"]
    for (mw, mb), (w, b) in zip(dec_params(r["params_mid"]), dec_params(r["params_epoch0"]), strict=True):
        assert mw.tobytes() == w.tobytes() and mb.tobytes() == b.tobytes(), "get_parameters() mid-fit is not epoch 0's"
    _, params, *_ = REFS["train"]
    assert dec_params(r["params_mid"])[0][0].tobytes() != params[0][0].tobytes(), "epoch 0 was written back"
    assert r["counts"]["mixed"] == 0, r["counts"]
    # A prediction that overlapped the fit's write-back must not leave the network predicting with the old
    # parameters afterwards.
    assert r["last"] == "after"


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
def test_second_fit_on_a_busy_trainer_is_refused(results: BackendResults, backend: str) -> None:
    """fit() on a trainer that is fitting on another thread returns null with an error, and so does fit() on
    another trainer of the same network; the running fit is unaffected, and the trainers work again after it."""
    r = ok(results[backend]["same-trainer"])
    assert r["second_refused"] and r["third_refused"] and r["fit_after"]
    assert_same_fit(r["threaded"], r["alone"], "train", backend)
    text = "\n".join(errors(r))
    assert len(errors(r)) == 2, text
    assert "LKTrainer.fit" in text
    assert "this trainer is already running a call" in text, text
    assert "the network is already being trained by another call" in text, text


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
def test_worker_pool_task_trains_and_godot_exits_cleanly(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["worker-pool"])
    assert not errors(r), errors(r)
    assert_same_fit(r["threaded"], r["alone"], "train", backend)
    # The pool thread still holds its backend when the extension unloads (shutdown_gpu releases a GPU one) and
    # destroys it at exit, after the device is gone: that must neither crash nor print errors.
    output = results[backend].output
    assert results[backend].exit_codes == [0], output[-2000:]
    assert "leaked" not in output, output[-2000:]
    refusals = ("already running a call", "already being trained")  # test_second_fit_on_a_busy_trainer_is_refused
    unexpected = [line for line in output.splitlines() if "ERROR" in line and not any(w in line for w in refusals)]
    assert not unexpected, unexpected
