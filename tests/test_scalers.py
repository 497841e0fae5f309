"""LKScaler against scikit-learn's StandardScaler and MinMaxScaler: statistics, transform, inverse, the flat
variants, saving (.tres, .res, duplicate(), inside a network's .tres/.res/JSON model) and bad input."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from conftest import BackendResults
from lk import dec, enc, ok
from sklearn.preprocessing import MinMaxScaler, StandardScaler

pytestmark = pytest.mark.usefixtures("godot_ready")


def _data(rng: np.random.Generator, rows: int, width: int) -> np.ndarray:
    x = rng.normal(0, 1, (rows, width)) * rng.uniform(0.01, 1000, width) + rng.uniform(-50, 50, width)
    x[:, 0] = 7.25  # a constant feature: sklearn keeps scale 1 (no division by zero)
    return x.astype(np.float32)


rng = np.random.default_rng(5)
# name: (kind, feature range, fit data, new data)
FITS = {
    "standard-127x5": ("standard", (0.0, 1.0), _data(rng, 127, 5), _data(rng, 9, 5)),
    "standard-1-row": ("standard", (0.0, 1.0), _data(rng, 1, 3), _data(rng, 4, 3)),
    "standard-wide": ("standard", (0.0, 1.0), _data(rng, 7, 33), _data(rng, 7, 33)),
    "min_max-127x5": ("min_max", (0.0, 1.0), _data(rng, 127, 5), _data(rng, 9, 5)),
    "min_max-range": ("min_max", (-1.0, 2.5), _data(rng, 16, 4), _data(rng, 5, 4)),
    "min_max-1-row": ("min_max", (0.0, 1.0), _data(rng, 1, 2), _data(rng, 3, 2)),
}
ROUND_TRIP = {"x": _data(rng, 20, 3), "y": _data(rng, 6, 3), "t": _data(rng, 20, 2)}
# call: (substring the error must contain, what the call returns)
BAD = {
    "unfitted": ("not fitted", {"result": []}),
    "unfitted_flat": ("not fitted", {"result": []}),
    "wrong_width": ("has 3 values, expected 2", {"result": []}),
    "wrong_width_flat": ("multiple of the 2 features", {"result": []}),
    "nan_fit": ("expected a finite number", {"result": 31, "fitted": False}),
    "inf_transform": ("expected a finite number", {"result": []}),
    "empty_fit": ("rows is empty", {"result": 31, "fitted": False}),
    "ragged_fit": ("has 1 values, expected 2", {"result": 31, "fitted": False}),
    "flat_rows": ("data has 3 values and rows is 2", {"result": 31, "fitted": False}),
    "bad_kind": ("unknown kind \"robust\"", {"result": "standard"}),
    "bad_range": ("feature range is [1, 1]", {"result": True}),
    "inverted_range": ("feature_min < feature_max", {"result": []}),
    "mismatched_stats": ("mean has 3 values and scale 2", {"result": [], "fitted": False}),
    "zero_scale": ("scale[1] is 0", {"result": []}),
    "nan_stat": ("value 1 is nan", {"result": 0}),
    "overflow": ("value 0 of the result overflows float32", {"result": True}),
    "bad_model_scaler": ("input_scaler that mean has 1 values and scale 0", {"result": True}),
    "bad_model_kind": ("output_scaler that has kind 7", {"result": True}),
}


def _b64(values: list[float]) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


GOOD_ENTRY = {"kind": "min_max", "feature_min": -1.0, "feature_max": 1.0, "data_min": _b64([0, 1]),
              "data_max": _b64([2, 1])}
# Scaler entries of a model file: each is refused (the network keeps no scaler), except GOOD_ENTRY.
HOSTILE_ENTRIES = [
    "standard", 7, [], {},
    {**GOOD_ENTRY, "kind": "robust"}, {**GOOD_ENTRY, "kind": None},
    {**GOOD_ENTRY, "feature_min": "0"}, {**GOOD_ENTRY, "feature_max": 1e39}, {**GOOD_ENTRY, "feature_min": 1.0},
    {**GOOD_ENTRY, "data_min": "not base64!"}, {**GOOD_ENTRY, "data_min": _b64([0])},
    {**GOOD_ENTRY, "data_min": 5}, {**GOOD_ENTRY, "data_max": _b64([float("nan"), 1])},
    {**GOOD_ENTRY, "data_min": _b64([3, 1])},  # data_min > data_max
    {k: v for k, v in GOOD_ENTRY.items() if k != "data_max"},
    {"kind": "standard", "feature_min": 0, "feature_max": 1, "mean": _b64([1, 2]), "scale": _b64([1, 0])},
    {"kind": "standard", "feature_min": 0, "feature_max": 1, "mean": _b64([1, 2]), "scale": _b64([1, float("inf")])},
    {"kind": "standard", "feature_min": 0, "feature_max": 1},  # not fitted
]


def _cases(backend: str) -> list[dict]:
    out = []
    for name, (kind, (lo, hi), x, y) in FITS.items():
        out.append({"id": f"fit-{name}", "kind": "scalers.fit", "scaler": kind, "feature_min": lo, "feature_max": hi,
                    "x": enc(x), "y": enc(y)})
    out.append({"id": "round-trip", "kind": "scalers.round_trip", "scaler": "standard",
                **{k: enc(v) for k, v in ROUND_TRIP.items()}})
    out.append({"id": "model-entries", "kind": "scalers.model_entries", "entries": [GOOD_ENTRY, *HOSTILE_ENTRIES]})
    out += [{"id": f"bad-{call}", "kind": "scalers.bad", "call": call} for call in BAD]
    return out


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(_cases)


def _reference(kind: str, lo: float, hi: float, x: np.ndarray):
    s = StandardScaler() if kind == "standard" else MinMaxScaler(feature_range=(lo, hi))
    return s.fit(x.astype(np.float64))


@pytest.mark.parametrize("name", list(FITS))
def test_matches_sklearn(results: BackendResults, name: str) -> None:
    kind, (lo, hi), x, y = FITS[name]
    r = ok(results["cpu"][f"fit-{name}"])
    ref = _reference(kind, lo, hi, x)
    assert r["fitted"] and r["features"] == x.shape[1]
    st = r["stats"]
    if kind == "standard":
        np.testing.assert_allclose(dec(st["mean"]), ref.mean_, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(dec(st["scale"]), ref.scale_, rtol=1e-6)
        assert dec(st["scale"])[0] == 1.0, "a constant feature keeps scale 1"
        scale = ref.scale_
    else:
        np.testing.assert_array_equal(dec(st["data_min"]), ref.data_min_)
        np.testing.assert_array_equal(dec(st["data_max"]), ref.data_max_)
        scale = 1.0 / ref.scale_
    # Errors relative to each feature's spread: float32 statistics and outputs.
    tol = {"rtol": 2e-6, "atol": 2e-6}
    np.testing.assert_allclose(dec(r["fit_transform"]), ref.transform(x.astype(np.float64)), **tol)
    np.testing.assert_allclose(dec(r["transform"]), ref.transform(y.astype(np.float64)), **tol)
    # The inverse of float32 outputs: a few float32 roundings of |y| and of the transformed value in y's units.
    bound = 5e-7 * (np.abs(y) + np.abs(dec(r["transform"])) * scale) + 1e-30
    assert np.all(np.abs(dec(r["inverse"]) - y) <= bound), np.max(np.abs(dec(r["inverse"]) - y) / bound)
    assert r["fit_flat"] == 0 and r["flat_stats"] == st, "fit_flat gives fit's statistics"
    np.testing.assert_array_equal(dec(r["transform_flat"]), dec(r["transform"]))
    np.testing.assert_array_equal(dec(r["inverse_flat"]), dec(r["inverse"]))
    assert r["errors"] == []


def test_constant_feature_maps_like_sklearn(results: BackendResults) -> None:
    r = ok(results["cpu"]["fit-min_max-range"])
    np.testing.assert_array_equal(dec(r["fit_transform"])[:, 0], -1.0), "a constant feature maps to feature_min"
    r = ok(results["cpu"]["fit-standard-127x5"])
    np.testing.assert_array_equal(dec(r["fit_transform"])[:, 0], 0.0), "a constant feature is only centred"


def test_round_trips_are_exact(results: BackendResults) -> None:
    r = ok(results["cpu"]["round-trip"])
    assert r["errors"] == []
    original = r["scalers"]["original"]
    for name in ("duplicate", "tres", "res"):
        assert r["scalers"][name] == original, f"the scaler through {name}"
    ref = _reference("standard", 0, 1, ROUND_TRIP["x"])
    np.testing.assert_allclose(dec(original["transform"]), ref.transform(ROUND_TRIP["y"].astype(np.float64)),
                               rtol=2e-6, atol=2e-6)
    m = _reference("min_max", -2.0, 3.0, ROUND_TRIP["t"])
    for name in ("duplicate", "tres", "res", "json"):
        n = r["nets"][name]
        assert n is not None, f"the network through {name} lost its scalers"
        assert n["input"] == original["stats"], name
        assert n["output"]["kind"] == "min_max" and (n["output"]["feature_min"], n["output"]["feature_max"]) == (-2, 3)
        np.testing.assert_array_equal(dec(n["output"]["data_min"]), m.data_min_)
        np.testing.assert_array_equal(dec(n["output"]["data_max"]), m.data_max_)
        assert n["transform"] == original["transform"]
        assert n["predict"] == r["predict"], "predict() does not apply the scalers, with or without them"
        assert n["separate"], "a copy's scalers are its own"
    assert "input_scaler" not in r["plain_keys"] and "output_scaler" not in r["plain_keys"]
    assert r["plain_back_null"]
    assert "input_scaler" in r["cleared_keys"] and "output_scaler" not in r["cleared_keys"]


@pytest.mark.parametrize("call", list(BAD))
def test_bad_input_is_an_error(results: BackendResults, call: str) -> None:
    r = ok(results["cpu"][f"bad-{call}"])
    text, returned = BAD[call]
    assert any(text in e for e in r["errors"]), f"no error containing {text!r}: {r['errors']}"
    for key, value in returned.items():
        assert r[key] == value, f"{key}: {r[key]!r}"


def test_model_file_scaler_entries_are_checked(results: BackendResults) -> None:
    r = ok(results["cpu"]["model-entries"])
    good, *hostile = r["results"]
    assert good["accepted"], r["errors"]
    assert (good["stats"]["kind"], good["stats"]["feature_min"], good["stats"]["feature_max"]) == ("min_max", -1, 1)
    np.testing.assert_array_equal(dec(good["stats"]["data_max"]), [2, 1])
    refused = [i for i, h in enumerate(hostile) if not h["accepted"]]
    assert refused == list(range(len(HOSTILE_ENTRIES))), f"accepted: {set(range(len(HOSTILE_ENTRIES))) - set(refused)}"
    errors = [e for e in r["errors"] if "LKNetwork.model" in e and "input_scaler" in e]
    assert len(errors) == len(HOSTILE_ENTRIES), r["errors"]
