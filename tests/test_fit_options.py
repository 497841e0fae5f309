"""LKTrainer.fit()'s options, on both backends: the validation loss of each epoch equals a NumPy evaluation of the
network after that epoch (and the NumPy training reference's trajectory); validation_split holds out the last
rows as Keras does; metrics match scikit-learn on the epoch's predictions; early stopping stops where Keras's
rule says (a constructed case and a replay of the recorded values) and restore_best_weights restores the best
epoch exactly; the on_epoch callback gets (epoch, logs) and can stop; handlers of epoch_completed see the current
weights; bad options are clear errors."""

from __future__ import annotations

import json
import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import reference as ref
from conftest import BackendResults, launch_godot, scene_check, tail
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
)
from sklearn import metrics as skm

pytestmark = pytest.mark.usefixtures("godot_ready")

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(1515)

# Regression: 4-8-3 tanh, mse, Adam, no shuffling (the NumPy reference walks the rows in order).
REG_LAYERS = chain([4, 8, 3], ["tanh", "identity"])
REG_PARAMS = random_params(RNG, REG_LAYERS)
REG_X = RNG.uniform(-1, 1, (40, 4)).astype(np.float32)
REG_T = RNG.normal(0, 1, (40, 3)).astype(np.float32)
REG_VX = RNG.uniform(-1, 1, (13, 4)).astype(np.float32)
REG_VT = RNG.normal(0, 1, (13, 3)).astype(np.float32)
REG_TRAINER = {"loss": "mse", "optimizer": {"kind": "adam"}, "learning_rate": 0.01, "epochs": 6, "batch_size": 8,
               "shuffle": False}
REG = {"layers": layers_case(REG_LAYERS), "params": enc_params(REG_PARAMS), "x": enc(REG_X), "targets": enc(REG_T),
       **REG_TRAINER}

# Classification: 5-16-3 relu/softmax, cce, int labels; 60 rows of which validation_split 0.25 holds out 15.
CLS_LAYERS = chain([5, 16, 3], ["relu", "softmax"])
CLS_PARAMS = random_params(RNG, CLS_LAYERS)
CLS_LABELS = RNG.integers(0, 3, 60)
CLS_X = (RNG.normal(0, 1, (60, 5)) + np.eye(3, 5)[CLS_LABELS] * 1.5).astype(np.float32)
CLS = {"layers": layers_case(CLS_LAYERS), "params": enc_params(CLS_PARAMS), "x": enc(CLS_X),
       "labels": [int(v) for v in CLS_LABELS], "loss": "cce", "optimizer": {"kind": "adam"}, "learning_rate": 0.02,
       "epochs": 8, "batch_size": 16, "shuffle": True, "seed": 3, "probe": enc(CLS_X)}
CLS_KEEP = math.ceil(60 * (1 - 0.25))  # Keras: the first ceil(n * (1 - split)) rows train

# Early stopping, constructed: a linear 2-1 network from zero weights learns y = x . w on orthogonal rows (full
# batch SGD, so every coordinate moves monotonically towards w), validated against -y: the validation loss grows
# every epoch, so epoch 0 is the best and patience 3 stops after epoch 3.
LIN_X = np.array([[1, 0], [0, 1], [2, 0], [0, 2]], np.float32)
LIN_W = np.array([1.5, -2.0], np.float32)
LIN = {"layers": layers_case(chain([2, 1], ["identity"])), "params": enc_params([(np.zeros((1, 2), np.float32),
                                                                                  np.zeros(1, np.float32))]),
       "x": enc(LIN_X), "targets": enc((LIN_X @ LIN_W)[:, None]), "val_x": enc(LIN_X),
       "val_targets": enc(-(LIN_X @ LIN_W)[:, None]), "loss": "mse", "optimizer": {"kind": "sgd"},
       "learning_rate": 0.05, "epochs": 20, "batch_size": 4, "shuffle": False}

