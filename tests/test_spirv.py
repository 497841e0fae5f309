"""Build-time SPIR-V and GPU warm-up (issue 15: the first GPU use must not hitch a frame).

The GPU backend creates every built-in kernel's shader from the SPIR-V glslangValidator made at build time
(site_scons/spirv_build.py), so a process compiles no GLSL: after a GPU fit and predict of a dense network,
LearnKit.get_device_info().gpu_pipelines counts shaders from SPIR-V and none from GLSL, and every kernel's SPIR-V
is accepted by the device (a warm-up of "all"). The numbers are those of the run-time GLSL path
(LEARNKIT_GPU_SHADERS=glsl, kept for kernels made at run time) and of NumPy (the forward pass of the trained
parameters) and close to the CPU backend's.

LearnKit.warm_up() returns at once, builds the pipelines on a background thread, emits `finished` once on the
main thread, and a fit or predict of a common dense network afterwards builds no pipeline. Bad arguments are
refused with an error naming the value; without a RenderingDevice the warm-up finishes with success false;
quitting while it runs exits cleanly. Godot launches: three with a display (GPU), one headless."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import enabled_backends, launch_godot, tail

pytestmark = pytest.mark.usefixtures("godot_ready")

ROOT = Path(__file__).resolve().parent.parent
# The kernels the build generated; a machine that only received the built library (a remote GPU) has no build/,
# and there the library's own count (gpu_pipelines.kernels) stands alone.
BUILT_KERNELS = len(list((ROOT / "build" / "gen" / "kernels" / "glsl").glob("*.comp")))
_RUNS: dict[tuple[str, str], dict] = {}


def run(mode: str, shaders: str = "spirv") -> dict:
    """spirv_check.gd's results for a mode (and shader source), one launch each per session."""
    headless = mode == "headless"
    if not headless and "gpu" not in enabled_backends():
        pytest.skip("the GPU backend is off (LEARNKIT_BACKENDS)")
    key = (mode, shaders)
    if key not in _RUNS:
        old = os.environ.get("LEARNKIT_GPU_SHADERS")
        if shaders == "glsl":
            os.environ["LEARNKIT_GPU_SHADERS"] = "glsl"
        try:
            with tempfile.TemporaryDirectory(prefix="learnkit-spirv-") as tmp:
                out = Path(tmp, "out.json")
                rc, output = launch_godot(["-s", "res://tests/spirv_check.gd", "--", "--mode", mode, "--out",
                                           str(out)], headless=headless)
                data = json.loads(out.read_text(), strict=False) if out.exists() else {}
        finally:
            if old is None:
                os.environ.pop("LEARNKIT_GPU_SHADERS", None)
            else:
                os.environ["LEARNKIT_GPU_SHADERS"] = old
        assert rc == 0 and data, f"spirv_check.gd --mode {mode} failed (exit {rc}):\n{tail(output)}"
        data["output"] = output
        _RUNS[key] = data
    return _RUNS[key]


def forward(fit: dict) -> np.ndarray:
    """NumPy's forward pass of the trained parameters (float64), with the network's activations."""
    x = np.asarray(fit["x"], dtype=np.float64).reshape(-1, 8)
    acts = {
        "relu": lambda z: np.maximum(z, 0.0),
        "tanh": np.tanh,
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "identity": lambda z: z,
        "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
        "softmax": lambda z: np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1,
                                                                                                            keepdims=True),
    }
    h = x
    for p, act in zip(fit["params"], [fit["hidden"], fit["output"]], strict=True):
        bias = np.asarray(p["bias"], dtype=np.float64)
        w = np.asarray(p["weight"], dtype=np.float64).reshape(bias.size, -1)
        h = acts[act](h @ w.T + bias)
    return h


def flat_params(fit: dict) -> np.ndarray:
    return np.concatenate([np.r_[p["weight"], p["bias"]] for p in fit["params"]])


def test_kernels_come_from_build_time_spirv() -> None:
    cold = run("cold")
    assert cold["fit"]["backend"] == "gpu"
    assert cold["before"] == {"from_spirv": 0, "from_glsl": 0, "warmed": 0, "on_demand": 0, "custom": 0, "ms": 0.0,
                             "kernels": cold["after_all"]["kernels"]}
    after = cold["after_fit"]
    assert after["from_glsl"] == 0, after
    assert after["from_spirv"] == after["on_demand"] > 0, after
    assert after["warmed"] == 0, after


def test_every_kernel_spirv_is_accepted_by_the_device() -> None:
    cold = run("cold")
    every = cold["after_all"]
    KERNELS = every["kernels"]
    assert KERNELS > 200 and BUILT_KERNELS in (0, KERNELS) and (ROOT / "build").exists() == (BUILT_KERNELS > 0)
    assert every["from_spirv"] == KERNELS and every["from_glsl"] == 0, every
    assert every["warmed"] + every["on_demand"] == KERNELS, every
    assert cold["status"] == "done"
    assert [f[:2] for f in cold["finished"]] == [["all", True]]
    assert not [e for e in cold["errors"]], cold["errors"]


