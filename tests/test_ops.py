"""The ops of the graph core (activation where it is not fused, dropout, batch_norm, layer_norm, residual add)
on both backends against torch: eval-mode forward, train-mode gradients (torch autograd and central finite
differences of a float64 NumPy graph), 50-step trajectories of SGD with momentum and Adam, fusion on vs off,
dropout masks (reproduced from LearnKit's hash and seed derivation), running statistics, the graph views
(get_ops, get_layers, get_parameters) and the errors of bad graphs. Graphs are described once
(tests/graph_reference.py) and built in Godot by godot_project/tests/cases/ops.gd."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import graph_reference as gr
import numpy as np
import pytest
from conftest import BackendResults
from lk import BACKENDS, dec, enc, ok, random_targets

pytestmark = pytest.mark.usefixtures("godot_ready")
torch = pytest.importorskip("torch")

# float32 forward against float64 torch: a few ulps per op, relative to the output's scale.
FWD_RTOL, FWD_ATOL_SCALE = 1e-5, 1e-6
# As tests/test_gradients.py: sums over the batch leave an absolute error proportional to the largest entry.
# Normalisation layers divide by the batch's standard deviation, which amplifies float32 rounding a little.
GRAD_RTOL, GRAD_ATOL_SCALE = 2e-4, 2e-5
LOSS_RTOL = 1e-5
FD_PICKS = 12  # finite-difference checks per tensor (all entries when fewer)
# Fusion on vs off: the same formulas in other kernels; only summation order and fused multiply-adds differ.
FUSION_RTOL, FUSION_ATOL_SCALE = 1e-5, 1e-6
# 50 float32 steps against float64 torch (the brief's bounds: 1e-4 relative on the CPU, 1e-3 on the GPU). A
# parameter near 0 is compared at the scale of its tensor: atol = rtol * max|tensor|.
TRAJ_RTOL = {"cpu": 1e-4, "gpu": 1e-3}
TRAINER_SEED = 12345  # not 0: the dropout masks must follow the trainer's seed

ROWS = 7


def dense(n_in: int, n_out: int, act: str = "identity", alpha: float = 0.01) -> list:
    return ["dense", n_in, n_out, act, alpha]


def act(name: str, alpha: float = 0.01) -> list:
    return ["activation", name, alpha]


def bn(eps: float = 1e-5, momentum: float = 0.1, affine: bool = True) -> list:
    return ["batch_norm", eps, momentum, affine]


def ln(eps: float = 1e-5, affine: bool = True) -> list:
    return ["layer_norm", eps, affine]


def residual_ops() -> gr.Graph:
    """dense -> layer_norm -> relu -> dense, plus the skip, with add_op(); then tanh and dense."""
    g = gr.Graph(5)
    a = g.add("dense", {"units": 8}, [0])
    g.add("layer_norm", {"eps": 1e-5, "affine": True})
    g.add("activation", {"activation": "relu"})
    b = g.add("dense", {"units": 8})
    g.add("add", {}, [a, b])
    g.add("activation", {"activation": "tanh"})
    g.add("dense", {"units": 3})
    return g


def branchy_ops() -> gr.Graph:
    """A tensor read by three ops (gradients accumulate into it three times) and an activation whose input also
    feeds an add (its derivative is folded into the dense after it while the add writes the same gradient)."""
    g = gr.Graph(4)
    z = g.add("dense", {"units": 6}, [0])
    y = g.add("activation", {"activation": "sigmoid"}, [z])
    d = g.add("dense", {"units": 6}, [y])
    s = g.add("add", {}, [z, d])
    r = g.add("activation", {"activation": "relu"}, [s])
    e = g.add("dense", {"units": 6}, [r])
    f = g.add("add", {}, [r, e])
    h = g.add("add", {}, [f, r])
    g.add("dense", {"units": 2}, [h])
    return g


#      id: (sequential layers, or an add_op graph), loss
GRAPHS: dict[str, tuple[list | Callable[[], gr.Graph], str]] = {
    # standalone activations after a norm, after another activation, softmax inside and at the end
    "ln-relu": ([dense(5, 7), ln(), act("relu"), dense(7, 3)], "mse"),
    "ln-noaffine-sigmoid": ([dense(5, 6), ln(1e-3, False), act("sigmoid"), dense(6, 2)], "mse"),
    "ln-softmax-inside": ([dense(5, 6), ln(), act("softmax"), dense(6, 3)], "mse"),
    "bn-relu": ([dense(5, 7), bn(), act("relu"), dense(7, 3)], "mse"),
    "bn-noaffine-leaky-softmax": ([dense(5, 6), bn(1e-3, 0.2, False), act("leaky_relu", 0.2), dense(6, 4),
                                   act("softmax")], "cce"),
    "tanh-sigmoid-leaky": ([dense(5, 6, "tanh"), act("sigmoid"), act("leaky_relu", 0.1), dense(6, 3)], "mse"),
    "relu-tanh-softmax": ([dense(5, 7, "relu"), dense(7, 4, "tanh"), act("softmax")], "cce"),
    "bn-tanh-identity": ([dense(5, 6), bn(), act("tanh"), act("identity"), dense(6, 2, "sigmoid")], "bce"),
    # dropout between a dense op and its activation, and two dropout ops (each draws its own mask)
    "dropout-relu": ([dense(5, 8), ["dropout", 0.3], act("relu"), dense(8, 3)], "mse"),
    "dropout-two": ([dense(5, 8, "relu"), ["dropout", 0.5], dense(8, 8, "tanh"), ["dropout", 0.25], dense(8, 2)],
                    "mse"),
    # residual blocks: LearnKit.residual() and add_op()
    "residual-ln": ([dense(5, 8, "relu"), ["residual", [dense(8, 8), ln(), act("relu"), dense(8, 8)]], dense(8, 3)],
                    "mse"),
    "residual-bn-dropout": ([dense(5, 8, "tanh"), ["residual", [dense(8, 8), bn(), act("relu"), ["dropout", 0.2],
                                                               dense(8, 8)]],
                             act("relu"), dense(8, 4), act("softmax")], "cce"),
    "residual-add-op": (residual_ops, "mse"),
    # prelu: one shared slope, then one per feature
    "prelu-shared-perfeature": ([dense(5, 7), ["layer", "prelu", {}], dense(7, 6),
                                 ["layer", "prelu", {"num_parameters": 6, "init": 0.1}], dense(6, 3)], "mse"),
    # activations with parameters (LearnKit.layer settings, LearnKit.dense's alpha), fused and standalone, and
    # log_softmax (row-wise: never fused)
    "params-activations": ([dense(5, 7), ["layer", "activation", {"activation": "hard_tanh", "min_val": -0.3,
                                                                  "max_val": 0.4}],
                            dense(7, 6, "elu", 0.5), ["layer", "activation", {"activation": "softplus", "beta": 2.0,
                                                                              "threshold": 1.5}],
                            dense(6, 5, "gelu"), dense(5, 4), ["layer", "activation", {"activation": "log_softmax"}]],
                           "mse"),
    "branchy-add-op": (branchy_ops, "mse"),
}

#      id: graph id, optimizer, learning rate, api ("fit": epochs of one batch; "step": step() calls)
TRAJECTORIES = {
    "bn-relu-sgd-momentum": ("bn-relu", {"kind": "sgd", "momentum": 0.9}, 0.05, "fit"),
    "ln-relu-adam": ("ln-relu", {"kind": "adam"}, 1e-2, "step"),
    "residual-ln-adam-decay": ("residual-ln", {"kind": "adam", "weight_decay": 1e-3}, 1e-2, "fit"),
    "residual-bn-dropout-sgd": ("residual-bn-dropout", {"kind": "sgd", "momentum": 0.9, "weight_decay": 1e-3}, 0.05,
                                "step"),
    "dropout-two-adam": ("dropout-two", {"kind": "adam"}, 1e-2, "step"),
    "tanh-sigmoid-leaky-sgd": ("tanh-sigmoid-leaky", {"kind": "sgd", "momentum": 0.9}, 0.1, "fit"),
    "branchy-add-op-adam": ("branchy-add-op", {"kind": "adam"}, 1e-2, "fit"),
}
TRAJ_STEPS, TRAJ_ROWS = 50, 16

# The mask probe: x = identity rows, dense with W = 0 and b = 1, then dropout, mse against 0. Then the weight
# gradient is 2 mask / (1 - p)^2 / (rows * width) transposed: it shows the whole mask.
PROBE_ROWS, PROBE_P, PROBE_STEPS = 48, 0.3, 4


def graph_of(gid: str) -> gr.Graph:
    spec = GRAPHS[gid][0]
    return spec() if callable(spec) else gr.sequential(spec)


def build(gid: str) -> dict:
    """The part of a case that builds graph `gid` in Godot."""
    spec = GRAPHS[gid][0]
    if callable(spec):
        g = spec()
        return {"input": g.width, "ops": g.as_ops()}
    return {"sequential": spec}


def enc_tensors(g: gr.Graph, tensors: gr.Tensors) -> list[dict]:
    return [{k: enc(v.reshape(-1)) for k, v in tensors[i].items()} for i in g.with_params()]


def dec_tensors(g: gr.Graph, encoded: list[dict]) -> gr.Tensors:
    """compute_gradients()/get_parameters() output, by op index, each array in its parameter's shape."""
    ops = g.with_params()
    assert len(encoded) == len(ops), f"{len(encoded)} entries, expected one per op with parameters ({len(ops)})"
    shapes = {i: {name: shape for name, shape, _ in g.params(i)} for i in ops}
    return {i: {k: dec(v).reshape(shapes[i][k]) for k, v in d.items()} for i, d in zip(ops, encoded, strict=True)}


