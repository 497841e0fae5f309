"""LKNetwork is a Resource: ResourceSaver/load() (.tres and .res) give the network back bit for bit, load() caches,
duplicate() copies, a scene with @export var brain: LKNetwork predicts after a reload, and bad files or bad model
Dictionaries are refused with an error (never a crash) leaving the network as it was.

What Godot 4.6.3 does with floats (measured, see api/model_file.hpp): the .tres writer prints float32 values
shortest-round-trip, bit-exact except that -0.0 comes back as 0.0; .res stores raw bits. The model keeps its
parameters as base64 float32 in both, so the -0.0 here must survive too.
"""

from __future__ import annotations

import base64
import json
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


def _b64(values) -> str:
    return base64.b64encode(np.asarray(values, "<f4").tobytes()).decode()


# The biases of a network fresh from LearnKit.sequential() are zero: their text in the file is known.
ZERO_BIAS = {n: f'"bias": "{_b64(np.zeros(n))}"' for n in (7, 5, 2)}

# Corrupted .tres files (version 2 text): (id, text to find, its replacement, words the error must name)
CORRUPT = [
    ("wrong-width", '"inputs": 3.0', '"inputs": 5.0', ["op 0", "dense_0", "5 inputs", "(n, 3)"]),
    ("wrong-tensor-size", ZERO_BIAS[7], f'"bias": "{_b64(np.zeros(6))}"',
     ["ops[0]", "dense_0", "bias", "6 float32 values", "expected 7"]),
    ("bad-base64", '"bias": "', '"bias": "#', ["ops[0]", "bias", "base64"]),
    ("unknown-op-type", '"type": "dense"', '"type": "densest"', ["ops[0]", "densest", "unknown op type"]),
    ("bad-activation", '"activation": "tanh"', '"activation": "swishy"', ["ops[1]", "activation_1", "swishy"]),
    ("fractional-units", '"units": 7.0', '"units": 6.5', ["ops[0]", "units", "6.5", "whole number"]),
    ("inputs-forward", '"inputs": [1]', '"inputs": [3]', ["ops[1]", "inputs[0]", "3", "earlier"]),
    ("nan-tensor", ZERO_BIAS[7], f'"bias": "{_b64(np.full(7, np.nan))}"', ["ops[0]", "dense_0", "bias", "nan"]),
    ("inf-tensor", ZERO_BIAS[5], f'"bias": "{_b64(np.full(5, -np.inf))}"', ["ops[2]", "dense_2", "bias", "-inf"]),
    ("wrong-version", '"version": 2', '"version": 99', ["version", "99"]),
    ("wrong-format", '"format": "learnkit.network"', '"format": "other"', ["format", "other"]),
    ("unknown-device", '"device": "cpu"', '"device": "tpu9"', ["device", "tpu9"]),
]

