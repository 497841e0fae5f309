"""fit()'s options everywhere, on both backends: the plateau schedule watching the validation loss (or a metric,
mode min or max) lowers the learning rate exactly where torch's ReduceLROnPlateau, fed the history's values,
does (LKHistory.learning_rates), also together with early stopping (Keras's rule); a plateau on a value the fit
does not compute is a clear error at the start of every kind of fit; fit_flat() and fit_async_flat() take fit()'s
options and give the Array form's history and weights; train_for() calls with options (plateau, validation,
metrics, early stopping) together give one fit()'s history and weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import BackendResults, scene_check, tail
from lk import BACKENDS, chain, dec, enc, enc_params, layers_case, ok, random_params

pytestmark = pytest.mark.usefixtures("godot_ready")

RNG = np.random.default_rng(1516)

# Classification: 5-16-3 relu/softmax, cce, one-hot rows (flat and Array forms take the same values).
LAYERS = chain([5, 16, 3], ["relu", "softmax"])
PARAMS = random_params(RNG, LAYERS)
LABELS = RNG.integers(0, 3, 60)
X = (RNG.normal(0, 1, (60, 5)) + np.eye(3, 5)[LABELS] * 1.2).astype(np.float32)
T = np.eye(3, dtype=np.float32)[LABELS]
VX = (RNG.normal(0, 1, (13, 5)) + np.eye(3, 5)[LABELS[:13]] * 1.2).astype(np.float32)
VT = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 13)]  # partly random labels: the validation loss turns up
BASE = {"layers": layers_case(LAYERS), "params": enc_params(PARAMS), "x": enc(X), "targets": enc(T),
        "loss": "cce", "optimizer": {"kind": "adam"}, "learning_rate": 0.05, "epochs": 20, "batch_size": 16,
        "shuffle": True, "seed": 7}
SPLIT = {"validation_split": 0.25}

PLATEAUS = {
    "plateau-val-loss": ({"monitor": "val_loss", "factor": 0.5, "patience": 1, "threshold": 0.02, "cooldown": 1,
                          "min_lr": 0.004}, {**SPLIT}),
    "plateau-val-accuracy-max": ({"monitor": "val_accuracy", "mode": "max", "factor": 0.3, "patience": 1,
                                  "threshold": 0.0, "threshold_mode": "abs"}, {**SPLIT, "metrics": ["accuracy"]}),
    "plateau-valdata-abs": ({"monitor": "val_loss", "factor": 0.7, "patience": 0, "threshold": 0.01,
                             "threshold_mode": "abs"}, {}),
    "plateau-train-loss": ({"monitor": "train_loss", "factor": 0.5, "patience": 0, "threshold": 0.05}, {}),
}
VALDATA = {"val_x": enc(VX), "val_targets": enc(VT)}
# Early stopping and the plateau together: the plateau acts first (patience 1), early stopping later (4).
TOGETHER = {"plateau": {"monitor": "val_loss", "factor": 0.5, "patience": 1, "threshold": 0.01},
            "options": {**SPLIT, "early_stopping": {"patience": 4, "restore_best_weights": True}}, "epochs": 60}

NO_VAL = {"plateau": {"monitor": "val_loss"}}
MISSING = "the plateau schedule's monitor \"val_loss\" is not computed by this fit"
BAD = {
    "no-val-fit": ({**NO_VAL, "mode": "fit"}, MISSING),
    "no-val-flat": ({**NO_VAL, "mode": "flat"}, MISSING),
    "no-val-async": ({**NO_VAL, "mode": "async"}, MISSING),
    "no-val-train-for": ({**NO_VAL, "mode": "train_for"}, MISSING),
    "no-metric": ({"plateau": {"monitor": "val_f1"}, "options": SPLIT},
                  "monitor \"val_f1\" is not computed by this fit: expected one of loss, val_loss"),
    "flat-val-width": ({"mode": "flat", "flat_val": True, "val_x": enc(VX[:, :4]), "val_targets": enc(VT)},
                       "validation_data inputs has 52 values: expected a positive multiple of the network's 5 inputs"),
    "flat-val-targets": ({"mode": "flat", "flat_val": True, "val_x": enc(VX), "val_targets": enc(VT[:10])},
                         "validation_data targets has 30 values, expected 13 rows x 3 = 39"),
    "flat-val-bad-shape": ({"mode": "flat", "options": {"validation_data": [[1.0, 2.0]]}},
                           "expected [inputs, targets] (two Arrays of rows, or two flat PackedFloat32Arrays"),
    "flat-rows": ({"mode": "flat", "rows": 61}, "inputs has 300 values, expected 61 rows x 5 = 305"),
    "async-flat-rows": ({"mode": "async", "rows": 59}, "inputs has 300 values, expected 59 rows x 5 = 295"),
    "flat-bad-option": ({"mode": "flat", "options": {"patience": 3}}, "fit() has no option \"patience\""),
    "async-flat-bad-split": ({"mode": "async", "options": {"validation_split": 2}}, "validation_split is 2"),
}
BAD_SCHEDULES = {
    "bad-monitor": ({"monitor": "val_auc"}, "monitor is val_auc: expected \"train_loss\" (or \"loss\"), \"val_loss\""),
    "bad-mode": ({"mode": "up"}, "mode is up: expected \"min\" or \"max\""),
}
# The flat and Array forms of one fit with every option (the split shuffled with the trainer's seed).
EVERYTHING = {"plateau": {"monitor": "val_loss", "factor": 0.5, "patience": 1, "threshold": 0.02},
              "options": {"validation_split": 0.25, "validation_shuffle": True, "metrics": ["accuracy", "f1"],
                          "early_stopping": {"monitor": "val_accuracy", "patience": 6}},
              "callback": True, "epochs": 25}


def make_cases() -> list[dict]:
    cases = []
    for cid, (plateau, options) in PLATEAUS.items():
        extra = VALDATA if "valdata" in cid else {}
        cases.append({"id": cid, "kind": "fitflat.run", **BASE, **extra, "plateau": plateau, "options": options})
    cases.append({"id": "together", "kind": "fitflat.run", **BASE, **TOGETHER})
    for mode in ("fit", "flat"):
        cases.append({"id": f"everything-{mode}", "kind": "fitflat.run", **BASE, **EVERYTHING, "mode": mode})
    for cid, mode, flat_val in (("valdata-fit", "fit", False), ("valdata-flat", "flat", True),
                                ("valdata-flat-rows", "flat", False)):
        cases.append({"id": cid, "kind": "fitflat.run", **BASE, **VALDATA, "mode": mode, "flat_val": flat_val,
                      "options": {"metrics": ["accuracy"]}, "callback": True, "epochs": 6})
    cases.append({"id": "flat-stop", "kind": "fitflat.run", **BASE, "mode": "flat", "callback": True, "stop_at": 2})
    for cid, mode in (("stop-fit", "fit"), ("stop-train-for", "train_for")):  # on_epoch's false ends either fit
        cases.append({"id": cid, "kind": "fitflat.run", **BASE, "mode": mode, "callback": True, "stop_at": 3,
                      "options": SPLIT})
    # train_for(): chunks of one epoch (a tiny budget) and of several, against one fit() with the same options.
    for cid, extra in (("chunks-plateau", {"plateau": PLATEAUS["plateau-val-accuracy-max"][0],
                                           "options": {**SPLIT, "metrics": ["accuracy"]}, "callback": True}),
                       ("chunks-together", TOGETHER)):
        cases.append({"id": f"{cid}-fit", "kind": "fitflat.run", **BASE, **extra, "mode": "fit"})
        cases.append({"id": f"{cid}-train-for", "kind": "fitflat.run", **BASE, **extra, "mode": "train_for"})
        cases.append({"id": f"{cid}-train-for-5ms", "kind": "fitflat.run", **BASE, **extra, "mode": "train_for",
                      "budget": 5.0})
    for cid, (extra, _) in BAD.items():
        cases.append({"id": cid, "kind": "fitflat.run", **BASE, **extra})
    for cid, (settings, _) in BAD_SCHEDULES.items():
        cases.append({"id": cid, "kind": "fitflat.run", **BASE, "plateau": settings})
    return cases


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: make_cases())


def torch_plateau(values: list[float], lr: float, settings: dict) -> list[float]:
    """The learning rate of each epoch under torch's ReduceLROnPlateau stepped with values[e] after epoch e."""
    args = {k: v for k, v in settings.items() if k != "monitor"}
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([param], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **args)
    out = []
    for v in values:
        out.append(opt.param_groups[0]["lr"])
        sched.step(v)
    return out


