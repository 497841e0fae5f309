"""Losses and gradients: LKTrainer.compute_gradients() against the NumPy reference's loss, its backpropagation and
central finite differences of the float64 NumPy loss (which checks the derivatives without trusting any
derivative formula), for every loss and activation, on awkward shapes."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import reference as ref
from conftest import BackendResults
from lk import (
    BACKENDS,
    as64,
    chain,
    dec_params,
    enc,
    enc_params,
    layers_case,
    loss_link,
    ok,
    random_params,
    random_targets,
    spec,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

# float32 gradients are sums over the batch of products; cancellation in those sums leaves an absolute error
# proportional to the tensor's largest entries, hence an atol scaled by max|g|. A float32 NumPy backward
# pass stays below 1% of these bounds on these cases (measured).
GRAD_RTOL, GRAD_ATOL_SCALE = 2e-4, 2e-5
LOSS_RTOL = 1e-5
FD_PICKS = 24  # finite-difference checks per tensor (all entries when fewer)

#        loss,  hidden activation, output activation, sizes, batch, targets as int labels
SETUPS = [
    ("mse", "relu", "identity", [7, 127, 1], 33, False),
    ("mse", "tanh", "tanh", [1, 7, 7], 7, False),
    ("mse", "leaky_relu", "leaky_relu", [7, 7, 7], 1, False),
    ("mse", "sigmoid", "sigmoid", [127, 7, 7], 7, False),
    ("mse", "identity", "relu", [7, 33, 7], 33, False),
    ("mse", "relu", "softmax", [7, 7, 7], 7, False),
    ("mse", "relu", "identity", [7, 1, 127, 1], 7, False),
    ("bce", "relu", "sigmoid", [7, 127, 1], 33, False),
    ("bce", "tanh", "sigmoid", [127, 7, 7], 1, False),
    ("cce", "relu", "softmax", [7, 127, 7], 33, False),
    ("cce", "leaky_relu", "softmax", [1, 7, 7], 7, True),
    ("cce", "sigmoid", "softmax", [127, 33, 3], 1, False),
]
# Plus every entry of the spec: each activation as the hidden and as the output layer of an mse network, each
# loss after the output activation it pairs with (its `link`).
# (The first six activations: every entry of the catalogue, on both backends: tests/test_activations.py.)
SETUPS += [("mse", name, "identity", [7, 7, 3], 7, False) for name in ref.ACTIVATIONS]
SETUPS += [("mse", "tanh", name, [7, 7, 3], 7, False) for name in ref.ACTIVATIONS]
SETUPS += [(entry.name, "tanh", entry.link, [7, 7, 3], 7, False) for entry in spec().losses]
# Loss settings (LKTrainer.loss_settings: the spec's `params` and reduction 'sum'), through the trainer options.
SETTINGS = [("huber", {"delta": 0.25, "reduction": "sum"}), ("cce", {"label_smoothing": 0.2}),
            ("smooth_l1", {"beta": 0.5}), ("hinge", {"margin": 2.0}), ("kl_divergence", {"reduction": "sum"}),
            ("bce_with_logits", {"reduction": "sum"}), ("nll", {"reduction": "sum"})]
SETUPS += [(name, "tanh", loss_link(name), [7, 7, 3], 7, False, s) for name, s in SETTINGS]
# Extreme inputs (+-100): saturated units must give finite, correct gradients, not NaN.
EXTREME = [("cce", "tanh", "softmax", [7, 33, 7], 7, False), ("mse", "sigmoid", "sigmoid", [7, 33, 7], 7, False),
           ("mse", "leaky_relu", "identity", [7, 33, 1], 7, False)]


def make_cases() -> list[dict]:
    rng = np.random.default_rng(7)
    cases = []
    setups = [(setup, 1.0) for setup in SETUPS] + [(setup, 100.0) for setup in EXTREME]
    for (loss, hidden, output, sizes, batch, labels, *rest), scale in setups:
        settings = rest[0] if rest else None
        layers = chain(sizes, [hidden] * (len(sizes) - 2) + [output], alpha=0.1)
        params = random_params(rng, layers)
        while True:  # Keep relu's kink away from every pre-activation so that finite differences are smooth.
            x = (rng.uniform(-1, 1, (batch, sizes[0])) * scale).astype(np.float32)
            trace = ref.Trace()
            ref.forward(layers, as64(params), x.astype(np.float64), trace)
            if min(np.abs(z).min() for z in trace.z) > 1e-3:
                break
        t = random_targets(rng, loss, batch, sizes[-1])
        name = (f"{loss}-{hidden}-{output}-{'x'.join(map(str, sizes))}-b{batch}{'-labels' if labels else ''}"
                f"{'-x100' if scale != 1.0 else ''}"
                + "".join(f"-{k}={v}" for k, v in (settings or {}).items()))
        if name in _REFS:
            continue  # A spec-driven setup that the hand-picked ones already cover.
        c = {"id": name, "kind": "gradients.compute", "layers": layers_case(layers), "params": enc_params(params),
             "loss": loss, "x": enc(x)}
        if settings:
            c["loss_settings"] = settings
        if labels:
            c["labels"] = [int(i) for i in t.argmax(axis=1)]
        else:
            c["targets"] = enc(t)
        cases.append(c)
        _REFS[name] = (layers, params, x, t, loss, settings)
    return cases


_REFS: dict[str, tuple] = {}
CASES = make_cases()
IDS = [c["id"] for c in CASES]


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


def reference_of(case_id: str) -> tuple[float, ref.Params]:
    layers, params, x, t, loss, settings = _REFS[case_id]
    return ref.gradients(layers, as64(params), x.astype(np.float64), t.astype(np.float64), loss, settings)


def assert_grad_close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    scale = max(float(np.abs(expected).max()), 1e-12)
    np.testing.assert_allclose(actual, expected, rtol=GRAD_RTOL, atol=GRAD_ATOL_SCALE * scale, err_msg=what)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", IDS)
def test_loss_value_matches_numpy(results: BackendResults, backend: str, case_id: str) -> None:
    r = ok(results[backend][case_id])
    expected, _ = reference_of(case_id)
    assert r["loss"] == pytest.approx(expected, rel=LOSS_RTOL, abs=1e-7)
    assert r["backend"] == backend


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", IDS)
def test_gradients_match_numpy_backprop(results: BackendResults, backend: str, case_id: str) -> None:
    r = ok(results[backend][case_id])
    _, expected = reference_of(case_id)
    actual = dec_params(r["gradients"])
    assert len(actual) == len(expected)
    for i, ((aw, ab), (ew, eb)) in enumerate(zip(actual, expected, strict=True)):
        assert_grad_close(aw, ew, f"layer {i} weight gradient")
        assert_grad_close(ab, eb, f"layer {i} bias gradient")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", IDS)
def test_gradients_match_finite_differences(results: BackendResults, backend: str, case_id: str) -> None:
    r = ok(results[backend][case_id])
    layers, params, x, t, loss, settings = _REFS[case_id]
    actual = dec_params(r["gradients"])
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    for i, (gw, gb) in enumerate(actual):
        for kind, g in (("weight", gw), ("bias", gb)):
            flat = g.reshape(-1)
            picks = rng.choice(flat.size, size=min(FD_PICKS, flat.size), replace=False)
            fd = ref.finite_difference_gradients(layers, as64(params), x.astype(np.float64),
                                                 t.astype(np.float64), loss, [(i, kind, int(k)) for k in picks],
                                                 settings=settings)
            scale = max(float(np.abs(g).max()), 1e-12)
            np.testing.assert_allclose(flat[picks], fd, rtol=GRAD_RTOL * 5, atol=GRAD_ATOL_SCALE * 5 * scale,
                                       err_msg=f"layer {i} {kind}: analytic vs finite differences")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", IDS)
def test_compute_gradients_leaves_parameters_alone(results: BackendResults, backend: str, case_id: str) -> None:
    r = ok(results[backend][case_id])
    for (aw, ab), (ew, eb) in zip(dec_params(r["params_after"]), _REFS[case_id][1], strict=True):
        assert np.array_equal(aw, ew) and np.array_equal(ab, eb)


@pytest.mark.parametrize("case_id", IDS)
def test_gpu_matches_cpu(results: BackendResults, case_id: str) -> None:
    cpu, gpu = ok(results["cpu"][case_id]), ok(results["gpu"][case_id])
    assert gpu["loss"] == pytest.approx(cpu["loss"], rel=LOSS_RTOL, abs=1e-7)
    for (gw, gb), (cw, cb) in zip(dec_params(gpu["gradients"]), dec_params(cpu["gradients"]), strict=True):
        assert_grad_close(gw, cw, "weight gradient, gpu vs cpu")
        assert_grad_close(gb, cb, "bias gradient, gpu vs cpu")