# Bad model Dictionaries set on a network: (id, path of keys into its version 2 model, value or None to erase,
# words the error names)
BAD_MODELS = [
    ("no-ops-key", ["ops"], None, ["ops", "missing"]),
    ("op-not-a-dict", ["ops", 0], 42, ["ops[0]", "42"]),
    ("no-op-type", ["ops", 2, "type"], None, ["ops[2]", "dense_2", "type", "missing"]),
    ("zero-units", ["ops", 2, "settings", "units"], 0, ["ops[2]", "dense_2", "units", "0"]),
    ("fractional-units", ["ops", 4, "settings", "units"], 2.5, ["ops[4]", "units", "2.5", "whole number"]),
    ("mismatched-widths", ["ops", 2, "settings", "inputs"], 6, ["dense_2", "6 inputs", "(n, 7)"]),
    ("unknown-setting", ["ops", 0, "settings", "unitz"], 3, ["ops[0]", "unitz"]),
    ("unknown-device", ["device"], "tpu9", ["device", "tpu9"]),
    ("bad-alpha", ["ops", 3, "settings", "alpha"], "x", ["ops[3]", "alpha", '"x"']),  # leaky_relu's
    ("alpha-on-tanh", ["ops", 1, "settings", "alpha"], 0.5, ["ops[1]", "alpha"]),  # tanh has none
    ("unknown-activation", ["ops", 3, "settings", "activation"], "swishy", ["ops[3]", "swishy"]),
    ("unknown-op-type", ["ops", 1, "type"], "conv9d", ["ops[1]", "conv9d", "unknown op type"]),
    ("short-weight", ["ops", 4, "tensors", "weight"], "AAAAAA==",
     ["ops[4]", "dense_4", "weight", "1 float32 values", "expected 10"]),
    ("bad-base64", ["ops", 2, "tensors", "bias"], "not base64!", ["ops[2]", "bias", "base64", "not base64!"]),
    ("tensor-not-a-string", ["ops", 0, "tensors", "bias"], 7, ["ops[0]", "bias", "7"]),
    ("missing-tensor", ["ops", 0, "tensors", "bias"], None, ["ops[0]", "bias", "missing"]),
    ("unknown-tensor", ["ops", 1, "tensors", "weight"], "AAAAAA==", ["ops[1]", "activation_1", '"weight"']),
    ("nan-weight", ["ops", 0, "tensors", "weight"], _b64(np.full(21, np.nan)), ["ops[0]", "weight", "nan"]),
    ("inf-bias", ["ops", 2, "tensors", "bias"], _b64(np.full(5, np.inf)), ["ops[2]", "bias", "inf"]),
    ("input-forward", ["ops", 1, "inputs"], [2], ["ops[1]", "inputs[0]", "2", "earlier"]),
    ("input-fractional", ["ops", 1, "inputs"], [0.5], ["ops[1]", "inputs[0]", "0.5"]),
    ("bad-output", ["output"], 9, ["output", "9"]),
    ("duplicate-name", ["ops", 2, "name"], "dense_0", ["dense_0", "already used"]),
    ("bad-input-shape", ["input_shape"], [0], ["input_shape[0]", "0"]),
    ("wrong-version", ["version"], 3, ["version", "3"]),
    ("fractional-version", ["version"], 1.5, ["version", "1.5"]),
    ("wrong-format", ["format"], "learnkit.graph", ["format", "learnkit.graph"]),
]

def _v1_document(params, device: str) -> dict:
    """A model as the first release (file version 1) wrote it: a list of dense layers, alpha as float32 widened
    to a double."""
    return {"format": "learnkit.network", "version": 1, "device": device, "layers": [
        {"type": "dense", "inputs": la.inputs, "outputs": la.outputs, "activation": la.activation,
         "alpha": float(np.float32(la.alpha)), "weight_f32_base64": _b64(w), "bias_f32_base64": _b64(b)}
        for la, (w, b) in zip(LAYERS, params, strict=True)]}


def _v1_tres(document: dict) -> str:
    """A .tres of the first release: its one stored property, the version 1 model (Godot's text format reads
    JSON objects, ints and floats as they are)."""
    return f'[gd_resource type="LKNetwork" format=3]\n\n[resource]\nmodel = {json.dumps(document, indent=1)}\n'


# Bad version 1 models: (id, path of keys into the version 1 document, value or None to erase, words)
BAD_V1_MODELS = [
    ("v1-mismatched-widths", ["layers", 1, "inputs"], 6,
     ["layers[1].weight_f32_base64", "35 float32 values", "expected 30"]),
    ("v1-bad-base64", ["layers", 0, "bias_f32_base64"], "#AAA", ["layers[0].bias_f32_base64", "base64"]),
    ("v1-unknown-activation", ["layers", 2, "activation"], "swishy", ["layers[2].activation", "swishy"]),
    ("v1-nan-weight", ["layers", 0, "weight_f32_base64"], _b64(np.full(21, np.nan)),
     ["layers[0].weight_f32_base64", "nan"]),
    ("v1-fractional-outputs", ["layers", 0, "outputs"], 6.5, ["layers[0]", "outputs", "6.5"]),
    ("v1-not-dense", ["layers", 1, "type"], "conv", ["layers[1].type", "conv", "dense"]),
]


