"""Weight initializers (codegen/spec/initializers.yaml) from GDScript, against torch.nn.init's formulas
(tests/init_refs.py): moments of 100k draws, bounds of uniform draws, orthogonality, exact constants, biases,
every option of every choice parameter (mode, nonlinearity), the Dictionary and name forms, initialize() equal
to sequential(), the original kaiming/xavier numbers reproduced bit for bit, and the errors of bad initializers.
Initialisation runs on the host, the same for both backends, so one (headless) launch covers it.

Driven by the spec: a new entry gets its cases at once, and fails until init_refs.py has its row."""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import BackendResults
from lk import dec, ok, spec

pytestmark = pytest.mark.usefixtures("godot_ready")
torch = pytest.importorskip("torch")
from init_refs import INIT_REFS, torch_linear_extremes

INITS = spec().initializers
BIG = (400, 250)      # fan_in, fan_out: 100k weights for the moments
WIDE_OUT = (4, 25000)  # 100k weights and 25k biases: bias moments
TALL = (100, 300)     # orthogonal with more rows than columns
SIGMAS = 5.0          # statistical tolerance: 5 standard errors (a false failure ~ 1 in 1.7 million per check)


def param_sets(init) -> list[dict]:
    """{} (the defaults), the reference row's samples, and every non-default option of each choice."""
    sets: list[dict] = [{}]
    ref = INIT_REFS.get(init.name)
    sets += ref.samples if ref else []
    for p in init.choices:
        sets += [{p.name: o} for o in p.options if o != p.default]
    return sets


def init_arg(name: str, params: dict) -> object:
    return {"name": name, **params} if params else name


def _cases() -> list[dict]:
    cases: list[dict] = []
    for init in INITS:
        for k, params in enumerate(param_sets(init)):
            shapes = [BIG, WIDE_OUT] + ([TALL] if init.weight.kind == "orthogonal" else []) if k == 0 else [BIG]
            for fi, fo in shapes:
                cases.append({"id": f"{init.name}-{k}-{fi}x{fo}", "kind": "initializers.draw", "fan_in": fi,
                              "fan_out": fo, "init": init_arg(init.name, params), "seed": 11})
        cases.append({"id": f"{init.name}-initialize", "kind": "initializers.draw", "fan_in": BIG[0],
                      "fan_out": BIG[1], "init": {"name": init.name}, "seed": 11, "via": "initialize"})
        cases.append({"id": f"{init.name}-seed12", "kind": "initializers.draw", "fan_in": 30, "fan_out": 20,
                      "init": init.name, "seed": 12})
        cases.append({"id": f"{init.name}-seed13", "kind": "initializers.draw", "fan_in": 30, "fan_out": 20,
                      "init": init.name, "seed": 13})
    for name in ("kaiming", "xavier"):
        cases.append({"id": f"legacy-{name}", "kind": "initializers.draw", "fan_in": 5, "fan_out": 7, "init": name,
                      "seed": 3})
        cases.append({"id": f"legacy-{name}-seed-api", "kind": "initializers.seed_api", "fan_in": 5, "fan_out": 7,
                      "init": [i.name for i in INITS].index(name)})
    cases.append({"id": "legacy-kaiming-enum", "kind": "initializers.draw", "fan_in": 5, "fan_out": 7, "init": 0,
                  "as_int": True, "seed": 0})
    own = {"units": 300, "inputs": 400, "init": "orthogonal", "init_gain": 0.5}
    cases.append({"id": "layer-own", "kind": "initializers.per_layer", "settings": own, "units2": 5,
                  "init": "xavier_normal", "seed": 4})
    cases.append({"id": "layer-choice", "kind": "initializers.per_layer", "units2": 5, "init": "zeros",
                  "settings": {"units": 250, "inputs": 400, "init": "kaiming_uniform", "init_mode": "fan_out",
                               "init_nonlinearity": "leaky_relu", "init_a": 0.1}})
    # a big layer with its own cheap initializer under a network-wide orthogonal one: only the others get QR'd
    cases.append({"id": "layer-big-own", "kind": "initializers.per_layer", "units2": 3, "init": "orthogonal",
                  "settings": {"units": 1500, "inputs": 2000, "init": "zeros"}})
    for cid, settings in LAYER_BAD:
        cases.append({"id": f"layer-bad-{cid}", "kind": "initializers.per_layer", "units2": 2, "init": "kaiming",
                      "settings": {"units": 3, "inputs": 2, **settings}})
    for cid, init, fi, fo in BAD:
        cases.append({"id": f"bad-{cid}", "kind": "initializers.draw", "fan_in": fi, "fan_out": fo, "init": init})
        cases.append({"id": f"bad-{cid}-initialize", "kind": "initializers.draw", "fan_in": fi, "fan_out": fo,
                      "init": init, "via": "initialize"})
    return cases


