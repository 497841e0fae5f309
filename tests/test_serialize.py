"""Serialization: export() then import() gives back the same network, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import BackendResults
from lk import (
    BACKENDS,
    chain,
    dec,
    dec_params,
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
    random_targets,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

NETWORKS = {  # id: (sizes, activations, train steps)
    "fresh-kaiming": ([4, 32, 16, 3], ["relu", "relu", "softmax"], 0),
    "trained": ([7, 127, 7], ["tanh", "softmax"], 3),
    "every-activation": ([1, 7, 7, 7, 7, 7, 1], ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "identity"], 0),
    "width-1": ([1, 1], ["sigmoid"], 2),
}


def make_cases(directory: Path) -> list[dict]:
    rng = np.random.default_rng(17)
    cases = []
    for cid, (sizes, acts, steps) in NETWORKS.items():
        layers = chain(sizes, acts, alpha=0.3)
        x = rng.uniform(-1, 1, (7, sizes[0])).astype(np.float32)
        c = {"id": cid, "kind": "serialize.roundtrip", "layers": layers_case(layers), "init": "kaiming",
             "seed": 5, "x": enc(x), "path": str(directory / f"{cid}.json"), "train_steps": steps,
             "loss": "cce" if acts[-1] == "softmax" else "mse", "learning_rate": 1e-2}
        if steps:
            c["targets"] = enc(random_targets(rng, c["loss"], 7, sizes[-1]))
        if cid == "every-activation":  # Awkward values: subnormal, negative zero, large.
            params = random_params(rng, layers)
            params[0][0][0, 0], params[1][1][0], params[2][0][3, 4] = 1e-38, -0.0, 3.0e7
            c["params"] = enc_params(params)
        cases.append(c)
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> BackendResults:
    return BackendResults(lambda backend: make_cases(tmp_path_factory.mktemp(f"models-{backend}")))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(NETWORKS))
def test_round_trip_is_bit_exact(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    assert r["export_error"] == 0, f"export returned Error {r['export_error']}"
    assert r["imported"], "import returned null"
    before, after = dec_params(r["params_before"]), dec_params(r["params_after"])
    assert len(before) == len(after) == len(NETWORKS[cid][1])
    for (bw, bb), (aw, ab) in zip(before, after, strict=True):
        assert bw.tobytes() == aw.tobytes() and bb.tobytes() == ab.tobytes(), "parameters differ after import"
    assert dec(r["y_before"]).tobytes() == dec(r["y_after"]).tobytes(), "predictions differ after import"
    assert r["layers_after"] == r["layers_before"]
    assert r["backend"] == backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_changed_the_exported_network(results: BackendResults, backend: str) -> None:
    """Guards the 'trained' case: the exported parameters are not the initial ones."""
    fresh = dec_params(ok(results[backend]["trained"])["params_before"])
    assert any(np.abs(w).max() > 0 for w, _ in fresh)
    assert not all(b.tobytes() == np.zeros_like(b).tobytes() for _, b in fresh), "biases still at their init"
