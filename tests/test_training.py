"""Training: 50 optimizer steps with fit() (shuffle off; one batch of all rows, or fixed batches), fit_flat() and
the seed API's train(), against a float64 NumPy trajectory; the epoch_completed signal, LKHistory and the
learning-rate schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference as ref
from conftest import BackendResults
from lk import (
    BACKENDS,
    as64,
    assert_params_close,
    chain,
    dec_params,
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
    random_targets,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

# 50 float32 steps against float64: rounding differences compound from step to step, and Adam divides by the
# gradients' own magnitude, so a tiny gradient's rounding moves its weight by up to lr. A float32 NumPy run of
# these trajectories drifts up to 5e-6 from the float64 one (measured); 1e-3/1e-4 leaves room for other
# summation orders while a wrong formula (off by a step, a missing bias correction, decay or clip) moves the
# weights by 1e-2 or more.
PARAM_RTOL, PARAM_ATOL = 1e-3, 1e-4
LOSS_RTOL = 1e-4

COSINE = {"kind": "cosine", "lr_max": 1e-2, "period": 10, "lr_min": 1e-4}
#           id: sizes, activations, loss, rows, batch, epochs, optimizer, learning rate, schedule, extra
TRAJECTORIES = {
    "full-batch-adam-mse": ([7, 16, 3], ["tanh", "identity"], "mse", 33, 33, 50, ref.OptimizerSpec("adam"),
                            1e-2, None, {}),
    "full-batch-adam-mse-fit-flat": ([7, 16, 3], ["tanh", "identity"], "mse", 33, 33, 50,
                                     ref.OptimizerSpec("adam"), 1e-2, None, {"api": "fit_flat"}),
    "batches-sgd-momentum-cce": ([7, 33, 4], ["relu", "softmax"], "cce", 40, 8, 10,
                                 ref.OptimizerSpec("sgd", momentum=0.9), 0.05, None, {}),
    "batches-sgd-momentum-cce-labels": ([7, 33, 4], ["relu", "softmax"], "cce", 40, 8, 10,
                                        ref.OptimizerSpec("sgd", momentum=0.9), 0.05, None, {"labels": True}),
    "batches-adam-clip-cosine-bce": ([5, 16, 2], ["leaky_relu", "sigmoid"], "bce", 35, 7, 10,
                                     ref.OptimizerSpec("adam", clip_norm=1.0), 1e-2, COSINE, {}),
    "full-batch-sgd-decay-width1": ([1, 7, 1], ["sigmoid", "identity"], "mse", 33, 33, 50,
                                    ref.OptimizerSpec("sgd", weight_decay=0.01), 0.1, None, {}),
    "full-batch-adam-127": ([7, 127, 7], ["relu", "softmax"], "cce", 33, 33, 50, ref.OptimizerSpec("adam"),
                            1e-2, None, {}),
    # 33 rows in batches of 8: four full batches and one of a single row per epoch.
    "partial-batch-adam-decay": ([7, 16, 3], ["relu", "softmax"], "cce", 33, 8, 10,
                                 ref.OptimizerSpec("adam", weight_decay=0.01), 1e-2, None, {}),
}
SEED = {  # The seed API: nn.network + nn.trainer(lambda_l2, schedule, nn.optimizer(clip)) + train().
    "sizes": [4, 16, 3], "hidden": "relu", "output": "softmax", "init": "kaiming", "loss": "cce",
    "learning_rate": 1e-2, "lambda_l2": 0.01, "epochs": 10, "batch_size": 8, "schedule": COSINE, "clip": True,
    "max_norm": 1.0, "rows": 40,
}
SCHEDULES = {
    "cosine": ({"kind": "cosine", "lr_max": 1e-2, "period": 300, "lr_min": 3e-4}, [0, 1, 75, 150, 299, 300, 301, 1000]),
    "cosine-to-zero": ({"kind": "cosine", "lr_max": 0.5, "period": 7}, [0, 3, 7, 8]),
    "constant": ({"kind": "constant", "lr": 0.125}, [0, 1, 1000]),
}


def make_cases() -> list[dict]:
    rng = np.random.default_rng(13)
    cases = []
    for cid, (sizes, acts, loss, rows, batch, epochs, spec, lr, schedule, extra) in TRAJECTORIES.items():
        layers = chain(sizes, acts)
        params = random_params(rng, layers)
        x = rng.uniform(-1, 1, (rows, sizes[0])).astype(np.float32)
        t = random_targets(rng, loss, rows, sizes[-1])
        c = {"id": cid, "kind": "train.fit", "layers": layers_case(layers), "params": enc_params(params),
             "loss": loss, "x": enc(x), "targets": enc(t), "learning_rate": lr, "epochs": epochs,
             "batch_size": batch, "shuffle": False, "optimizer": spec.as_case(), "api": extra.get("api", "fit")}
        if extra.get("labels"):
            del c["targets"]
            c["labels"] = [int(i) for i in t.argmax(axis=1)]
        if schedule:
            c["schedule"] = schedule
        cases.append(c)
        _REFS[cid] = (layers, params, x, t, loss, spec, lr, epochs, batch, schedule)

    layers = chain(SEED["sizes"], ["relu", "softmax"])
    params = random_params(rng, layers)
    x = rng.uniform(-1, 1, (SEED["rows"], 4)).astype(np.float32)
    t = random_targets(rng, "cce", SEED["rows"], 3)
    cases.append({"id": "seed-train", "kind": "train.seed_train", **SEED, "params": enc_params(params),
                  "x": enc(x), "targets": enc(t)})
    spec = ref.OptimizerSpec("adam", weight_decay=SEED["lambda_l2"], clip_norm=SEED["max_norm"])
    _REFS["seed-train"] = (layers, params, x, t, "cce", spec, SEED["learning_rate"], SEED["epochs"],
                           SEED["batch_size"], COSINE)
    for name, (schedule, at) in SCHEDULES.items():
        cases.append({"id": f"schedule-{name}", "kind": "train.schedule", "schedule": schedule, "at": at})
    return cases


_REFS: dict[str, tuple] = {}
CASES = make_cases()
FITS = list(TRAJECTORIES)


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


def reference_fit(cid: str) -> tuple[ref.Params, list[float]]:
    layers, params, x, t, loss, spec, lr, epochs, batch, schedule = _REFS[cid]
    return ref.fit(layers, as64(params), x.astype(np.float64), t.astype(np.float64), loss, spec, lr, epochs, batch,
                   schedule)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", [*FITS, "seed-train"])
def test_trajectory_matches_numpy(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    expected, _ = reference_fit(cid)
    assert_params_close(dec_params(r["params"]), expected, PARAM_RTOL, PARAM_ATOL, "after training")
    assert r["backend"] == backend


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", [f for f in FITS if "partial" not in f])
def test_history_matches_numpy(results: BackendResults, backend: str, cid: str) -> None:
    """LKHistory.loss = each epoch's mean batch loss (batches of equal size here: see the partial-batch case)."""
    r = ok(results[backend][cid])
    _, losses = reference_fit(cid)
    _, _, x, _, _, _, _, epochs, batch, _ = _REFS[cid]
    np.testing.assert_allclose(r["loss"], losses, rtol=LOSS_RTOL)
    assert r["epochs"] == epochs and r["steps"] == epochs * math.ceil(len(x) / batch)
    assert r["history_backend"] == backend and r["history_device"]
    assert r["elapsed_ms"] > 0
    assert [e[0] for e in r["emitted"]] == list(range(epochs)), "epoch_completed(epoch, loss): one per epoch"
    np.testing.assert_allclose([e[1] for e in r["emitted"]], r["loss"], rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_trainer_settings(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["seed-train"])
    assert r["train_ms"] > 0
    assert (r["trainer_loss"], r["optimizer_kind"]) == ("cce", "adam")
    assert r["optimizer_clip_norm"] == pytest.approx(1.0)
    assert r["trainer_device"] == backend and r["network_device"] == backend


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_learning_rates(results: BackendResults, name: str) -> None:
    r = ok(results["cpu"][f"schedule-{name}"])
    schedule, at = SCHEDULES[name]
    if schedule["kind"] == "constant":
        expected = [schedule["lr"]] * len(at)
    else:
        expected = [ref.cosine_lr(e, schedule["lr_max"], schedule["period"], schedule.get("lr_min", 0.0)) for e in at]
    np.testing.assert_allclose(r["rates"], expected, rtol=1e-6, atol=1e-12)
    assert r["kind"] == schedule["kind"]


@pytest.mark.parametrize("cid", [*FITS, "seed-train"])
def test_gpu_matches_cpu(results: BackendResults, cid: str) -> None:
    cpu, gpu = ok(results["cpu"][cid]), ok(results["gpu"][cid])
    assert_params_close(dec_params(gpu["params"]), dec_params(cpu["params"]), PARAM_RTOL, PARAM_ATOL, "gpu vs cpu")
