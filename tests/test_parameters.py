"""Parameters in and out: get_parameters()/set_parameters() round trips, torch nn.Linear weights poured in give
torch's outputs (same out x in layout), and weight initialisation (kaiming, xavier) by seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
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
)

pytestmark = pytest.mark.usefixtures("godot_ready")

TORCH_NETS = {  # id: torch modules (Linear layers and activations, alternating), our activation names
    "torch-relu-softmax": (lambda: [torch.nn.Linear(7, 127), torch.nn.ReLU(), torch.nn.Linear(127, 33),
                                    torch.nn.Tanh(), torch.nn.Linear(33, 7), torch.nn.Softmax(dim=1)],
                           ["relu", "tanh", "softmax"], 0.01),
    "torch-leaky-sigmoid": (lambda: [torch.nn.Linear(1, 7), torch.nn.LeakyReLU(0.2), torch.nn.Linear(7, 1),
                                     torch.nn.Sigmoid()], ["leaky_relu", "sigmoid"], 0.2),
    "torch-linear": (lambda: [torch.nn.Linear(127, 7), torch.nn.Identity()], ["identity"], 0.01),
}
INITS = {  # id: sizes, init, seed
    "kaiming-s1": ([127, 127, 127], "kaiming", 1),
    "kaiming-s2": ([127, 127, 127], "kaiming", 2),
    "xavier-s1": ([127, 127, 127], "xavier", 1),
    "xavier-s2": ([127, 127, 127], "xavier", 2),
    "kaiming-width-1": ([1, 1, 7], "kaiming", 1),
}


def torch_params(modules: list[torch.nn.Module]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy())
            for m in modules if isinstance(m, torch.nn.Linear)]


def make_cases() -> list[dict]:
    rng = np.random.default_rng(19)
    torch.manual_seed(19)
    cases = []
    for cid, (make, acts, alpha) in TORCH_NETS.items():
        modules = make()
        params = torch_params(modules)
        sizes = [params[0][0].shape[1], *[w.shape[0] for w, _ in params]]
        layers = chain(sizes, acts, alpha)
        x = rng.uniform(-2, 2, (33, sizes[0])).astype(np.float32)
        with torch.no_grad():
            _TORCH_OUT[cid] = torch.nn.Sequential(*modules)(torch.from_numpy(x)).numpy()
        cases.append({"id": cid, "kind": "forward.predict", "layers": layers_case(layers),
                      "params": enc_params(params), "x": enc(x)})
        cases.append({"id": f"{cid}-roundtrip", "kind": "params.roundtrip", "layers": layers_case(layers),
                      "params": enc_params(params)})
        _PARAMS[f"{cid}-roundtrip"] = params
    for sizes in ([7, 127, 1], [1, 1], [127, 7, 7, 7]):
        layers = chain(sizes, ["tanh"] * (len(sizes) - 1))
        cid = f"roundtrip-{'x'.join(map(str, sizes))}"
        _PARAMS[cid] = random_params(rng, layers)
        cases.append({"id": cid, "kind": "params.roundtrip", "layers": layers_case(layers),
                      "params": enc_params(_PARAMS[cid])})
    for cid, (sizes, init, seed) in INITS.items():
        layers = chain(sizes, ["relu"] * (len(sizes) - 1))
        cases.append({"id": cid, "kind": "params.init", "layers": layers_case(layers),
                      "init": init, "seed": seed})
    for init in ("kaiming", "xavier"):
        cases.append({"id": f"seed-init-{init}", "kind": "params.seed_init", "sizes": [4, 32, 16, 3], "init": init})
    return cases


_TORCH_OUT: dict[str, np.ndarray] = {}
_PARAMS: dict[str, list] = {}
CASES = make_cases()


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(TORCH_NETS))
def test_torch_parameters_give_torch_outputs(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    np.testing.assert_allclose(dec(r["y"]), _TORCH_OUT[cid], rtol=1e-4, atol=1e-5)  # float32 both sides
    assert r["backend"] == backend


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", [k for k in _PARAMS])
def test_set_then_get_is_bit_exact(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    assert r["set_error"] == 0
    got = dec_params(r["params"])
    assert len(got) == len(_PARAMS[cid])
    for (gw, gb), (w, b) in zip(got, _PARAMS[cid], strict=True):
        assert gw.shape == w.shape and gw.tobytes() == w.tobytes()
        assert gb.shape == b.shape and gb.tobytes() == b.tobytes()


@pytest.mark.parametrize("cid", list(INITS))
def test_initialisation_statistics(results: BackendResults, cid: str) -> None:
    r = ok(results["cpu"][cid])
    sizes, init, _ = INITS[cid]
    params = dec_params(r["params"])
    for (w, b), fan_in, fan_out in zip(params, sizes[:-1], sizes[1:], strict=True):
        assert w.shape == (fan_out, fan_in)
        assert not b.any(), "biases start at 0"
        if w.size < 1000:
            continue  # Too few samples for statistics.
        if init == "kaiming":  # normal(0, sqrt(2 / fan_in))
            std = np.sqrt(2.0 / fan_in)
            assert abs(w.mean()) < 4 * std / np.sqrt(w.size)
            assert w.std() == pytest.approx(std, rel=0.05)
            assert np.abs(w).max() > 2.5 * std, "looks uniform, not normal"
        else:  # uniform(-bound, bound), bound = sqrt(6 / (fan_in + fan_out))
            bound = np.sqrt(6.0 / (fan_in + fan_out))
            assert np.abs(w).max() <= bound
            assert np.abs(w).max() > 0.98 * bound
            assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)


@pytest.mark.parametrize("cid", list(INITS))
def test_initialisation_is_deterministic_per_seed(results: BackendResults, cid: str) -> None:
    r = ok(results["cpu"][cid])
    assert [p["weight"]["f32"] for p in r["params"]] == [p["weight"]["f32"] for p in r["params_again"]]


@pytest.mark.parametrize("init", ["kaiming", "xavier"])
def test_seeds_give_different_weights(results: BackendResults, init: str) -> None:
    one, two = ok(results["cpu"][f"{init}-s1"]), ok(results["cpu"][f"{init}-s2"])
    assert one["params"][0]["weight"]["f32"] != two["params"][0]["weight"]["f32"]


@pytest.mark.parametrize("init", ["kaiming", "xavier"])
def test_seed_api_network(results: BackendResults, init: str) -> None:
    r = ok(results["cpu"][f"seed-init-{init}"])
    assert [(la["inputs"], la["outputs"], la["activation"]) for la in r["layers"]] == [
        (4, 32, "relu"), (32, 16, "relu"), (16, 3, "softmax")]
    assert [dec(p["weight"]).shape for p in r["params"]] == [(32, 4), (16, 32), (3, 16)]
    assert r["device"] == "auto"