def make_cases() -> list[dict]:
    cases = []
    for gid, (_, loss) in GRAPHS.items():
        g = graph_of(gid)
        rng = np.random.default_rng(zlib.crc32(gid.encode()))
        tensors = gr.random_tensors(rng, g)
        x = rng.uniform(-1, 1, (ROWS, g.width)).astype(np.float32)
        t = random_targets(rng, loss, ROWS, g.widths[-1])
        common = {**build(gid), "tensors": enc_tensors(g, tensors), "x": enc(x)}
        cases.append({"id": f"forward-{gid}", "kind": "ops.forward", **common})
        cases.append({"id": f"gradients-{gid}", "kind": "ops.gradients", **common, "targets": enc(t), "loss": loss,
                      "seed": TRAINER_SEED})
        _REFS[gid] = (g, tensors, x, t, loss)
    for tid, (gid, optimizer, lr, api) in TRAJECTORIES.items():
        g, tensors, _, _, loss = _REFS[gid]
        rng = np.random.default_rng(zlib.crc32(tid.encode()))
        x = rng.uniform(-1, 1, (TRAJ_ROWS, g.width)).astype(np.float32)
        t = random_targets(rng, loss, TRAJ_ROWS, g.widths[-1])
        cases.append({"id": f"train-{tid}", "kind": "ops.train", **build(gid), "tensors": enc_tensors(g, tensors),
                      "x": enc(x), "targets": enc(t), "loss": loss, "optimizer": optimizer, "learning_rate": lr,
                      "api": api, "steps": TRAJ_STEPS, "epochs": TRAJ_STEPS, "batch_size": TRAJ_ROWS,
                      "shuffle": False, "seed": TRAINER_SEED})
        _TRAJ[tid] = (g, tensors, x, t, loss, optimizer, lr)
    # One step of batch norm: the running statistics torch's BatchNorm1d keeps after it.
    g, tensors, x, t, loss = _REFS["bn-relu"]
    cases.append({"id": "bn-one-step", "kind": "ops.train", **build("bn-relu"), "tensors": enc_tensors(g, tensors),
                  "x": enc(x), "targets": enc(t), "loss": loss, "optimizer": {"kind": "sgd"}, "learning_rate": 0.1,
                  "steps": 1})
    # The dropout mask probe.
    g = probe_graph()
    probe = {0: {"weight": np.zeros((PROBE_ROWS, PROBE_ROWS), np.float32), "bias": np.ones(PROBE_ROWS, np.float32)}}
    cases.append({"id": "dropout-probe", "kind": "ops.gradient_steps", "input": PROBE_ROWS, "ops": g.as_ops(),
                  "tensors": enc_tensors(g, probe), "x": enc(np.eye(PROBE_ROWS, dtype=np.float32)),
                  "targets": enc(np.zeros((PROBE_ROWS, PROBE_ROWS), np.float32)), "loss": "mse",
                  "optimizer": {"kind": "sgd"}, "learning_rate": 0.01, "steps": PROBE_STEPS, "seed": TRAINER_SEED})
    cases += [{"id": f"bad-{name}", **case} for name, (case, _) in BAD.items()]
    return cases


