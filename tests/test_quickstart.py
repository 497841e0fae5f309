"""The seed quick start on iris (the flagship demo) reaches at least 93% test accuracy on both backends."""

from __future__ import annotations

import os
import re

import pytest
from conftest import BackendResults, enabled_backends, launch_godot
from lk import BACKENDS, ok

pytestmark = pytest.mark.usefixtures("godot_ready")

MIN_TEST_ACCURACY = 93.0


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: [{"id": "seed", "kind": "quickstart.seed"}])


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_quick_start_accuracy(results: BackendResults, backend: str) -> None:
    r = ok(results[backend]["seed"])
    assert (r["rows"], r["train_rows"], r["test_rows"]) == (150, 120, 30)
    assert r["test_accuracy"] >= MIN_TEST_ACCURACY
    assert r["train_accuracy"] >= MIN_TEST_ACCURACY
    assert r["imported_test_accuracy"] == pytest.approx(r["test_accuracy"]), "export/import changed the model"
    assert r["time_ms"] > 0
    assert r["backend"] == backend and r["device_name"]
    assert not r["errors"], r["errors"]


def test_demo_runs_every_backend_and_exits_0() -> None:
    headless = "gpu" not in enabled_backends()
    rc, output = launch_godot(["-s", "res://demos/quickstart.gd"], headless=headless)
    assert rc == 0, output
    ran = re.findall(r"^\[(cpu|gpu)\] train accuracy .* test accuracy ([\d.]+)%", output, re.MULTILINE)
    assert [b for b, _ in ran] == (["cpu"] if headless else ["cpu", "gpu"]), output
    assert all(float(acc) >= MIN_TEST_ACCURACY for _, acc in ran)
    assert "quick start: OK" in output


def test_gpu_run_names_its_device() -> None:
    """On the GPU backend the demo reports the RenderingDevice's own name (lavapipe's "llvmpipe ..." here; on a
    real GPU set LEARNKIT_EXPECT_GPU, e.g. to "NVIDIA", and the name must contain it)."""
    if "gpu" not in enabled_backends():
        pytest.skip("the GPU backend is off (LEARNKIT_BACKENDS)")
    rc, output = launch_godot(["-s", "res://demos/quickstart.gd"], headless=False)
    assert rc == 0, output
    line = re.search(r"^\[gpu\] .* training [\d.]+ ms on gpu: (.+)$", output, re.MULTILINE)
    assert line, output
    expected = os.environ.get("LEARNKIT_EXPECT_GPU", "llvmpipe")
    assert expected in line.group(1), f"GPU backend ran on {line.group(1)!r}, expected a device named {expected!r}"