# id, init, fan_in, fan_out; the error must name what BAD_WORDS lists.
BAD = [
    ("name", "kaiming_sideways", 3, 2),
    ("type", 2.5, 3, 2),
    ("enum", 99, 3, 2),
    ("no-name", {"mode": "fan_in"}, 3, 2),
    ("key", {"name": "kaiming_uniform", "slope": 0.1}, 3, 2),
    ("option", {"name": "kaiming_normal", "mode": "fan_sideways"}, 3, 2),
    ("nonlinearity", {"name": "kaiming_uniform", "nonlinearity": "swish"}, 3, 2),
    ("number", {"name": "xavier_normal", "gain": "big"}, 3, 2),
    ("huge", {"name": "constant", "val": 1e39}, 3, 2),
    ("uniform-order", {"name": "uniform", "a": 2.0, "b": 1.0}, 3, 2),
    ("normal-std", {"name": "normal", "std": -1.0}, 3, 2),
    ("orthogonal-size", "orthogonal", 2000, 1500),
]
# A layer's own initializer, refused when the layer is made: id, settings, words the error must hold.
LAYER_BAD = [
    ("name", {"init": "nope"}),
    ("option", {"init": "kaiming_normal", "init_mode": "sideways"}),
    ("key", {"init": "orthogonal", "init_slope": 1.0}),
    ("no-init", {"init_gain": 2.0}),
    ("rule", {"init": "uniform", "init_a": 2.0, "init_b": 1.0}),
    ("size", {"units": 1500, "inputs": 2000, "init": "orthogonal"}),
]
LAYER_BAD_WORDS = {
    "name": ['"init" is "nope"', "kaiming_uniform", "torch_linear"],
    "option": ['"init_mode" is "sideways"', "fan_in, fan_out"],
    "key": ['unknown setting "init_slope"'],
    "no-init": ['unknown setting "init_gain"'],
    "rule": ["uniform", "a = 2", "b = 1", "a <= b"],
    "size": ["orthogonal", "1500 x 2000"],
}
BAD_WORDS = {
    "name": ['"kaiming_sideways"', '"kaiming_uniform"', '"torch_linear"'],
    "type": ["2.5", "initializer name"],
    "enum": ["99", "WeightInitialization"],
    "no-name": ['"name"'],
    "key": ['"slope"', "kaiming_uniform", "a (a number)", 'mode ("fan_in" or "fan_out")'],
    "option": ["mode", "fan_sideways", '"fan_in" or "fan_out"'],
    "nonlinearity": ["nonlinearity", "swish", '"leaky_relu"', '"selu"'],
    "number": ["gain", "big", "finite number"],
    "huge": ["val", "finite number"],
    "uniform-order": ["uniform", "a = 2", "b = 1", "a <= b"],
    "normal-std": ["normal", "std = -1", "std >= 0.0"],
    "orthogonal-size": ["orthogonal", "1500 x 2000", "2^31"],
}


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: _cases())


def check_dist(v: np.ndarray, dist: tuple, shape: tuple[int, int], what: str) -> None:
    """v (float32, flat) is a sample of dist; shape: (rows, cols) of v for orthogonal."""
    n = v.size
    kind = dist[0]
    if kind == "constant":
        np.testing.assert_array_equal(v, np.full(n, np.float32(dist[1])), err_msg=what)
        return
    if kind == "orthogonal":
        gain = dist[1]
        w = v.reshape(shape).astype(np.float64)
        gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
        np.testing.assert_allclose(gram, gain * gain * np.eye(min(shape)), atol=2e-5 * gain * gain, err_msg=what)
        # Each entry of a random (Haar) orthogonal matrix has variance 1 / max(rows, cols).
        assert abs(v.std() * math.sqrt(max(shape)) / abs(gain) - 1) < 0.1, what
        return
    if kind == "normal":
        mean, std = dist[1], dist[2]
        sd = v.astype(np.float64).std()
        assert abs(v.mean() - mean) <= SIGMAS * std / math.sqrt(n) + 1e-6 * abs(mean), f"{what}: mean {v.mean()}"
        assert abs(sd / std - 1) <= SIGMAS / math.sqrt(2 * n), f"{what}: std {sd}, expected {std}"
        inside = np.mean(np.abs(v - mean) <= std)  # 68.27% within one standard deviation for a normal
        p = 0.6826894921
        assert abs(inside - p) <= SIGMAS * math.sqrt(p * (1 - p) / n), f"{what}: {inside} within 1 std"
        return
    lo, hi = dist[1], dist[2]
    width = hi - lo
    slack = 1e-6 * max(abs(lo), abs(hi))
    assert v.min() >= lo - slack and v.max() <= hi + slack, f"{what}: [{v.min()}, {v.max()}] outside [{lo}, {hi}]"
    # The extremes come within 20 / n of the bounds (failing has probability e^-20).
    assert v.min() <= lo + width * 20 / n and v.max() >= hi - width * 20 / n, f"{what}: [{v.min()}, {v.max()}]"
    std = width / math.sqrt(12)
    assert abs(v.mean() - (lo + hi) / 2) <= SIGMAS * std / math.sqrt(n) + slack, f"{what}: mean {v.mean()}"
    # The sample variance of a uniform has relative standard error sqrt(0.8 / n) (kurtosis 1.8).
    assert abs(v.astype(np.float64).std() / std - 1) <= SIGMAS * math.sqrt(0.8 / n) / 2, f"{what}: std"