def probe_graph() -> gr.Graph:
    g = gr.Graph(PROBE_ROWS)
    g.add("dense", {"units": PROBE_ROWS})
    g.add("dropout", {"p": PROBE_P})
    return g


#    name: (case, words the printed error must contain)
BAD: dict[str, tuple[dict, list[str]]] = {
    "add-widths": ({"kind": "ops.bad_op", "input": 4, "ops": [{"type": "dense", "settings": {"units": 8},
                                                               "inputs": [0]},
                                                              {"type": "dense", "settings": {"units": 5},
                                                               "inputs": [0]}],
                    "bad": {"type": "add", "settings": {}, "inputs": [1, 2]}}, ["add", "(N, 8)", "(N, 5)"]),
    "dense-declared-inputs": ({"kind": "ops.bad_op", "input": 4, "ops": [],
                               "bad": {"type": "dense", "settings": {"units": 3, "inputs": 7}, "inputs": [0]}},
                              ["dense", "7", "(N, 4)"]),
    "unknown-type": ({"kind": "ops.bad_op", "input": 4, "ops": [],
                      "bad": {"type": "convolution_ish", "settings": {}, "inputs": [0]}},
                     ["convolution_ish", "dense", "layer_norm"]),
    "unknown-setting": ({"kind": "ops.bad_op", "input": 4, "ops": [],
                         "bad": {"type": "dense", "settings": {"units": 3, "unitz": 2}, "inputs": [0]}},
                        ["dense", "unitz"]),
    "fractional-units": ({"kind": "ops.bad_op", "input": 4, "ops": [],
                          "bad": {"type": "dense", "settings": {"units": 2.5}, "inputs": [0]}},
                         ["dense", "units", "2.5"]),
    "batch-norm-bad-momentum": ({"kind": "ops.bad_op", "input": 4, "ops": [],
                                 "bad": {"type": "batch_norm", "settings": {"momentum": 1.5}, "inputs": [0]}},
                                ["batch_norm", "momentum", "1.5"]),
    "add-one-input": ({"kind": "ops.bad_op", "input": 4, "ops": [],
                       "bad": {"type": "add", "settings": {}, "inputs": [0]}}, ["add", "2", "1"]),
    "residual-widths": ({"kind": "ops.bad_sequential", "sequential": [dense(4, 8), ["residual", [dense(8, 5)]]]},
                        ["add", "(N, 8)", "(N, 5)"]),
    "sequential-dense-declared-inputs": ({"kind": "ops.bad_sequential",
                                          "sequential": [dense(4, 7), ln(), dense(8, 3)]}, ["dense", "8", "(N, 7)"]),
    # An LKLayer is not an LKDense (it used to be read as one): without a dense layer nothing says the input width.
    "sequential-without-dense": ({"kind": "ops.bad_sequential", "sequential": [ln(), act("relu")]},
                                    ["first layer", "input width"]),
    "layer-unknown-type": ({"kind": "ops.bad_layer", "type": "pooling_ish", "settings": {}}, ["pooling_ish"]),
    "layer-unknown-setting": ({"kind": "ops.bad_layer", "type": "dropout", "settings": {"prob": 0.5}},
                              ["dropout", "prob"]),
}

