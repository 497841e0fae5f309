"""LKNetwork is a Resource: ResourceSaver/load() (.tres and .res) give the network back bit for bit, load() caches,
duplicate() copies, a scene with @export var brain: LKNetwork predicts after a reload, and bad files or bad model
Dictionaries are refused with an error (never a crash) leaving the network as it was.

What Godot 4.6.3 does with floats (measured, see api/model_dict.hpp): the .tres writer prints float32 values
shortest-round-trip, bit-exact except that -0.0 comes back as 0.0; .res stores raw bits. The model keeps its
parameters as base64 float32 in both, so the -0.0 here must survive too.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from conftest import BackendResults
from lk import (
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

LAYERS = chain([3, 7, 5, 2], ["tanh", "leaky_relu", "softmax"], alpha=0.3)

# Awkward parameter values: the smallest subnormal, a subnormal, -0.0, a value near float32's max (after a
# tanh layer's input, so predictions stay finite), 0.1 and 1/3 (no short decimal form).
AWKWARD = {(0, 0, 0, 0): 1e-45, (0, 0, 0, 1): -1e-40, (0, 1, 2): -0.0, (1, 0, 3, 4): 3.4e38,
           (1, 1, 0): np.float32(0.1), (2, 0, 1, 1): np.float32(1 / 3)}

# Corrupted .tres files: (id, text to find, its replacement, words the error must name)
CORRUPT = [
    ("wrong-width", '"inputs": 3', '"inputs": 5', ["layers[0]", "weight_f32_base64", "35"]),
    ("bad-base64", '"bias_f32_base64": "', '"bias_f32_base64": "#', ["bias_f32_base64", "base64"]),
    ("bad-activation", '"activation": "tanh"', '"activation": "swishy"', ["swishy"]),
    ("wrong-version", '"version": 1', '"version": 99', ["version", "99"]),
    ("wrong-format", '"format": "learnkit.network"', '"format": "other"', ["format", "other"]),
]

# Bad model Dictionaries set on a network: (id, path of keys, value or None to erase, words the error names)
BAD_MODELS = [
    ("no-layers-key", ["layers"], None, ["layers"]),
    ("layer-not-a-dict", ["layers", 0], 42, ["layers[0]", "42"]),
    ("zero-outputs", ["layers", 1, "outputs"], 0, ["layers[1]", "outputs"]),
    ("mismatched-widths", ["layers", 1, "inputs"], 6, ["layers[1]", "weight_f32_base64"]),
    ("unknown-device", ["device"], "tpu9", ["tpu9"]),
    ("nan-alpha", ["layers", 0, "alpha"], "x", ["alpha"]),
    ("short-weight", ["layers", 2, "weight_f32_base64"], "AAAAAA==", ["layers[2]", "weight_f32_base64", "10"]),
    ("nan-weight", ["layers", 0, "weight_f32_base64"], base64.b64encode(np.full(21, np.nan, "<f4").tobytes()).decode(),
     ["layers[0]", "nan"]),
]


def _params(rng: np.random.Generator):
    params = random_params(rng, LAYERS)
    for key, value in AWKWARD.items():
        layer, which, *index = key
        params[layer][which][tuple(index)] = value
    return params


def make_cases(directory: Path) -> list[dict]:
    rng = np.random.default_rng(23)
    x = rng.uniform(-1, 1, (5, 3)).astype(np.float32)
    base = {"layers": layers_case(LAYERS), "x": enc(x), "dir": str(directory), "seed": 4}
    trained = {**base, "targets": enc(random_targets(rng, "cce", 5, 2)), "loss": "cce", "learning_rate": 0.05}
    cases = [
        {**base, "id": "save-load", "kind": "resource.save_load", "params": enc_params(_params(rng))},
        {**base, "id": "cache", "kind": "resource.cache"},
        {**trained, "id": "duplicate-deep", "kind": "resource.duplicate", "deep": True},
        {**trained, "id": "duplicate-shallow", "kind": "resource.duplicate", "deep": False},
        {**base, "id": "scene-external", "kind": "resource.scene", "external": True},
        {**base, "id": "scene-embedded", "kind": "resource.scene", "external": False},
        {**base, "id": "model-info", "kind": "resource.model_info"},
    ]
    cases += [{**base, "id": f"corrupt-{cid}", "kind": "resource.corrupt_file", "find": find, "replace": repl}
              for cid, find, repl, _ in CORRUPT]
    cases += [{**base, "id": f"bad-{cid}", "kind": "resource.bad_model", "path": path, "value": value,
               "erase": value is None} for cid, path, value, _ in BAD_MODELS]
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> BackendResults:
    return BackendResults(lambda backend: make_cases(tmp_path_factory.mktemp(f"resource-{backend}")))


def _bits(params) -> list[bytes]:
    return [a.tobytes() for layer in params for a in layer]


# File round trips do not depend on the backend; predictions are compared on both.
@pytest.mark.parametrize("backend", ["cpu", "gpu"])
@pytest.mark.parametrize("ext", ["tres", "res"])
def test_save_and_load_is_bit_exact(results: BackendResults, backend: str, ext: str) -> None:
    r = ok(results[backend]["save-load"])
    assert r[f"{ext}_save_error"] == 0
    loaded = r[ext]
    assert loaded["class"] == "LKNetwork"
    assert _bits(dec_params(loaded["params"])) == _bits(dec_params(r["params"])), "parameters differ after load"
    assert dec(loaded["y"]).tobytes() == dec(r["y"]).tobytes(), "predictions differ after load"
    assert loaded["layers"] == r["layers"] and loaded["device"] == r["device"] == backend
    assert loaded["path"].endswith(f"save-load.{ext}")
    w0 = dec_params(loaded["params"])[0][1]
    assert np.signbit(w0[2]) and w0[2] == 0, "-0.0 lost its sign"


def test_tres_holds_exactly_the_model(results: BackendResults) -> None:
    """One stored property; read-only and computed properties (layer_count...) and device (inside the model)
    are not written, so nothing in the file can fail on load."""
    text = ok(results["cpu"]["save-load"])["tres_text"]
    assert text.startswith('[gd_resource type="LKNetwork"')
    props = [line.split(" = ")[0] for line in text.splitlines() if " = " in line and not line.startswith('"')]
    assert props == ["model"], text[:2000]
    for word in ("layer_count", "input_size", "output_size", "PackedFloat32Array"):
        assert word not in text


def test_load_twice_returns_the_cached_resource(results: BackendResults) -> None:
    """load() of one path gives the same instance while it is alive (Godot's resource cache);
    ResourceLoader.load(path, "", CACHE_MODE_IGNORE) reads the file again into a new one."""
    r = ok(results["cpu"]["cache"])
    assert r["save_error"] == 0
    assert r["same_instance"] and r["fresh_is_new"] and r["fresh_same_params"]


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
@pytest.mark.parametrize("deep", [True, False])
def test_duplicate_is_independent(results: BackendResults, backend: str, deep: bool) -> None:
    r = ok(results[backend][f"duplicate-{'deep' if deep else 'shallow'}"])
    assert r["copy_class"] == "LKNetwork" and not r["same_object"] and r["device"] == backend
    before = _bits(dec_params(r["original_before"]))
    assert _bits(dec_params(r["copy_params"])) == before, "the copy does not start as the original"
    assert _bits(dec_params(r["copy_trained"])) != before, "training the copy changed nothing"
    assert _bits(dec_params(r["original_after"])) == before, "training the copy changed the original"
    assert r["refcounts"] == [1, 1], "duplicate() leaked or shared a reference"


@pytest.mark.parametrize("where", ["external", "embedded"])
def test_exported_property_in_a_scene(results: BackendResults, where: str) -> None:
    r = ok(results["cpu"][f"scene-{where}"])
    assert r["pack_error"] == 0 and r["save_error"] == 0 and r["brain_is_network"]
    text = r["scene_text"]
    if where == "external":
        assert '[ext_resource type="LKNetwork"' in text and r["brain_path"].endswith("scene_brain.tres")
    else:
        assert '[sub_resource type="LKNetwork"' in text and "model = {" in text
    assert dec(r["y_scene"]).tobytes() == dec(r["y"]).tobytes()


def _errors(r: dict) -> str:
    return "\n".join(e for e in r["errors"] if e.startswith("ERROR")).lower()


@pytest.mark.parametrize(("cid", "words"), [(c[0], c[3]) for c in CORRUPT], ids=[c[0] for c in CORRUPT])
def test_corrupted_tres_is_an_error_not_a_crash(results: BackendResults, cid: str, words: list[str]) -> None:
    """Godot has no way for a property setter to fail a load: the file loads as an empty LKNetwork (no layers,
    so predict() refuses to run) and the error names what was wrong."""
    r = ok(results["cpu"][f"corrupt-{cid}"])
    assert r["found"], "the test's find text is not in the saved file"
    assert not r["loaded_null"] and r["layer_count"] == 0
    text = _errors(r)
    assert "lknetwork.model" in text
    missing = [w for w in words if w.lower() not in text]
    assert not missing, f"the error does not name {missing}:\n{text}"
    assert results["cpu"].exit_codes == [0]


@pytest.mark.parametrize(("cid", "words"), [(c[0], c[3]) for c in BAD_MODELS], ids=[c[0] for c in BAD_MODELS])
def test_bad_model_is_refused_and_changes_nothing(results: BackendResults, cid: str, words: list[str]) -> None:
    r = ok(results["cpu"][f"bad-{cid}"])
    assert r["params_unchanged"] and r["layers_after"] == len(LAYERS)
    text = _errors(r)
    missing = [w for w in words if w.lower() not in text]
    assert not missing, f"the error does not name {missing}:\n{text}"


def test_model_dictionary_is_the_json_file(results: BackendResults) -> None:
    r = ok(results["cpu"]["model-info"])
    model, js = r["model"], r["json"]
    assert model["format"] == "learnkit.network" and model["version"] == 1
    assert js["format"] == model["format"] and js["device"] == model["device"]
    for a, b in zip(model["layers"], js["layers"], strict=True):
        assert a == {k: (int(v) if k in ("inputs", "outputs") else v) for k, v in b.items()}


def test_property_usage(results: BackendResults) -> None:
    """model: stored, not in the inspector; device: in the inspector, stored inside model; summaries read-only."""
    storage, editor, read_only = 2, 4, 1 << 28
    usage = ok(results["cpu"]["model-info"])["usage"]
    assert usage["model"] & (storage | editor) == storage
    assert usage["device"] & (storage | editor) == editor
    for name in ("layer_count", "input_size", "output_size"):
        assert usage[name] & (storage | editor | read_only) == editor | read_only, name


def test_empty_network_round_trips(results: BackendResults) -> None:
    """LKNetwork.new() (what the inspector's "New LKNetwork" makes) saves and loads without errors."""
    r = ok(results["cpu"]["model-info"])
    assert r["empty_model"]["layers"] == [] and r["empty_save_error"] == 0 and r["empty_loaded_layers"] == 0
    assert not _errors(r)