EARLY_REPLAYS = {
    "early-val-accuracy": {"monitor": "val_accuracy", "patience": 2, "min_delta": 0.01, "restore_best_weights": True},
    "early-loss-min-delta": {"monitor": "loss", "patience": 1, "min_delta": 0.02, "mode": "min",
                             "restore_best_weights": True},
    "early-val-loss-max": {"monitor": "val_loss", "patience": 2, "mode": "max"},
}

BAD = {
    "bad-key": ({"options": {"epochs": 3}}, "fit() has no option \"epochs\""),
    "bad-split": ({"options": {"validation_split": 1.5}}, "validation_split is 1.5"),
    "bad-split-rows": ({"options": {"validation_split": 0.001}}, "leaves 0 validation"),
    "bad-split-negative": ({"options": {"validation_split": -0.2}}, "validation_split is -0.2"),
    "bad-both": ({"options": {"validation_split": 0.2}, "val_x": enc(REG_VX), "val_targets": enc(REG_VT)},
                 "validation_data and validation_split are both set"),
    "bad-val-width": ({"val_x": enc(REG_VX[:, :3]), "val_targets": enc(REG_VT)}, "validation_data: "),
    "bad-val-rows": ({"val_x": enc(REG_VX), "val_targets": enc(REG_VT[:5])}, "targets has 5 rows, expected 13"),
    "bad-metric": ({"options": {"metrics": ["accuracy", "auc"]}}, "metrics[1] is auc"),
    "bad-monitor": ({"options": {"early_stopping": {"monitor": "val_loss"}}}, "monitor \"val_loss\" is not computed"),
    "bad-patience": ({"options": {"early_stopping": {"patience": -1}}}, "early_stopping patience is -1"),
    "bad-early-key": ({"options": {"early_stopping": {"wait": 2}}}, "early_stopping has no setting"),
    "bad-mode": ({"options": {"early_stopping": {"mode": "up"}}}, "early_stopping mode is up"),
    "bad-on-epoch": ({"options": {"on_epoch": "print"}, "callback": False}, "on_epoch is print"),
    "bad-top-k": ({"options": {"metrics": ["top_k_accuracy"]}, "layers": layers_case(chain([4, 1], ["identity"])),
                   "params": enc_params(random_params(RNG, chain([4, 1], ["identity"]))),
                   "targets": enc(REG_T[:, :1])}, "top_k_accuracy needs class scores"),
}


def make_cases() -> list[dict]:
    cases = [
        {"id": "reg-valdata", "kind": "fitopts.fit", **REG, "val_x": enc(REG_VX), "val_targets": enc(REG_VT),
         "options": {"metrics": ["mse", "mae", "r2"]}, "probe": enc(REG_VX)},
        {"id": "reg-plain", "kind": "fitopts.fit", **REG, "callback": False},
        {"id": "reg-split-zero", "kind": "fitopts.fit", **REG, "callback": False, "options": {"validation_split": 0}},
        {"id": "reg-handlers", "kind": "fitopts.fit", **REG, "callback": False, "connect": True, "probe": enc(REG_X)},
        {"id": "reg-one-epoch", "kind": "fitopts.fit", **REG, "epochs": 1, "callback": False, "probe": enc(REG_X)},
        {"id": "cls-split", "kind": "fitopts.fit", **CLS, "connect": True,
         "options": {"validation_split": 0.25, "metrics": ["accuracy", "f1", "top_k_accuracy", "precision"],
                     "top_k": 2}},
        {"id": "cls-split-shuffled", "kind": "fitopts.fit", **CLS,
         "options": {"validation_split": 0.25, "validation_shuffle": True}},
        {"id": "cls-split-shuffled-again", "kind": "fitopts.fit", **CLS,
         "options": {"validation_split": 0.25, "validation_shuffle": True}},
        {"id": "cls-dropout", "kind": "fitopts.fit", "sequential": [["dense", 5, 16, "relu", 0.0], ["dropout", 0.5],
                                                                    ["dense", 16, 3, "softmax", 0.0]],
         **{k: v for k, v in CLS.items() if k not in ("layers", "params")}, "options": {"validation_split": 0.25}},
        {"id": "early-constructed", "kind": "fitopts.fit", **LIN,
         "options": {"early_stopping": {"patience": 3, "restore_best_weights": True}}},
        {"id": "early-no-restore", "kind": "fitopts.fit", **LIN, "options": {"early_stopping": {"patience": 3}}},
        {"id": "callback-stop", "kind": "fitopts.fit", **REG, "stop_at": 3, "epochs": 10},
        {"id": "callback-arity", "kind": "fitopts.fit", **REG, "arity_error": True},
    ]
    for cid, early in EARLY_REPLAYS.items():
        cases.append({"id": cid, "kind": "fitopts.fit", **CLS, "epochs": 30,
                      "options": {"validation_split": 0.25, "metrics": ["accuracy"], "early_stopping": early}})
    for cid, (extra, _) in BAD.items():
        cases.append({"id": cid, "kind": "fitopts.fit", **REG, **extra})
    return cases


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: make_cases())