_REFS: dict[str, tuple] = {}
_TRAJ: dict[str, tuple] = {}
CASES = make_cases()
GIDS = list(GRAPHS)


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float, atol_scale: float, what: str) -> None:
    scale = max(float(np.abs(expected).max()), 1e-12)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol_scale * scale, err_msg=what)


def assert_tensors_close(actual: gr.Tensors, expected: gr.Tensors, rtol: float, atol_scale: float, what: str,
                         per_tensor: bool = False) -> None:
    """Every array within rtol, plus atol_scale times the largest entry of all arrays (gradients: a dense
    bias before batch norm has a true gradient of 0 and float32 leaves ~1e-8 there) or of its own array."""
    assert sorted(actual) == sorted(expected), f"{what}: ops {sorted(actual)}, expected {sorted(expected)}"
    largest = max(float(np.abs(v).max()) for d in expected.values() for v in d.values())
    for i in expected:
        assert sorted(actual[i]) == sorted(expected[i]), f"{what}: op {i} has {sorted(actual[i])}"
        for k in expected[i]:
            scale = float(np.abs(expected[i][k]).max()) if per_tensor else largest
            np.testing.assert_allclose(actual[i][k], expected[i][k], rtol=rtol, atol=atol_scale * max(scale, 1e-12),
                                       err_msg=f"{what}: op {i} {k}")


