"""The project setting learnkit/gpu/prepare_at_startup (api/gpu_startup.hpp says why it exists: creating a GPU
device stalls every other device's GPU work for its duration, ~200 ms on an NVIDIA H200, so a device created
during play costs a frame). Each case writes the setting into a small temporary project and starts Godot on it;
the script that runs first (before any frame is drawn) reports what the extension prepared at startup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GODOT = ROOT / "tools" / "godot"
ADDON = ROOT / "godot_project" / "addons" / "learnkit"

pytestmark = pytest.mark.usefixtures("godot_ready")

CHECK = """extends SceneTree
## Reports, at the start of the first frame (Godot's startup has ended; no frame drawn yet), what LearnKit
## prepared at startup; then, when a warm-up runs, waits for it and fits a dense network on the GPU to see that
## no pipeline is built on demand.

func _init() -> void:
	_report.call_deferred()


func _report() -> void:
	var info := LearnKit.get_device_info()
	var out := {"frames_drawn": Engine.get_frames_drawn(), "device_ms": info.gpu_device_ms,
			"prepared": info.gpu_prepared_at_startup, "status": LearnKit.get_warm_up_status(),
			"gpu_available": info.gpu_available, "gpu_name": info.gpu_name, "gpu_vendor": info.gpu_vendor}
	_finish.call_deferred(out)


func _finish(out: Dictionary) -> void:
	# By time, not frames: with an empty driver cache an H200 builds the pipelines for 10-15 s at ~2000 fps.
	var start := Time.get_ticks_msec()
	while LearnKit.get_warm_up_status() == "running" and Time.get_ticks_msec() - start < 120000:
		await process_frame
	out["final_status"] = LearnKit.get_warm_up_status()
	if out.prepared == "" and out.gpu_available:
		# get_device_info() never creates the device: still none, and the name it gave is the device's.
		out["device_ms_after_info"] = LearnKit.get_device_info().gpu_device_ms
		var probe := LearnKit.sequential([LearnKit.dense(2, 2)], "xavier", 1)
		probe.device = "gpu"
		probe.predict([[1.0, 2.0]])
		var after := LearnKit.get_device_info()
		out["name_matches"] = after.gpu_name == out.gpu_name and after.gpu_vendor == out.gpu_vendor
		out["device_ms_after_use"] = after.gpu_device_ms
	if out.prepared == "common":
		var net := LearnKit.sequential([LearnKit.dense(4, 8, "relu"), LearnKit.dense(8, 2, "softmax")], "kaiming", 3)
		net.device = "gpu"
		var trainer := LearnKit.trainer(net, {"loss": "cce", "optimizer": "adam", "epochs": 1, "batch_size": 4})
		var x := PackedFloat32Array()
		x.resize(32)
		var y := PackedFloat32Array()
		y.resize(16)
		for r in 8:
			y[r * 2] = 1.0
		out["fit_ok"] = trainer.fit_flat(x, y, 8) != null
		out["pipelines"] = LearnKit.get_device_info().gpu_pipelines
	print("LK_STARTUP ", JSON.stringify(out))
	quit(0)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("startup") / "project"
    root.mkdir()
    shutil.copytree(ADDON, root / "addons" / "learnkit")
    (root / "check.gd").write_text(CHECK)
    return root


def _run(project: Path, setting: str | None, headless: bool = False) -> tuple[dict | None, str]:
    text = 'config_version=5\n\n[application]\n\nconfig/name="LearnKitStartupCheck"\n'
    if setting is not None:
        value = setting if setting.startswith('"') or setting == "true" else f'"{setting}"'
        text += f'\n[learnkit]\n\ngpu/prepare_at_startup={value}\n'
    (project / "project.godot").write_text(text)
    env = dict(os.environ, LEARNKIT_PROJECT=str(project))
    args = [str(GODOT), *(["--headless"] if headless else []), "-s", "res://check.gd"]
    proc = subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                          timeout=300)
    output = proc.stdout.decode("utf-8", "replace")
    for line in output.splitlines():
        if line.startswith("LK_STARTUP "):
            return json.loads(line[len("LK_STARTUP "):]), output
    return None, output


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("ERROR", "WARNING", "SCRIPT ERROR"))]


def test_off_by_default_creates_nothing(project: Path) -> None:
    for setting in (None, "off"):
        out, output = _run(project, setting)
        assert out is not None, output[-3000:]
        assert out["device_ms"] == 0 and out["prepared"] == "" and out["status"] == "idle", out
        assert out["gpu_available"] and out["gpu_name"], out
        assert out["device_ms_after_info"] == 0, "get_device_info() created the GPU device"
        assert out["name_matches"] and out["device_ms_after_use"] > 0, out
        assert _errors(output) == [], output[-3000:]


def test_device_is_created_before_the_first_frame(project: Path) -> None:
    out, output = _run(project, "device")
    assert out is not None, output[-3000:]
    assert out["frames_drawn"] == 0 and out["gpu_available"], out
    assert out["device_ms"] > 0 and out["prepared"] == "device", out
    assert out["status"] == "idle", out  # no kernels asked for: no warm-up
    assert _errors(output) == [], output[-3000:]


def test_common_also_warms_the_kernels_up(project: Path) -> None:
    out, output = _run(project, "common")
    assert out is not None, output[-3000:]
    assert out["frames_drawn"] == 0 and out["device_ms"] > 0 and out["prepared"] == "common", out
    assert out["status"] in ("running", "done") and out["final_status"] == "done", out
    assert out["fit_ok"], out
    pipelines = out["pipelines"]
    assert pipelines["warmed"] > 0 and pipelines["on_demand"] == 0, pipelines
    assert _errors(output) == [], output[-3000:]


def test_an_unknown_value_is_an_error_naming_it(project: Path) -> None:
    for setting, shown in (('"always"', '"always"'), ("true", "true (not a String)")):
        out, output = _run(project, setting)
        assert out is not None, output[-3000:]
        assert out["device_ms"] == 0 and out["prepared"] == "", out
        errors = _errors(output)
        assert len(errors) == 1 and f"learnkit/gpu/prepare_at_startup is {shown}" in errors[0], errors
        assert '"off", "device", "common" or "all"' in errors[0], errors


def test_without_a_rendering_device_it_warns_and_the_cpu_works(project: Path) -> None:
    out, output = _run(project, "device", headless=True)
    assert out is not None, output[-3000:]
    assert out["prepared"] == "" and not out["gpu_available"], out
    warnings = _errors(output)
    assert len(warnings) == 1 and warnings[0].startswith("WARNING") and "no GPU device" in warnings[0], warnings