def test_spirv_results_equal_runtime_glsl_and_numpy() -> None:
    spirv, glsl = run("cold")["fit"], run("cold", "glsl")["fit"]
    counters = run("cold", "glsl")["after_fit"]
    assert counters["from_spirv"] == 0 and counters["from_glsl"] == counters["on_demand"] > 0, counters
    # The same shaders, compiled by glslangValidator at build time or by Godot's glslang at run time.
    np.testing.assert_allclose(spirv["loss"], glsl["loss"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(flat_params(spirv), flat_params(glsl), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(spirv["predict"], glsl["predict"], rtol=1e-5, atol=1e-6)
    # Independent references: NumPy's forward pass of the trained parameters, and the CPU backend's fit.
    np.testing.assert_allclose(np.reshape(spirv["predict"], (-1, 3)), forward(spirv), rtol=1e-4, atol=1e-5)
    cpu = run("cold")["fit_cpu"]
    assert cpu["backend"] == "cpu"
    np.testing.assert_allclose(spirv["loss"], cpu["loss"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(flat_params(spirv), flat_params(cpu), rtol=1e-3, atol=1e-4)


def test_warm_up_returns_at_once_and_finishes_on_the_main_thread() -> None:
    warm = run("warm")
    assert warm["status_before"] == "idle"
    assert warm["status_running"] == "running" and not warm["done_at_once"]
    assert warm["call_ms"] < 50.0 and warm["call_ms"] < 0.1 * warm["until_done_ms"], warm
    assert warm["frames"] >= 2, "frames kept coming while the pipelines were built"
    assert warm["handle"]["done"] and warm["handle"]["success"], warm["handle"]
    assert 0 < warm["handle"]["milliseconds"] <= warm["until_done_ms"]
    assert warm["status_done"] == "done"
    common = warm["after_warm_up"]
    assert common["warmed"] > 50 and common["on_demand"] == 0 and common["from_glsl"] == 0, common
    assert common["warmed"] < common["kernels"], "common is a subset"
    # Exactly once each, on the main thread (the handler appends [label, success, ms, main thread]).
    labels = [f[0] for f in warm["finished"]]
    assert labels == ["common", "again", "cpu"], warm["finished"]
    assert all(f[1] and f[3] for f in warm["finished"]), warm["finished"]
    assert warm["finished"][2][2] == 0.0


def test_first_fit_after_warm_up_builds_no_pipeline() -> None:
    warm = run("warm")
    for fit in warm["fits"]:
        assert fit["backend"] == "gpu" and len(fit["loss"]) == 3, fit["loss"]
        outputs = len(fit["params"][-1]["bias"])
        np.testing.assert_allclose(np.reshape(fit["predict"], (-1, outputs)), forward(fit), rtol=1e-4, atol=1e-5)
    assert warm["after_fits"] == warm["after_warm_up"], "a fit or predict after warm_up() built a pipeline"
    assert warm["after_again"]["warmed"] == warm["after_warm_up"]["warmed"], "built twice"


def test_warm_up_refuses_bad_arguments() -> None:
    warm = run("warm")
    assert warm["bad_device"] and warm["bad_kernels"]
    errors = "\n".join(warm["bad_errors"])
    assert 'warm_up: unknown device "tpu": expected "gpu", "auto" or "cpu"' in errors, errors
    assert 'warm_up: unknown kernels "most": expected "common" or "all"' in errors, errors
    assert len(warm["bad_errors"]) == 2, errors


def test_quitting_during_warm_up_exits_cleanly() -> None:
    warm = run("warm")
    assert warm["running_at_quit"]
    for bad in ("double free", "Aborted", "Segmentation", "can only be called from the render thread", "leaked"):
        assert bad not in warm["output"], tail(warm["output"])


def test_warm_up_without_a_rendering_device() -> None:
    headless = run("headless")
    got = [f[:2] + [f[3]] for f in headless["finished"]]
    assert got == [["gpu", False, True], ["auto", False, True], ["cpu", True, True]], headless["finished"]
    assert headless["status"] == "failed"
    errors = "\n".join(headless["errors"])
    assert errors.count("warm_up: the GPU warm-up failed: no RenderingDevice") == 2, errors


@pytest.mark.parametrize("glslang", ["missing", "bad-variable"])
def test_build_without_glslang_says_how_to_install_it(glslang: str, tmp_path: Path) -> None:
    """scons stops before building anything, naming the package (a dry run: nothing is written)."""
    scons = Path(sys.executable).parent / "scons"
    if not scons.exists():
        pytest.skip("scons is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if k != "GLSLANG_VALIDATOR"}
    if glslang == "missing":
        env["PATH"] = str(tmp_path)  # no glslangValidator there (scons and Python are run by absolute path)
    else:
        env["GLSLANG_VALIDATOR"] = str(tmp_path / "glslangValidator")
    proc = subprocess.run([sys.executable, str(scons), "-Q", "-n"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "apt-get install glslang-tools" in proc.stdout, proc.stdout
    if glslang == "missing":
        assert "glslangValidator not found" in proc.stdout
    else:
        assert f"$GLSLANG_VALIDATOR ({tmp_path / 'glslangValidator'}) is not a program" in proc.stdout


def test_readme_warm_up_example_runs_as_written(tmp_path: Path) -> None:
    """The README's warm-up example ("## Choosing the device"), run in a function of a generated script."""
    if "gpu" not in enabled_backends():
        pytest.skip("the GPU backend is off (LEARNKIT_BACKENDS)")
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Choosing the device"):]
    section = section[:section.index("\n## ", 1)]
    block = next(b for b in re.findall(r"```gdscript\n(.*?)```", section, re.DOTALL) if "warm_up" in b)
    script = ("extends SceneTree\n\nfunc _example() -> void:\n" + textwrap.indent(block, "\t")
              + "\nfunc _initialize() -> void:\n\tawait _example()\n\tprint(\"README_WARM_UP_DONE\")\n\tquit(0)\n")
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "readme_warm_up.gd").write_text(script)
    rc, output = launch_godot(["-s", "res://tests/generated/readme_warm_up.gd"], headless=False)
    assert rc == 0 and "README_WARM_UP_DONE" in output, tail(output)
    assert "ERROR" not in output, tail(output)
    assert re.search(r"GPU ready: true after \d+ ms", output), tail(output)
    assert '"from_glsl": 0' in output, tail(output)