def masks_of(gid: str, step: int = 0) -> gr.Masks:
    g, _, x, _, _ = _REFS[gid]
    return gr.dropout_masks(g, len(x), TRAINER_SEED, step)


# --- 1. Forward (eval mode) ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("gid", GIDS)
def test_forward_matches_torch(results: BackendResults, backend: str, gid: str) -> None:
    """predict() runs eval mode: dropout is the identity, batch norm uses the running statistics poured in."""
    r = ok(results[backend][f"forward-{gid}"])
    g, tensors, x, _, _ = _REFS[gid]
    with torch.no_grad():
        p = gr.torch_tensors(g, tensors, torch.float64)
        expected = gr.torch_forward(g, p, torch.tensor(x, dtype=torch.float64), False).numpy()
    assert_close(dec(r["y"]), expected, FWD_RTOL, FWD_ATOL_SCALE, "predict vs torch eval")
    np.testing.assert_allclose(dec(r["y"]), gr.np_forward(g, tensors, x, False), rtol=FWD_RTOL,
                               atol=FWD_ATOL_SCALE * np.abs(expected).max(), err_msg="predict vs NumPy")
    assert r["backend"] == backend


# --- 2. Gradients (train mode) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("gid", GIDS)
def test_gradients_match_torch_autograd(results: BackendResults, backend: str, gid: str) -> None:
    r = ok(results[backend][f"gradients-{gid}"])
    g, tensors, x, t, loss = _REFS[gid]
    value, expected, _ = gr.torch_gradients(g, tensors, x, t, loss, masks_of(gid))
    assert r["loss"] == pytest.approx(value, rel=LOSS_RTOL, abs=1e-7)
    assert_tensors_close(dec_tensors(g, r["gradients"]), expected, GRAD_RTOL, GRAD_ATOL_SCALE, "gradient")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("gid", GIDS)