def monitored(r: dict, monitor: str) -> list[float]:
    return {"train_loss": r["loss"], "loss": r["loss"], "val_loss": r["val_loss"], **r["metrics"]}[monitor]


def keras_replay(values: list[float], patience: int) -> tuple[int, int]:
    """Keras's EarlyStopping (mode min, min_delta 0): (epochs run, best epoch)."""
    best, best_epoch, wait = math.inf, -1, 0
    for epoch, current in enumerate(values):
        wait += 1
        if current < best:
            best, best_epoch, wait = current, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1, best_epoch
    return len(values), best_epoch


def assert_same_fit(a: dict, b: dict) -> None:
    for key in ("epochs", "loss", "val_loss", "learning_rates", "metrics", "stopped", "early_stopped", "best_epoch"):
        assert a[key] == b[key], key
    for pa, pb in zip(a["final_params"], b["final_params"], strict=True):
        for name in pa:
            np.testing.assert_array_equal(dec(pa[name]), dec(pb[name]), err_msg=name)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(PLATEAUS))
def test_plateau_follows_torch(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    assert not r["errors"] and r["history"], r["errors"]
    settings = PLATEAUS[cid][0]
    assert r["schedule"]["monitor"] == {"train_loss": "loss"}.get(settings["monitor"], settings["monitor"])
    values = monitored(r, settings["monitor"])
    assert len(values) == len(r["learning_rates"]) == r["epochs"] == 20
    expected = torch_plateau(values, 0.05, settings)
    np.testing.assert_allclose(r["learning_rates"], expected, rtol=1e-6, err_msg=str(values))
    assert len(set(expected)) >= 3, f"the case must reduce the rate at least twice to prove anything: {expected}"
    if settings["monitor"] != "train_loss":  # and the watched value decides: the training loss would not do
        assert torch_plateau(r["loss"], 0.05, {**settings, "mode": "min"}) != expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_plateau_and_early_stopping_together(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["together"])
    assert not r["errors"], r["errors"]
    epochs, best = keras_replay(r["val_loss"], 4)
    assert r["epochs"] == epochs < 60 and r["best_epoch"] == best and r["early_stopped"]
    expected = torch_plateau(r["val_loss"], 0.05, TOGETHER["plateau"])
    np.testing.assert_allclose(r["learning_rates"], expected, rtol=1e-6)
    assert len(set(expected)) >= 2, f"the plateau must act before early stopping: {expected}"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(BAD) + list(BAD_SCHEDULES))
