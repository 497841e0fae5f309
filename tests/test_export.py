"""An exported game loads a network resource and predicts: tests/export_game/ (a main scene holding a network
saved as brain.tres in an exported property) is exported with Godot's Linux debug template
(`--export-debug`, the template from `tools/godot --print-template debug`) and the exported executable is run.

What an export needs (found here with Godot 4.6.3):
- export templates: a plain executable per target (Debian's godot-template-debug, provisioned by
  tools/provision_godot.sh) named by custom_template/debug in export_presets.cfg;
- the extension's library for the export's feature tags: learnkit.gdextension lists linux.debug.x86_64 only, so
  a debug export. `--export-pack` exports with the *release* tags ("No x86_64 library found"), and a template
  refuses `--main-pack` ("compiled without support for path overrides");
- the export copies the .so next to the executable, and the game finds it there (and its .pck) through
  /proc/self/exe. text resources are converted to binary (.tres -> .res) on export.
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
GAME = Path(__file__).resolve().parent / "export_game"
ADDON = ROOT / "godot_project" / "addons" / "learnkit"

pytestmark = pytest.mark.usefixtures("godot_ready")


def _godot(args: list[str], project: Path | None = None, cwd: Path = ROOT) -> tuple[int, str]:
    env = dict(os.environ)
    if project is not None:
        env["LEARNKIT_PROJECT"] = str(project)
    proc = subprocess.run([str(GODOT), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False, timeout=600)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def _presets(template: str) -> str:
    return f"""[preset.0]

name="Linux"
platform="Linux"
runnable=true
dedicated_server=false
custom_features=""
export_filter="all_resources"
include_filter=""
exclude_filter="make_brain.gd, expected.json"
export_path=""
encryption_include_filters=""
encryption_exclude_filters=""
encrypt_pck=false
encrypt_directory=false

[preset.0.options]

custom_template/debug={json.dumps(template)}
custom_template/release=""
debug/export_console_wrapper=0
binary_format/embed_pck=false
binary_format/architecture="x86_64"
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rc, template = _godot(["--print-template", "debug"])
    if rc != 0:
        pytest.skip(f"no Linux debug export template: {template.strip()}")
    tmp = tmp_path_factory.mktemp("export")
    project, out = tmp / "project", tmp / "out"
    shutil.copytree(GAME, project)
    shutil.copytree(ADDON, project / "addons" / "learnkit")
    (project / "export_presets.cfg").write_text(_presets(template.strip().splitlines()[-1]))
    rc, output = _godot(["--headless", "-s", "res://make_brain.gd"], project)
    assert rc == 0, f"make_brain.gd failed:\n{output[-3000:]}"
    # The first editor run of a project that registers extension classes may crash after importing
    # (shared/notes/godot-runtime.md): import once, ignoring its exit code, then export.
    _godot(["--headless", "--import"], project)
    out.mkdir()
    rc, output = _godot(["--headless", "--export-debug", "Linux", str(out / "game.x86_64")], project)
    files = sorted(p.name for p in out.iterdir())
    assert rc == 0 and "game.pck" in files, f"export failed (rc {rc}, files {files}):\n{output[-3000:]}"
    # Run from another folder: the game must find its .pck and the extension next to its executable.
    rc, run_output = _godot(["--headless", "--exported", str(out / "game.x86_64")], cwd=tmp)
    lines = [line for line in run_output.splitlines() if line.startswith("LK_PREDICTION ")]
    return {"files": files, "rc": rc, "output": run_output, "export_output": output, "expected": json.loads((project / "expected.json").read_text()),
            "printed": json.loads(lines[-1].split(" ", 1)[1]) if lines else None}


def test_export_contains_the_game_and_the_extension(exported: dict) -> None:
    assert exported["files"] == ["game.pck", "game.x86_64", "liblearnkit.linux.template_debug.x86_64.so"]


def test_editor_export_has_no_errors(exported: dict) -> None:
    """The export runs the editor, which also loads the class reference (doc_classes XML) into its help."""
    errors = [line for line in exported["export_output"].splitlines() if "ERROR" in line]
    assert not errors, "\n".join(errors)


def test_exported_game_loads_the_resource_and_predicts(exported: dict) -> None:
    assert exported["expected"]["errors"] == [0, 0, 0]
    assert exported["printed"] is not None, f"the game printed no prediction:\n{exported['output'][-3000:]}"
    assert exported["printed"]["layers"] == 2
    assert exported["printed"]["y"] == exported["expected"]["y"], "the exported game predicts differently"
    assert exported["rc"] == 0 and "ERROR" not in exported["output"], exported["output"][-3000:]