def params_of(encoded: list[dict]) -> ref.Params:
    return [(dec(p["weight"]).reshape(la.outputs, la.inputs), dec(p["bias"])) for p, la in zip(encoded, REG_LAYERS,
                                                                                           strict=True)]


def reference_trajectory(epochs: int) -> list[ref.Params]:
    """The NumPy reference's parameters after each epoch of REG's fit (Adam, rows in order)."""
    opt = ref.Optimizer(ref.OptimizerSpec(kind="adam"))
    params = as64(REG_PARAMS)
    out = []
    for _ in range(epochs):
        for start in range(0, len(REG_X), 8):
            _, grads = ref.gradients(REG_LAYERS, params, REG_X[start:start + 8].astype(float),
                                     REG_T[start:start + 8].astype(float), "mse")
            params = opt.step(params, grads, 0.01)
        out.append(params)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_validation_loss_is_the_network_after_each_epoch(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["reg-valdata"])
    assert not r["errors"], r["errors"]
    assert len(r["val_loss"]) == r["epochs"] == 6
    trajectory = reference_trajectory(6)
    for e, seen in enumerate(r["seen"]):
        assert seen["epoch"] == e
        recorded = params_of(seen["params"])
        # The callback sees this epoch's parameters: those of the NumPy training reference after epoch e.
        for (w, b), (rw, rb) in zip(recorded, trajectory[e], strict=True):
            np.testing.assert_allclose(w, rw, rtol=1e-4, atol=2e-5, err_msg=f"epoch {e} weights")
            np.testing.assert_allclose(b, rb, rtol=1e-4, atol=2e-5, err_msg=f"epoch {e} bias")
        y = ref.forward(REG_LAYERS, as64(recorded), REG_VX.astype(float))
        expected = ref.loss("mse", y, REG_VT.astype(float))
        assert r["val_loss"][e] == pytest.approx(expected, rel=2e-5, abs=1e-7), f"epoch {e}"
        assert seen["logs"]["val_loss"] == pytest.approx(r["val_loss"][e], rel=1e-6)
        assert seen["logs"]["loss"] == pytest.approx(r["loss"][e], rel=1e-6)
        # Metrics of the validation rows, by sklearn on the network after the epoch.
        assert r["metrics"]["val_mae"][e] == pytest.approx(skm.mean_absolute_error(REG_VT, y), rel=2e-5)
        assert r["metrics"]["val_r2"][e] == pytest.approx(skm.r2_score(REG_VT, y), rel=2e-4, abs=2e-5)
        assert r["metrics"]["val_mse"][e] == pytest.approx(expected, rel=2e-5)
        y_train = ref.forward(REG_LAYERS, as64(recorded), REG_X.astype(float))
        assert r["metrics"]["mae"][e] == pytest.approx(skm.mean_absolute_error(REG_T, y_train), rel=2e-5)
        np.testing.assert_allclose(dec(seen["probe"]), y, rtol=1e-4, atol=1e-5)
    assert sorted(r["metrics"]) == ["mae", "mse", "r2", "val_mae", "val_mse", "val_r2"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_options_do_not_change_training(results: BackendResults, backend: str) -> None:
    watched, plain = ok(results[backend]["reg-valdata"]), ok(results[backend]["reg-plain"])
    np.testing.assert_allclose(watched["loss"], plain["loss"], rtol=1e-6)
    for a, b in zip(watched["final_params"], plain["final_params"], strict=True):
        for name in a:
            np.testing.assert_allclose(dec(a[name]), dec(b[name]), rtol=1e-6, atol=1e-7)
    assert plain["val_loss"] == [] and plain["metrics"] == {} and plain["best_epoch"] == -1
    zero = ok(results[backend]["reg-split-zero"])  # validation_split 0: no validation, Keras's default
    assert not zero["errors"] and zero["val_loss"] == [] and zero["loss"] == plain["loss"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_handlers_see_the_current_weights(results: BackendResults, backend: str) -> None:
    r, one = ok(results[backend]["reg-handlers"]), ok(results[backend]["reg-one-epoch"])
    handled = r["handled"]
    assert [h["epoch"] for h in handled] == list(range(6))
    # Epoch 0's handler predicts with the parameters after epoch 0: those a 1-epoch fit ends with.
    np.testing.assert_allclose(dec(handled[0]["probe"]), dec(one["final_probe"]), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dec(handled[-1]["probe"]), dec(r["final_probe"]), rtol=1e-6, atol=1e-7)
    trajectory = reference_trajectory(6)
    for e in (1, 3):
        y = ref.forward(REG_LAYERS, trajectory[e], REG_X.astype(float))
        np.testing.assert_allclose(dec(handled[e]["probe"]), y, rtol=1e-4, atol=2e-5, err_msg=f"epoch {e}")
    assert [entry["logs"]["loss"] for entry in r["logged"]] == pytest.approx(r["loss"], rel=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_validation_split_holds_out_the_last_rows(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["cls-split"])
    assert not r["errors"], r["errors"]
    onehot = ref.one_hot(CLS_LABELS, 3)
    for e, seen in enumerate(r["seen"]):
        probs = dec(seen["probe"]).astype(float)
        val, train = probs[CLS_KEEP:], probs[:CLS_KEEP]
        expected = ref.loss("cce", val, onehot[CLS_KEEP:])
        assert r["val_loss"][e] == pytest.approx(expected, rel=2e-5), f"epoch {e}"
        yv, yt = CLS_LABELS[CLS_KEEP:], CLS_LABELS[:CLS_KEEP]
        assert r["metrics"]["val_accuracy"][e] == pytest.approx(skm.accuracy_score(yv, val.argmax(1)), abs=1e-6)
        assert r["metrics"]["accuracy"][e] == pytest.approx(skm.accuracy_score(yt, train.argmax(1)), abs=1e-6)
        assert r["metrics"]["val_f1"][e] == pytest.approx(
            skm.f1_score(yv, val.argmax(1), average="macro", zero_division=0.0), abs=1e-6)
        assert r["metrics"]["val_precision"][e] == pytest.approx(
            skm.precision_score(yv, val.argmax(1), average="macro", zero_division=0.0), abs=1e-6)
        assert r["metrics"]["val_top_k_accuracy"][e] == pytest.approx(
            skm.top_k_accuracy_score(yv, val, k=2, labels=[0, 1, 2]), abs=1e-6)
        assert seen["logs"] == pytest.approx(r["logged"][e]["logs"])


_U64 = (1 << 64) - 1


class SplitMix64:
    """LearnKit's Rng (gdextension/src/core/rng.hpp: splitmix64, below() by rejection), to know which rows a
    shuffled validation_split holds out."""

    def __init__(self, seed: int):
        self.state = seed & _U64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _U64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _U64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _U64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        limit = _U64 - _U64 % n
        while True:
            x = self.next()
            if x < limit:
                return x % n

    @staticmethod
    def mix(seed: int, index: int) -> int:
        r = SplitMix64(seed ^ ((index * 0xD1B54A32D192ED03) & _U64))
        r.next()
        return r.next()


def shuffled_validation_rows(rows: int, keep: int, seed: int) -> list[int]:
    order = list(range(rows))
    rng = SplitMix64(SplitMix64.mix(seed, 0x5A117))
    for i in range(rows - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order[keep:]


@pytest.mark.parametrize("backend", BACKENDS)
def test_shuffled_split_is_seeded(results: BackendResults, backend: str) -> None:
    a, b = ok(results[backend]["cls-split-shuffled"]), ok(results[backend]["cls-split-shuffled-again"])
    assert a["val_loss"] == b["val_loss"], "the same seed holds out the same rows"
    held = shuffled_validation_rows(60, CLS_KEEP, CLS["seed"])
    assert held != list(range(CLS_KEEP, 60))
    onehot = ref.one_hot(CLS_LABELS, 3)
    for e, seen in enumerate(a["seen"]):
        probs = dec(seen["probe"]).astype(float)[held]
        assert a["val_loss"][e] == pytest.approx(ref.loss("cce", probs, onehot[held]), rel=2e-5), f"epoch {e}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_validation_runs_in_eval_mode(results: BackendResults, backend: str) -> None:
    """With dropout, the validation loss is that of predict() (dropout off), not of a training forward."""
    r = ok(results[backend]["cls-dropout"])
    onehot = ref.one_hot(CLS_LABELS, 3)
    for e, seen in enumerate(r["seen"]):
        probs = dec(seen["probe"]).astype(float)[CLS_KEEP:]
        assert r["val_loss"][e] == pytest.approx(ref.loss("cce", probs, onehot[CLS_KEEP:]), rel=2e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_early_stopping_constructed_case(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["early-constructed"])
    assert np.all(np.diff(r["val_loss"]) > 0), "the construction: validation loss grows every epoch"
    assert r["epochs"] == 4 and r["best_epoch"] == 0 and r["early_stopped"] and r["stopped"]
    best = r["seen"][0]["params"]
    for a, b in zip(r["final_params"], best, strict=True):
        for name in a:
            np.testing.assert_array_equal(dec(a[name]), dec(b[name]), err_msg="restored exactly")
    kept = ok(results[backend]["early-no-restore"])
    assert kept["epochs"] == 4
    last = kept["seen"][-1]["params"]
    for a, b in zip(kept["final_params"], last, strict=True):
        for name in a:
            np.testing.assert_array_equal(dec(a[name]), dec(b[name]), err_msg="without restore: the last epoch")


def keras_replay(values: list[float], patience: int, min_delta: float, maximize: bool) -> tuple[int, int]:
    """Keras's EarlyStopping.on_epoch_end over the recorded values: (epochs run, best epoch)."""
    best, best_epoch, wait = (-math.inf if maximize else math.inf), -1, 0
    for epoch, current in enumerate(values):
        wait += 1
        improved = current - min_delta > best if maximize else current + min_delta < best
        if improved:
            best, best_epoch, wait = current, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1, best_epoch
    return len(values), best_epoch


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(EARLY_REPLAYS))
def test_early_stopping_follows_keras(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    early = EARLY_REPLAYS[cid]
    monitor = early["monitor"]
    values = {"loss": r["loss"], "val_loss": r["val_loss"], **r["metrics"]}[monitor]
    maximize = early.get("mode") == "max" or (early.get("mode", "auto") == "auto" and "accuracy" in monitor)
    epochs, best = keras_replay(values, early["patience"], early.get("min_delta", 0.0), maximize)
    assert r["epochs"] == epochs and r["best_epoch"] == best, (values, r["epochs"], r["best_epoch"])
    assert r["early_stopped"] == (epochs < 30)
    assert r["epochs"] < 30, "the case must stop early to prove anything"
    if early.get("restore_best_weights"):
        for a, b in zip(r["final_params"], r["seen"][best]["params"], strict=True):
            for name in a:
                np.testing.assert_array_equal(dec(a[name]), dec(b[name]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_callback_gets_epoch_and_logs_and_can_stop(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["callback-stop"])
    assert [s["epoch"] for s in r["seen"]] == [0, 1, 2, 3]
    assert r["epochs"] == 4 and r["stopped"] and not r["early_stopped"]
    assert [s["logs"]["loss"] for s in r["seen"]] == pytest.approx(r["loss"], rel=1e-6)
    assert all(sorted(s["logs"]) == ["loss"] for s in r["seen"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_callback_with_the_wrong_arguments_is_an_error(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["callback-arity"])
    assert r["epochs"] == 1 and r["stopped"]
    assert any("on_epoch Callable could not be called" in e for e in r["errors"]), r["errors"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(BAD))
def test_bad_options_are_clear_errors(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    message = BAD[cid][1]
    assert not r["history"], "a bad option returns null"
    assert any(message in e for e in r["errors"]), f"expected {message!r} in {r['errors']}"


# --- fit_async() with the same options, in a real scene loop (godot_project/tests/fitopts_async.gd) ---------------

def async_run(backend: str) -> dict:
    rc, output, data = scene_check("fitopts_async.gd", backend, "--epochs", "4000" if backend == "cpu" else "60")
    assert data, f"fitopts_async.gd wrote no results (exit {rc}):\n{tail(output)}"
    return data


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_async_takes_the_same_options(backend: str) -> None:
    r = async_run(backend)
    assert not r["errors"], r["errors"]
    a = r["async"]
    # on_epoch ran on the main thread, in order, and its false at epoch 2 cancelled the job soon after.
    assert [c["epoch"] for c in a["calls"]] == list(range(len(a["calls"])))
    assert all(c["main"] for c in a["calls"]) and all(s["main"] for s in a["signalled"])
    assert 3 <= a["epochs"] < r["epochs"] and a["stopped"] and a["cancelled"]
    assert len(a["calls"]) >= 3 and len(a["signalled"]) >= 3
    # The numbers are the synchronous fit's.
    n = a["epochs"]
    np.testing.assert_allclose(a["val_loss"], r["sync_val_loss"][:n], rtol=1e-6)
    np.testing.assert_allclose(a["val_accuracy"], r["sync_val_accuracy"][:n], atol=1e-9)
    for c in a["calls"]:
        assert c["logs"]["val_loss"] == pytest.approx(r["sync_val_loss"][c["epoch"]], rel=1e-6)
        assert sorted(c["logs"]) == ["accuracy", "loss", "val_accuracy", "val_loss"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_async_early_stopping_restores_the_best_epoch(backend: str) -> None:
    e = async_run(backend)["early"]
    assert np.all(np.diff(e["val_loss"]) > 0), "the construction: validation loss grows every epoch"
    assert e["epochs"] == 3 and e["best_epoch"] == 0 and e["early_stopped"]
    assert e["restored"], (e["params"], e["epoch0"])


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    """The README's "Validation, early stopping and metrics" block, on 3 classes of 4 features (CPU)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Validation, early stopping and metrics"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```gdscript\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1
    data = ("\tvar inputs: Array = []\n\tvar labels: Array = []\n\tfor i in 150:\n"
            "\t\tvar c := i % 3\n\t\tinputs.append(PackedFloat32Array([c + sin(i * 1.7) * 0.4, cos(i * 0.9) * 0.4 - c,"
            " 0.3 * c, sin(i * 0.31)]))\n\t\tlabels.append(c)\n"
            "\tvar test_inputs := inputs.slice(0, 30)\n\tvar test_labels := labels.slice(0, 30)\n")
    body = textwrap.indent(blocks[0], "\t")
    script = ("extends SceneTree\n\nfunc _init() -> void:\n" + data + body +
              "\tprint(\"README_RESULT \" + JSON.stringify({\"epochs\": history.epochs, \"val\": history.val_loss.size(),"
              " \"f1\": report.macro_f1, \"acc\": history.metrics.val_accuracy[-1]}))\n\tquit(0)\n")
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "readme_fitopts.gd").write_text(script)
    code, output = launch_godot(["-s", "res://tests/generated/readme_fitopts.gd"], headless=True)
    assert code == 0 and "ERROR" not in output, output[-3000:]
    result = json.loads(next(x for x in output.splitlines() if x.startswith("README_RESULT "))[len("README_RESULT "):])
    assert 1 <= result["epochs"] < 200 and result["val"] == result["epochs"], result
    assert result["acc"] == 1.0 and result["f1"] > 0.9, result