def test_gradients_match_finite_differences(results: BackendResults, backend: str, gid: str) -> None:
    r = ok(results[backend][f"gradients-{gid}"])
    g, tensors, x, t, loss = _REFS[gid]
    rng = np.random.default_rng(zlib.crc32(gid.encode()))
    grads = dec_tensors(g, r["gradients"])
    scale = max(float(np.abs(v).max()) for d in grads.values() for v in d.values())
    for i, d in grads.items():
        for name, grad in d.items():
            flat = grad.reshape(-1)
            picks = rng.choice(flat.size, size=min(FD_PICKS, flat.size), replace=False)
            fd = gr.finite_differences(g, tensors, x, t, loss, masks_of(gid), [(i, name, int(k)) for k in picks])
            np.testing.assert_allclose(flat[picks], fd, rtol=GRAD_RTOL * 5, atol=GRAD_ATOL_SCALE * 5 * scale,
                                       err_msg=f"op {i} {name}: analytic vs finite differences")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("gid", GIDS)
def test_fusion_off_gives_the_same_gradients(results: BackendResults, backend: str, gid: str) -> None:
    r = ok(results[backend][f"gradients-{gid}"])
    g = _REFS[gid][0]
    assert r["loss_unfused"] == pytest.approx(r["loss"], rel=1e-6, abs=1e-8)
    assert_tensors_close(dec_tensors(g, r["gradients_unfused"]), dec_tensors(g, r["gradients"]), FUSION_RTOL,
                         FUSION_ATOL_SCALE, "fusion off vs on")


@pytest.mark.parametrize("gid", GIDS)
def test_gpu_gradients_match_cpu(results: BackendResults, gid: str) -> None:
    """Same seed, same dropout masks: the backends differ by float rounding only."""
    cpu, gpu = ok(results["cpu"][f"gradients-{gid}"]), ok(results["gpu"][f"gradients-{gid}"])
    g = _REFS[gid][0]
    assert gpu["loss"] == pytest.approx(cpu["loss"], rel=LOSS_RTOL, abs=1e-7)
    assert_tensors_close(dec_tensors(g, gpu["gradients"]), dec_tensors(g, cpu["gradients"]), GRAD_RTOL,
                         GRAD_ATOL_SCALE, "gpu vs cpu")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("gid", [gid for gid in GIDS if "bn" in gid])
def test_train_forward_moves_running_statistics_like_torch(results: BackendResults, backend: str, gid: str) -> None:
    """compute_gradients() runs a train-mode forward, which moves the running statistics (momentum, unbiased
    variance) exactly like torch's; trainable parameters stay as they were."""
    r = ok(results[backend][f"gradients-{gid}"])
    g, tensors, x, t, loss = _REFS[gid]
    _, _, expected = gr.torch_gradients(g, tensors, x, t, loss, masks_of(gid))
    assert_tensors_close(dec_tensors(g, r["tensors_after"]), expected, 1e-5, 1e-6, "after one train forward")


