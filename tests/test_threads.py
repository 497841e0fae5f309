"""Threads on the GPU: a GDScript Thread trains while the main thread predicts with another network, and two
Threads train two networks at once. Each threaded run must give exactly the numbers of the same run alone on the
main thread (same GPU, same kernels, same order), and match NumPy.

GPU only: the CPU backend is still one shared arena for every network, so concurrent CPU use is not supported
yet (sessions that own their memory will fix that)."""

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


def assert_same_fit(threaded: dict, alone: dict, which: str) -> None:
    assert "error" not in alone, alone.get("error")
    assert "error" not in threaded, threaded.get("error")
    assert threaded["backend"] == alone["backend"] == "gpu"
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


def test_thread_trains_while_main_thread_predicts(results: BackendResults) -> None:
    r = ok(results["gpu"]["train-while-predicting"])
    assert not r["errors"], r["errors"]
    assert_same_fit(r["threaded"], r["alone"], "train")
    assert r["predictions"] >= 1
    assert r["max_diff"] == 0.0, "a prediction changed while the other network trained"
    layers, params, x = REFS["predict"]
    expected = ref.forward(layers, as64(params), x.astype(np.float64))
    np.testing.assert_allclose(dec(r["first"]), expected, rtol=1e-4, atol=1e-5)


def test_two_threads_train_two_networks(results: BackendResults) -> None:
    r = ok(results["gpu"]["two-trainers"])
    assert not r["errors"], r["errors"]
    for i, which in enumerate(("train", "train2")):
        assert_same_fit(r["threaded"][i], r["alone"][i], which)


def test_worker_pool_task_trains_and_godot_exits_cleanly(
    results: BackendResults,
) -> None:
    r = ok(results["gpu"]["worker-pool"])
    assert not r["errors"], r["errors"]
    assert_same_fit(r["threaded"], r["alone"], "train")
    # The pool thread still holds its GPU backend when the extension unloads (shutdown_gpu releases it) and
    # destroys it at exit, after the device is gone: that must neither crash nor print errors.
    output = results["gpu"].output
    assert results["gpu"].exit_codes == [0], output[-2000:]
    assert "ERROR" not in output and "leaked" not in output, output[-2000:]