def test_bad_input_is_a_clear_error(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    message = {**BAD, **BAD_SCHEDULES}[cid][1]
    assert not r["history"], "bad input returns null"
    assert any(message in e for e in r["errors"]), f"expected {message!r} in {r['errors']}"
    if cid.startswith("no-val"):
        assert any("val_ names need validation_split or validation_data" in e for e in r["errors"]), r["errors"]
    if cid == "no-val-train-for":
        assert r["resume_epoch"] == 0 and r["calls"] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_flat_and_array_forms_are_the_same_fit(results: BackendResults, backend: str) -> None:
    array, flat = ok(results[backend]["everything-fit"]), ok(results[backend]["everything-flat"])
    assert not array["errors"] and not flat["errors"], (array["errors"], flat["errors"])
    assert_same_fit(array, flat)
    assert array["seen"] == flat["seen"] and len(flat["seen"]) == flat["epochs"]
    assert sorted(flat["metrics"]) == ["accuracy", "f1", "val_accuracy", "val_f1"]
    assert len(set(flat["learning_rates"])) >= 2, "the plateau acted"


@pytest.mark.parametrize("backend", BACKENDS)
def test_flat_validation_data(results: BackendResults, backend: str) -> None:
    base = ok(results[backend]["valdata-fit"])
    assert len(base["val_loss"]) == 6
    for cid in ("valdata-flat", "valdata-flat-rows"):
        r = ok(results[backend][cid])
        assert not r["errors"], r["errors"]
        assert_same_fit(base, r)
        assert r["seen"] == base["seen"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_flat_callback_can_stop(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["flat-stop"])
    assert r["epochs"] == 3 and r["stopped"] and [s["epoch"] for s in r["seen"]] == [0, 1, 2]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", ["chunks-plateau", "chunks-together"])
def test_train_for_chunks_are_one_fit(results: BackendResults, backend: str, cid: str) -> None:
    whole = ok(results[backend][f"{cid}-fit"])
    one = ok(results[backend][f"{cid}-train-for"])
    several = ok(results[backend][f"{cid}-train-for-5ms"])
    for r in (one, several):
        assert not r["errors"], r["errors"]
        assert_same_fit(whole, r)
        assert r["resume_epoch"] == r["epochs"] if not r["early_stopped"] else r["resume_epoch"] == 60
        assert r["past_end_epochs"] == 0
    assert one["calls"] == whole["epochs"], "a tiny budget: one epoch per call"
    assert len(set(whole["learning_rates"])) >= 2, "the plateau acted"
    if cid == "chunks-plateau":
        assert one["seen"] == whole["seen"]
    else:
        assert whole["early_stopped"] and whole["epochs"] < 60, "early stopping must end the fit to prove anything"


@pytest.mark.parametrize("backend", BACKENDS)
def test_train_for_callback_false_ends_the_fit(results: BackendResults, backend: str) -> None:
    whole, parts = ok(results[backend]["stop-fit"]), ok(results[backend]["stop-train-for"])
    assert not parts["errors"], parts["errors"]
    assert_same_fit(whole, parts)
    assert parts["epochs"] == 4 and parts["stopped"] and parts["calls"] == 4
    assert parts["resume_epoch"] == 20 and parts["past_end_epochs"] == 0


# --- fit_async_flat() in a real scene loop (godot_project/tests/fitflat_async.gd) ----------------------------------

# Epochs: enough that the main loop runs while the worker still trains (the CPU runs an epoch of this tiny network in
# microseconds).
ASYNC_EPOCHS = {"cpu": 3000, "gpu": 40}


def async_run(backend: str) -> dict:
    rc, output, data = scene_check("fitflat_async.gd", backend, "--epochs", str(ASYNC_EPOCHS[backend]))
    assert data, f"fitflat_async.gd wrote no results (exit {rc}):\n{tail(output)}"
    return data


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_async_flat_signals_on_the_main_thread(backend: str) -> None:
    r = async_run(backend)
    assert not r["errors"] and r["returned_job"] and r["done"], r["errors"]
    sync, done = r["sync"], r["async"]
    epochs = ASYNC_EPOCHS[backend]
    assert done["epochs"] == sync["epochs"] == epochs
    for key in ("loss", "val_loss", "learning_rates", "val_accuracy"):
        np.testing.assert_allclose(done[key], sync[key], rtol=1e-6, err_msg=key)
    assert len(set(sync["learning_rates"])) >= 2, "the plateau on val_loss acted"
    # on_epoch runs on the main thread, once per epoch, in order, before `finished` (even for epochs the worker
    # finished before the main loop got to them).
    calls = r["calls"]
    assert [c["epoch"] for c in calls] == list(range(epochs)), [c["epoch"] for c in calls]
    assert all(c["main"] for c in calls)
    for c in calls:
        assert c["logs"]["val_loss"] == pytest.approx(sync["val_loss"][c["epoch"]], rel=1e-6)
    assert [s["epoch"] for s in r["signalled"]] == list(range(epochs)) and all(s["main"] for s in r["signalled"])
    assert [s["val_loss"] for s in r["signalled"]] == pytest.approx(sync["val_loss"], rel=1e-6)
    assert all(p["main"] for p in r["progress"]) and r["progress"][-1]["fraction"] == pytest.approx(1.0)
