"""Hostile-input regressions: sizes that wrap, allocations that would abort, invalid settings accepted too early,
diverging training and float32 overflow. Each case must give an error (or a warning) that says what happened,
never a crash, an abort or silent NaN (godot_project/tests/cases/hostile.gd)."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import BackendResults
from lk import BACKENDS, ok

pytestmark = pytest.mark.usefixtures("godot_ready")

# case -> (what it must print: "ERROR" or "WARNING", words the message must contain)
LOUD = {
    "predict_flat_wrapping_rows": ("ERROR", ["4611686018427387905", "too large"]),
    "fit_flat_wrapping_rows": ("ERROR", ["4611686018427387905", "too large"]),
    "one_hot_huge": ("ERROR", ["16777216", "too large"]),
    "network_huge": ("ERROR", ["16777216", "too many"]),
    "schedule_infinite": ("ERROR", ["inf"]),
    "adam_zero_epsilon": ("ERROR", ["epsilon"]),
    "sgd_momentum_one": ("ERROR", ["momentum"]),
    "fit_diverges": ("WARNING", ["nan or infinite", "epoch"]),
    "fit_diverges_no_stop": ("WARNING", ["nan or infinite", "epoch"]),
    "predict_overflows": ("WARNING", ["overflow"]),
}


def _b64(values: list[float]) -> str:
    return base64.b64encode(np.asarray(values, "<f4").tobytes()).decode()


def _v2(op: dict, shape: list[float] | None = None) -> str:
    return json.dumps({"format": "learnkit.network", "version": 2, "device": "cpu", "input_shape": shape or [2],
                       "output": 1, "ops": [op]})


DENSE = {"name": "d", "type": "dense", "inputs": [0], "settings": {"units": 1},
         "tensors": {"weight": _b64([0.5, -0.5]), "bias": _b64([0.0])}}
BAD_FILES = {
    "nan_weight": _v2({**DENSE, "tensors": {"weight": _b64([math.nan, 1.0]), "bias": _b64([0.0])}}),
    "inf_bias": _v2({**DENSE, "tensors": {"weight": _b64([1.0, 1.0]), "bias": _b64([math.inf])}}),
    "fractional_units": _v2({**DENSE, "settings": {"units": 1.5}}),
    "fractional_input": _v2(DENSE, [2.5]),
    "unknown_type": _v2({**DENSE, "type": "conv2d"}),
    "v1_fractional": json.dumps({"format": "learnkit.network", "version": 1, "layers": [
        {"inputs": 6.5, "outputs": 1, "activation": "identity", "alpha": 0.0,
         "weight_f32_base64": _b64([0.0] * 6), "bias_f32_base64": _b64([0.0])}]}),
    "v1_conv": json.dumps({"format": "learnkit.network", "version": 1, "layers": [
        {"type": "conv2d", "inputs": 2, "outputs": 1, "activation": "identity", "alpha": 0.0,
         "weight_f32_base64": _b64([0.0] * 2), "bias_f32_base64": _b64([0.0])}]}),
}


def make_cases(directory: Path) -> list[dict]:
    cases = [{"id": name, "kind": f"hostile.{name}"} for name in [*LOUD, "schedule_epoch_past_int32"]]
    cases.append({"id": "gpu_arena_too_large", "kind": "hostile.gpu_arena_too_large"})
    cases.append({"id": "import_bad_files", "kind": "hostile.import_bad_files", "dir": str(directory),
                  "files": BAD_FILES})
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> BackendResults:
    return BackendResults(lambda backend: make_cases(tmp_path_factory.mktemp(f"hostile-{backend}")))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(LOUD))
def test_hostile_input_is_reported(results: BackendResults, backend: str, name: str) -> None:
    r = ok(results[backend][name])
    kind, words = LOUD[name]
    lines = [e for e in r["errors"] if e.startswith(kind)]
    text = "\n".join(lines).lower()
    assert lines, f"no {kind} was printed; got {r['errors']}"
    assert not [w for w in words if w.lower() not in text], text
    if kind == "ERROR":
        assert r["returned_null"] or r["returned_size"] == 0, r
    assert results[backend].exit_codes == [0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_diverging_fit_stops_and_says_where(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["fit_diverges"])
    assert r["nonfinite_epoch"] >= 0 and r["stopped"] and r["epochs"] < 200
    r = ok(results[backend]["fit_diverges_no_stop"])
    assert r["nonfinite_epoch"] >= 0 and not r["stopped"] and r["epochs"] == 20


@pytest.mark.parametrize("backend", BACKENDS)
def test_schedule_epoch_is_clamped_not_truncated(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["schedule_epoch_past_int32"])
    assert r["lr"] == pytest.approx(0.001) and r["lr_9"] > 0.001


@pytest.mark.parametrize("backend", BACKENDS)
def test_model_files_are_exact_or_refused(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["import_bad_files"])
    assert all(r[name] for name in BAD_FILES), {k: v for k, v in r.items() if not v}


def test_gpu_arena_past_a_storage_buffer_is_refused(results: BackendResults) -> None:
    r = ok(results["gpu"]["gpu_arena_too_large"])
    errors = "\n".join(e for e in r["errors"] if e.startswith("ERROR")).lower()
    assert r["returned_null"] and "more than it can address" in errors, errors
    assert results["gpu"].exit_codes == [0]