@pytest.mark.parametrize("init", INITS, ids=[i.name for i in INITS])
def test_draws_follow_torch(results: BackendResults, init) -> None:
    assert init.name in INIT_REFS, f"add a reference row for {init.name!r} to tests/init_refs.py"
    ref = INIT_REFS[init.name]
    r = results["cpu"]
    for k, params in enumerate(param_sets(init)):
        merged = {**init.defaults(), **params}
        shapes = [BIG, WIDE_OUT] + ([TALL] if init.weight.kind == "orthogonal" else []) if k == 0 else [BIG]
        for fi, fo in shapes:
            res = ok(r[f"{init.name}-{k}-{fi}x{fo}"])
            assert not res["errors"], res["errors"]
            what = f"{init.name} {params} {fi}->{fo}"
            check_dist(dec(res["weight"]), ref.weight(merged, fi, fo), (fo, fi), f"{what} weight")
            check_dist(dec(res["bias"]), ref.bias(merged, fi, fo), (1, fo), f"{what} bias")


@pytest.mark.parametrize("init", INITS, ids=[i.name for i in INITS])
def test_seeds_and_initialize(results: BackendResults, init) -> None:
    """initialize() gives sequential()'s numbers; a seed gives the same numbers, another seed others."""
    r = results["cpu"]
    seq, via = ok(r[f"{init.name}-0-{BIG[0]}x{BIG[1]}"]), ok(r[f"{init.name}-initialize"])
    np.testing.assert_array_equal(dec(via["weight"]), dec(seq["weight"]))
    np.testing.assert_array_equal(dec(via["bias"]), dec(seq["bias"]))
    a, b = dec(ok(r[f"{init.name}-seed12"])["weight"]), dec(ok(r[f"{init.name}-seed13"])["weight"])
    if INIT_REFS[init.name].weight(init.defaults(), 30, 20)[0] == "constant":
        np.testing.assert_array_equal(a, b)
    else:
        assert not np.array_equal(a, b), "another seed must give other weights"


class _Rng:
    """core/rng.hpp reimplemented: splitmix64, uniform with 53 bits, Box-Muller with a spare."""
    M = (1 << 64) - 1

    def __init__(self, seed: int) -> None:
        self.state, self.spare = seed & self.M, None

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.M
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.M
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self) -> float:
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log(u1))
        a = 6.283185307179586476925 * u2
        self.spare = r * math.sin(a)
        return r * math.cos(a)

    @classmethod
    def mix(cls, seed: int, index: int) -> int:
        r = cls(seed ^ ((index * 0xD1B54A32D192ED03) & cls.M))
        r.next()
        return r.next()


def legacy_weights(name: str, fan_in: int, fan_out: int, seed: int) -> np.ndarray:
    """The weights the original kaiming / xavier drew (before initializers had parameters), in float32."""
    rng = _Rng(_Rng.mix(seed, 0))
    f32 = np.float32
    if name == "kaiming":
        scale = float(np.sqrt(f32(2.0) / f32(fan_in)))
        return np.array([rng.normal() * scale for _ in range(fan_in * fan_out)], np.float32)
    scale = float(np.sqrt(f32(6.0) / (f32(fan_in) + f32(fan_out))))
    return np.array([(2.0 * rng.uniform() - 1.0) * scale for _ in range(fan_in * fan_out)], np.float32)