# --- 3. Trajectories -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("tid", list(TRAJECTORIES))
def test_trajectory_matches_torch(results: BackendResults, backend: str, tid: str) -> None:
    """50 steps on one batch (fit() with shuffle off, or step()), dropout masks drawn per step from the
    trainer's seed: losses, parameters and running statistics against torch.optim in float64."""
    r = ok(results[backend][f"train-{tid}"])
    g, tensors, x, t, loss, optimizer, lr = _TRAJ[tid]
    losses, expected = gr.torch_trajectory(g, tensors, x, t, loss, optimizer, lr, TRAJ_STEPS, TRAINER_SEED)
    rtol = TRAJ_RTOL[backend]
    np.testing.assert_allclose(r["losses"], losses, rtol=rtol, err_msg="loss of each step")
    assert_tensors_close(dec_tensors(g, r["tensors"]), expected, rtol, rtol, "after training", per_tensor=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_norm_running_statistics_after_one_step(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["bn-one-step"])
    g, tensors, x, t, loss = _REFS["bn-relu"]
    losses, expected = gr.torch_trajectory(g, tensors, x, t, loss, {"kind": "sgd"}, 0.1, 1, TRAINER_SEED)
    assert r["losses"][0] == pytest.approx(losses[0], rel=LOSS_RTOL)
    actual = dec_tensors(g, r["tensors"])
    bn_op = next(i for i, n in enumerate(g.nodes) if n.type == "batch_norm")
    for name in ("running_mean", "running_var"):
        assert_close(actual[bn_op][name], expected[bn_op][name], 1e-5, 1e-6, name)
        assert not np.allclose(actual[bn_op][name], tensors[bn_op][name]), f"{name} did not move"
    assert_tensors_close(actual, expected, 1e-5, 1e-6, "after one step")


# --- 5. Dropout masks ------------------------------------------------------------------------------------------


def probe_masks(r: dict) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The masks of compute_gradients() calls and of the steps after them, read off the probe's results."""
    g = probe_graph()
    grads = [dec_tensors(g, e)[0]["weight"].T != 0 for e in r["gradients"]]
    before = np.zeros((PROBE_ROWS, PROBE_ROWS), np.float32)
    steps = []
    for e in r["tensors"]:
        after = dec_tensors(g, e)[0]["weight"]
        steps.append((after - before).T != 0)  # SGD without momentum: W moves exactly where the mask kept
        before = after
    return grads, steps


def expected_probe_mask(step: int) -> np.ndarray:
    return gr.dropout_masks(probe_graph(), PROBE_ROWS, TRAINER_SEED, step)[1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropout_masks_follow_the_step_seed(results: BackendResults, backend: str) -> None:
    """Step k's mask is lk_uniform(mix(mix(seed ^ salt, k), op index), element) >= p, re-implemented in NumPy."""
    _, steps = probe_masks(ok(results[backend]["dropout-probe"]))
    for k, mask in enumerate(steps):
        np.testing.assert_array_equal(mask, expected_probe_mask(k), err_msg=f"step {k}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_compute_gradients_draws_the_next_steps_mask(results: BackendResults, backend: str) -> None:
    """compute_gradients() returns the gradients step() would apply next: the same mask, from the same seed."""
    grads, steps = probe_masks(ok(results[backend]["dropout-probe"]))
    for k, mask in enumerate(grads):
        np.testing.assert_array_equal(mask, steps[k], err_msg=f"compute_gradients before step {k}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropout_keeps_about_1_minus_p_and_scales(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["dropout-probe"])
    _, steps = probe_masks(r)
    kept = float(np.mean(steps))
    n = len(steps) * PROBE_ROWS * PROBE_ROWS
    assert abs(kept - (1 - PROBE_P)) < 5 * np.sqrt(PROBE_P * (1 - PROBE_P) / n), f"kept {kept:.4f}"
    # The first step's loss: mean((mask / (1 - p))^2) over every element, h = 1 everywhere.
    first = float(np.mean(steps[0])) / (1 - PROBE_P) ** 2
    assert r["losses"][0][1] == pytest.approx(first, rel=1e-5)
    assert r["losses"][0][0] == pytest.approx(first, rel=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropout_steps_draw_different_masks(results: BackendResults, backend: str) -> None:
    _, steps = probe_masks(ok(results[backend]["dropout-probe"]))
    for a in range(len(steps)):
        for b in range(a):
            assert 0.2 < np.mean(steps[a] != steps[b]) < 0.6, f"steps {a} and {b}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropout_is_the_identity_in_predict(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["dropout-probe"])
    g = probe_graph()
    w = dec_tensors(g, r["tensors"][-1])[0]
    expected = np.eye(PROBE_ROWS) @ w["weight"].T.astype(np.float64) + w["bias"]
    np.testing.assert_allclose(dec(r["predict"]), expected, rtol=1e-6)


def test_dropout_masks_identical_on_cpu_and_gpu(results: BackendResults) -> None:
    cpu, gpu = ok(results["cpu"]["dropout-probe"]), ok(results["gpu"]["dropout-probe"])
    for a, b in zip(probe_masks(cpu), probe_masks(gpu), strict=True):
        for k, (ma, mb) in enumerate(zip(a, b, strict=True)):
            np.testing.assert_array_equal(ma, mb, err_msg=f"mask {k}")


# --- 6. Graph views and bad graphs -----------------------------------------------------------------------------


def expected_settings(n: gr.Node) -> dict:
    s = dict(n.settings)
    if "affine" in s:
        s["affine"] = 1.0 if s["affine"] else 0.0
    if n.type == "batch_norm":
        s.setdefault("momentum", 0.1)
    if n.type == "activation":  # every parameter by name, the defaults filled in; "alpha" only as a parameter
        s = {"activation": s["activation"], **gr.activation_params(s)}
    if n.type == "prelu":
        s = {"num_parameters": 1, "init": 0.25, **s}
    return s


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("gid", GIDS)
def test_graph_views(results: BackendResults, backend: str, gid: str) -> None:
    r = ok(results[backend][f"forward-{gid}"])
    g = _REFS[gid][0]
    ops = r["ops"]
    assert [o["type"] for o in ops] == [n.type for n in g.nodes]
    for i, (o, n) in enumerate(zip(ops, g.nodes, strict=True)):
        assert o["name"] == f"{n.type}_{i}"
        assert o["inputs"] == list(n.inputs) and o["output"] == i + 1
        assert o["shape"] == [g.widths[i + 1]]
        assert o["parameters"] == [name for name, _, _ in g.params(i)]
        settings = expected_settings(n)
        assert sorted(o["settings"]) == sorted(settings), f"op {i} settings {o['settings']}"
        for k, v in settings.items():
            assert o["settings"][k] == (v if isinstance(v, str) else pytest.approx(v, rel=1e-6)), f"op {i} {k}"
    # get_parameters(): one Dictionary per op with parameters, every parameter and buffer, as poured in.
    tensors = dec_tensors(g, r["tensors"])
    assert_tensors_close(tensors, _REFS[gid][1], 0, 0, "get_parameters after set_parameters")
    # get_layers(): a dense op with the activation reading it (when that is its only reader) is one layer.
    expected_layers = []
    absorbed = set()
    for i, n in enumerate(g.nodes):
        if i in absorbed:
            continue
        if n.type == "dense":
            readers = [j for j, m in enumerate(g.nodes) if i + 1 in m.inputs]
            activation = "identity"
            if len(readers) == 1 and i + 1 != len(g.nodes) and g.nodes[readers[0]].type == "activation":
                absorbed.add(readers[0])
                activation = g.nodes[readers[0]].settings["activation"]
            expected_layers.append({"type": "dense", "name": f"dense_{i}", "inputs": g.widths[n.inputs[0]],
                                    "outputs": g.widths[i + 1], "activation": activation})
        else:
            expected_layers.append({"type": n.type, "name": f"{n.type}_{i}"})
    layers = [{k: v for k, v in la.items() if k in ("type", "name", "inputs", "outputs", "activation")}
              for la in r["layers"]]
    assert layers == expected_layers


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(BAD))
def test_bad_graph_is_refused_with_a_clear_error(results: BackendResults, backend: str, name: str) -> None:
    r = ok(results[backend][f"bad-{name}"])
    case, words = BAD[name]
    if case["kind"] == "ops.bad_op":
        assert r["returned"] == -1
        assert r["ops_after"] == r["ops_before"], "a refused op must leave the graph as it was"
    else:
        assert r["returned_null"]
    errors = "\n".join(e for e in r["errors"] if e.startswith("ERROR"))
    assert errors, "no error was printed"
    missing = [w for w in words if w.lower() not in errors.lower()]
    assert not missing, f"the error does not name {missing}:\n{errors}"
