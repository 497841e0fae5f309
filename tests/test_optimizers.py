"""Optimizer steps: LKTrainer.step() with SGD, SGD with momentum, weight decay, Adam and gradient clipping,
against the NumPy reference of torch's formulas. Each case runs three steps on one trainer (different
batches), so that momentum buffers, Adam's moments and its bias correction carry over between calls.

To test the update arithmetic alone, the reference applies each step to the extension's own parameters and
gradients (compute_gradients() just before the step); test_gradients.py checks those gradients and
test_training.py the compound trajectory.
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
    dec_params,
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
    random_targets,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

# One update in float32 from the same inputs: errors of a few float32 ulps of the parameter.
RTOL, ATOL = 1e-5, 1e-6
STEPS = 3

OPTIMIZERS = {  # name: (spec, learning rate)
    "sgd": (ref.OptimizerSpec("sgd"), 0.1),
    "sgd-momentum": (ref.OptimizerSpec("sgd", momentum=0.9), 0.1),
    "sgd-momentum-decay": (ref.OptimizerSpec("sgd", momentum=0.9, weight_decay=0.01), 0.1),
    "sgd-clipped": (ref.OptimizerSpec("sgd", clip_norm=0.05), 0.1),
    "sgd-momentum-clipped": (ref.OptimizerSpec("sgd", momentum=0.5, clip_norm=0.05), 0.1),
    "adam": (ref.OptimizerSpec("adam"), 1e-2),
    "adam-decay": (ref.OptimizerSpec("adam", weight_decay=0.05), 1e-2),
    "adam-betas": (ref.OptimizerSpec("adam", beta1=0.5, beta2=0.9, epsilon=1e-6), 1e-2),
    "adam-clipped": (ref.OptimizerSpec("adam", clip_norm=0.05), 1e-2),
    "adam-clip-inactive": (ref.OptimizerSpec("adam", clip_norm=100.0), 1e-2),
}
NETWORKS = {  # name: (sizes, activations, loss, batch)
    "cce": ([7, 33, 4], ["tanh", "softmax"], "cce", 7),
    "mse": ([1, 7, 1], ["leaky_relu", "identity"], "mse", 33),
}


def make_cases() -> list[dict]:
    rng = np.random.default_rng(11)
    cases = []
    for opt_name, (spec, lr) in OPTIMIZERS.items():
        for net_name, (sizes, acts, loss, batch) in NETWORKS.items():
            layers = chain(sizes, acts)
            params = random_params(rng, layers)
            batches = [(rng.uniform(-1, 1, (batch, sizes[0])).astype(np.float32),
                        random_targets(rng, loss, batch, sizes[-1])) for _ in range(STEPS)]
            cid = f"{opt_name}-{net_name}"
            cases.append({"id": cid, "kind": "train.steps", "layers": layers_case(layers),
                          "params": enc_params(params), "loss": loss, "learning_rate": lr,
                          "optimizer": spec.as_case(),
                          "batches": [{"x": enc(x), "targets": enc(t)} for x, t in batches]})
            _REFS[cid] = (layers, params, batches, loss, spec, lr)
    return cases


_REFS: dict[str, tuple] = {}
CASES = make_cases()
IDS = [c["id"] for c in CASES]


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", IDS)
def test_steps_match_numpy(results: BackendResults, backend: str, case_id: str) -> None:
    r = ok(results[backend][case_id])
    layers, params, batches, loss, spec, lr = _REFS[case_id]
    opt = ref.Optimizer(spec)
    before = as64(params)
    for k, (x, t) in enumerate(batches):
        grads = as64(dec_params(r["gradients"][k]))
        expected_loss, _ = ref.gradients(layers, before, x.astype(np.float64), t.astype(np.float64), loss)
        assert r["losses"][k] == pytest.approx(expected_loss, rel=1e-5), f"step {k}: the loss step() returned"
        expected = opt.step(before, grads, lr)
        actual = dec_params(r["params"][k])
        assert_params_close(actual, expected, RTOL, ATOL, f"after step {k + 1}")
        before = as64(actual)
    assert r["backend"] == backend


@pytest.mark.parametrize("case_id", [i for i in IDS if "clipped" in i])
def test_clipping_was_active(case_id: str) -> None:
    """Guards the clipping cases themselves: their gradients' norm is well above clip_norm."""
    layers, params, batches, loss, spec, _ = _REFS[case_id]
    x, t = batches[0]
    _, grads = ref.gradients(layers, as64(params), x.astype(np.float64), t.astype(np.float64), loss)
    norm = np.sqrt(sum(float(np.sum(g * g)) for pair in grads for g in pair))
    assert norm > 2 * spec.clip_norm


@pytest.mark.parametrize("case_id", IDS)
def test_gpu_matches_cpu(results: BackendResults, case_id: str) -> None:
    cpu, gpu = ok(results["cpu"][case_id]), ok(results["gpu"][case_id])
    for k in range(STEPS):
        # Three steps compound gradient differences (checked at 2e-4 in test_gradients.py) into the weights.
        assert_params_close(dec_params(gpu["params"][k]), dec_params(cpu["params"][k]), 1e-4, 1e-5,
                            f"step {k + 1}, gpu vs cpu")