@pytest.mark.parametrize("name", ["kaiming", "xavier"])
def test_original_names_keep_their_numbers(results: BackendResults, name: str) -> None:
    r = results["cpu"]
    res = ok(r[f"legacy-{name}"])
    np.testing.assert_array_equal(dec(res["weight"]), legacy_weights(name, 5, 7, 3))
    np.testing.assert_array_equal(dec(res["bias"]), np.zeros(7, np.float32))
    np.testing.assert_array_equal(dec(ok(r[f"legacy-{name}-seed-api"])["weight"]), legacy_weights(name, 5, 7, 0))
    if name == "kaiming":
        np.testing.assert_array_equal(dec(ok(r["legacy-kaiming-enum"])["weight"]), legacy_weights(name, 5, 7, 0))


@pytest.mark.parametrize("cid", [b[0] for b in BAD])
@pytest.mark.parametrize("via", ["", "-initialize"])
def test_bad_initializers_are_refused(results: BackendResults, cid: str, via: str) -> None:
    res = ok(results["cpu"][f"bad-{cid}{via}"])
    if via:
        assert res.get("status") == 31, res  # ERR_INVALID_PARAMETER
    else:
        assert res.get("null") is True, res
    errors = "\n".join(res["errors"])
    assert errors, "expected a push_error"
    for word in BAD_WORDS[cid]:
        assert word in errors, f"{word!r} not in {errors!r}"


def test_every_spec_entry_has_a_reference() -> None:
    assert set(INIT_REFS) == {i.name for i in INITS}, "tests/init_refs.py must have one row per spec entry"


def test_a_layer_keeps_its_own_initializer(results: BackendResults) -> None:
    """LearnKit.layer("dense", {..., "init": "orthogonal", "init_gain": 0.5}): that layer is orthogonal whatever
    the network's initializer (at creation and in initialize()), the others follow the network's; get_layers()
    shows the settings and a duplicate carries them."""
    r = ok(results["cpu"]["layer-own"])
    assert not r["errors"], r["errors"]
    first, second = r["params"]
    check_dist(dec(first["weight"]), ("orthogonal", 0.5), (300, 400), "own orthogonal")
    check_dist(dec(first["bias"]), ("constant", 0.0), (1, 300), "own bias")
    std = math.sqrt(2 / (300 + 5))
    check_dist(dec(second["weight"]), ("normal", 0.0, std), (5, 300), "network's xavier_normal")
    assert r["settings"]["init"] == "orthogonal" and r["settings"]["init_gain"] == 0.5, r["settings"]
    first, second = r["params_ones"]
    check_dist(dec(first["weight"]), ("orthogonal", 0.5), (300, 400), "own orthogonal after initialize")
    check_dist(dec(second["weight"]), ("constant", 1.0), (5, 300), "network's ones")
    assert r["twin_same"] is True
    r = ok(results["cpu"]["layer-choice"])
    first, second = r["params"]
    p = {"a": 0.1, "mode": "fan_out", "nonlinearity": "leaky_relu"}
    check_dist(dec(first["weight"]), INIT_REFS["kaiming_uniform"].weight(p, 400, 250), (250, 400), "own kaiming")
    check_dist(dec(second["weight"]), ("constant", 0.0), (5, 250), "network's zeros")
    assert r["settings"]["init_mode"] == "fan_out" and r["settings"]["init_nonlinearity"] == "leaky_relu"


@pytest.mark.parametrize("cid", [b[0] for b in LAYER_BAD])
def test_bad_layer_initializers_are_refused(results: BackendResults, cid: str) -> None:
    res = ok(results["cpu"][f"layer-bad-{cid}"])
    assert res.get("null") is True, res
    errors = "\n".join(res["errors"])
    for word in LAYER_BAD_WORDS[cid]:
        assert word in errors, f"{word!r} not in {errors!r}"


def test_the_torch_linear_row_is_torchs() -> None:
    """torch_linear's reference bounds are what a real nn.Linear draws within (and comes close to)."""
    fan_in, fan_out = 400, 2500
    w_max, b_max = torch_linear_extremes(fan_in, fan_out)
    ref = INIT_REFS["torch_linear"]
    _, w_lo, w_hi = ref.weight({}, fan_in, fan_out)
    _, b_lo, b_hi = ref.bias({}, fan_in, fan_out)
    assert -w_lo == w_hi and 0.999 * w_hi < w_max <= w_hi
    assert -b_lo == b_hi and 0.99 * b_hi < b_max <= b_hi


def test_the_orthogonal_size_limit_looks_at_the_initializer_each_layer_uses(results: BackendResults) -> None:
    r = ok(results["cpu"]["layer-big-own"])
    assert not r["errors"], r["errors"]
    first, second = r["params"]
    check_dist(dec(first["weight"]), ("constant", 0.0), (1500, 2000), "own zeros")
    check_dist(dec(second["weight"]), ("orthogonal", 1.0), (3, 1500), "network's orthogonal")