def _params(rng: np.random.Generator):
    params = random_params(rng, LAYERS)
    for key, value in AWKWARD.items():
        layer, which, *index = key
        params[layer][which][tuple(index)] = value
    return params


# The parameters of the hand-written version 1 file, with the awkward values too.
V1_PARAMS = _params(np.random.default_rng(31))


def make_cases(directory: Path, backend: str) -> list[dict]:
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
    v1 = _v1_document(V1_PARAMS, backend)
    cases += [{**base, "id": f"bad-{cid}", "kind": "resource.bad_model", "base": v1, "path": path, "value": value,
               "erase": value is None} for cid, path, value, _ in BAD_V1_MODELS]
    empty_v1 = {"format": "learnkit.network", "version": 1, "device": "auto", "layers": []}
    cases.append({**base, "id": "v1-import", "kind": "resource.import_v1", "params": enc_params(V1_PARAMS),
                  "v1_text": json.dumps(v1, indent=2), "v1_tres": _v1_tres(v1), "v1_empty_tres": _v1_tres(empty_v1)})
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> BackendResults:
    return BackendResults(
        lambda backend: make_cases(tmp_path_factory.mktemp(f"resource-{backend}"), backend))


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


@pytest.mark.parametrize(("cid", "words"), [(c[0], c[3]) for c in BAD_MODELS + BAD_V1_MODELS],
                         ids=[c[0] for c in BAD_MODELS + BAD_V1_MODELS])
def test_bad_model_is_refused_and_changes_nothing(results: BackendResults, cid: str, words: list[str]) -> None:
    r = ok(results["cpu"][f"bad-{cid}"])
    assert r["params_unchanged"] and r["layers_after"] == len(LAYERS)
    text = _errors(r)
    missing = [w for w in words if w.lower() not in text]
    assert not missing, f"the error does not name {missing}:\n{text}"


def test_model_dictionary_is_the_json_file(results: BackendResults) -> None:
    r = ok(results["cpu"]["model-info"])
    model, js = r["model"], r["json"]
    assert model["format"] == "learnkit.network" and model["version"] == 2
    assert [op["type"] for op in model["ops"]] == ["dense", "activation"] * 3
    assert model["input_shape"] == [3] and model["output"] == 6
    # JSON has only floats (3.0 where the Dictionary holds 3); Python compares them equal, and nothing else may
    # differ between the model property and the exported file.
    assert js == model


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
    assert r["empty_model"]["ops"] == [] and r["empty_model"]["input_shape"] == []
    assert r["empty_save_error"] == 0 and r["empty_loaded_layers"] == 0
    assert not _errors(r)


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
@pytest.mark.parametrize("route", ["import", "property", "tres"])
def test_version_1_file_still_loads_bit_exactly(results: BackendResults, backend: str, route: str) -> None:
    """A file of the first release (version 1: a list of dense layers), written here by hand, loads through
    LearnKit.serialize.import(), the model property and a .tres: the same parameters bit for bit (subnormals and
    -0.0 too), the same layers and the same predictions as the network built through the API, and its model
    property now holds version 2."""
    r = ok(results[backend]["v1-import"])
    assert not _errors(r), _errors(r)
    got = r[route]
    assert got["class"] == "LKNetwork", got
    assert _bits(dec_params(got["params"])) == _bits(V1_PARAMS), "parameters differ from the file's"
    assert _bits(dec_params(r["reference"]["params"])) == _bits(V1_PARAMS)
    assert dec(got["y"]).tobytes() == dec(r["reference"]["y"]).tobytes(), "predictions differ"
    assert got["layers"] == r["reference"]["layers"]
    assert got["device"] == backend and got["version"] == 2


def test_empty_version_1_network_loads(results: BackendResults) -> None:
    """LKNetwork.new() saved by the first release (version 1, no layers) loads as an empty network."""
    r = ok(results["cpu"]["v1-import"])
    assert r["empty"]["class"] == "LKNetwork" and r["empty"]["layer_count"] == 0
    assert not _errors(r)
