"""An exported game loads a network and predicts: tests/export_game/ (a main scene holding a network saved as
brain.tres in an exported property, and the same network as brain.lkm, a binary model file) is exported with
Godot's Linux debug template (`--export-debug`) and with its release template (`--export-release`, the templates
from `tools/godot --print-template debug|release`), and each exported executable is run.

What an export needs (found here with Godot 4.6.3):
- export templates: a plain executable per target (Debian's godot-template-debug and -release, provisioned by
  tools/provision_godot.sh) named by custom_template/debug and /release in export_presets.cfg;
- the extension's library for the export's feature tags: learnkit.gdextension lists linux.debug.x86_64 and
  linux.release.x86_64, and an export copies the one its tags select (a release export needs
  `scons target=template_release`, which this test runs when that library is missing). `--export-pack` exports
  with the *release* tags, and a template refuses `--main-pack` ("compiled without support for path overrides");
- the export copies the .so next to the executable, and the game finds it there (and its .pck) through
  /proc/self/exe. text resources are converted to binary (.tres -> .res) on export; files that are not resources
  (brain.lkm) are packed only when the preset's include_filter names them.

Data files (`_write_data`): an export packs what Godot imported, not the files. A PNG under res:// ships as
`foo.png.import` plus its texture under .godot/imported (DirAccess lists `foo.png.import`; Image.load_from_file
fails), so load_image_folder reads imported images through ResourceLoader, in the export and in the project
run alike; the game's rows must equal NumPy's reading of the pixels the test wrote and the project run's. A .csv
is imported as translations by default and is then absent from the export (FileAccess cannot open it): load_csv
must name the "Keep File" import setting; a .csv imported with "Keep File" is packed as is and must load.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from png_file import write_png

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


# The images of res://data/shapes (class folders circle, square), all 4 x 3 so the rows need no resize; the
# RGBA image's alpha stays >= 20: the default import's "Fix Alpha Border" recolours pixels below that.
_rng = np.random.default_rng(5)
IMAGES = {
    "circle/a.png": _rng.integers(0, 256, (3, 4, 3)),
    "circle/b.png": _rng.integers(0, 256, (3, 4)),                          # grayscale
    "square/c.png": np.dstack([_rng.integers(0, 256, (3, 4, 3)), _rng.integers(20, 256, (3, 4))]),
    "square/d.png": _rng.integers(0, 256, (3, 4, 3)),                       # imported with mipmaps
    "square/e.png": _rng.integers(0, 256, (3, 4, 3)),                       # imported as an Image resource
}
# Imported as a BitMap (not an image resource): skipped with a warning naming what it was imported as.
BITMAP = "circle/m.png"
# A smooth 8 x 8 gradient imported VRAM-compressed (S3TC/BC, lossy): decompressed in the game.
VRAM_IMAGE = np.dstack([np.add.outer(np.arange(8) * 6, np.arange(8) * 3) + 40, np.full((8, 8), 128),
                        np.add.outer(np.arange(8) * 2, np.arange(8) * 5) + 90])
CSV_TEXT = "x1,x2,label\n0.5,-1.25,cat\n3,4e-2,dog\n-7.5,8,cat\n"
TEXTURE_IMPORT = '[remap]\n\nimporter="texture"\ntype="CompressedTexture2D"\n\n[params]\n\n'


def _write_data(project: Path) -> None:
    """res://data/: image class folders (default lossless import, one with mipmaps), a VRAM-compressed image, a
    CSV imported with "Keep File" and one with Godot's default (translations)."""
    data = project / "data"
    for rel, px in IMAGES.items():
        (data / "shapes" / rel).parent.mkdir(parents=True, exist_ok=True)
        write_png(data / "shapes" / rel, px)
    (data / "shapes" / "square" / "d.png.import").write_text(TEXTURE_IMPORT + "mipmaps/generate=true\n")
    (data / "shapes" / "square" / "e.png.import").write_text('[remap]\n\nimporter="image"\ntype="Image"\n')
    write_png(data / "shapes" / BITMAP, IMAGES["circle/a.png"])
    (data / "shapes" / (BITMAP + ".import")).write_text('[remap]\n\nimporter="bitmap"\ntype="BitMap"\n')
    (data / "vram" / "smooth").mkdir(parents=True)
    write_png(data / "vram" / "smooth" / "g.png", VRAM_IMAGE)
    (data / "vram" / "smooth" / "g.png.import").write_text(TEXTURE_IMPORT + "compress/mode=2\n")
    (data / "kept.csv").write_text(CSV_TEXT)
    (data / "kept.csv.import").write_text('[remap]\n\nimporter="keep"\n')
    (data / "translated.csv").write_text(CSV_TEXT)


def _printed(output: str, tag: str) -> dict | None:
    lines = [line for line in output.splitlines() if line.startswith(tag + " ")]
    return json.loads(lines[-1].split(" ", 1)[1]) if lines else None


def _presets(flavour: str, template: str) -> str:
    return f"""[preset.0]

name="Linux"
platform="Linux"
runnable=true
dedicated_server=false
custom_features=""
export_filter="all_resources"
include_filter="*.lkm"
exclude_filter="make_brain.gd, expected.json"
export_path=""
encryption_include_filters=""
encryption_exclude_filters=""
encrypt_pck=false
encrypt_directory=false

[preset.0.options]

custom_template/debug={json.dumps(template if flavour == "debug" else "")}
custom_template/release={json.dumps(template if flavour == "release" else "")}
debug/export_console_wrapper=0
binary_format/embed_pck=false
binary_format/architecture="x86_64"
"""


def _library(flavour: str) -> str:
    return f"liblearnkit.linux.template_{flavour}.x86_64.so"


def _build_release_library() -> None:
    """tools/test builds it; a bare `pytest tests` after a plain `scons` builds it here (about 40 s on 2 cores)."""
    if (ADDON / "bin" / _library("release")).exists():
        return
    scons = Path(sys.executable).with_name("scons")
    proc = subprocess.run([str(scons), "-Q", "target=template_release"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, check=False, timeout=1800)
    assert proc.returncode == 0, f"scons target=template_release failed:\n{proc.stdout.decode()[-3000:]}"


@pytest.fixture(scope="module", params=["debug", "release"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    flavour = request.param
    rc, template = _godot(["--print-template", flavour])
    assert rc == 0, f"no Linux {flavour} export template (tools/provision_godot.sh installs both): {template.strip()}"
    if flavour == "release":
        _build_release_library()
    tmp = tmp_path_factory.mktemp(f"export-{flavour}")
    project, out = tmp / "project", tmp / "out"
    shutil.copytree(GAME, project)
    shutil.copytree(ADDON, project / "addons" / "learnkit")
    (project / "export_presets.cfg").write_text(_presets(flavour, template.strip().splitlines()[-1]))
    _write_data(project)
    rc, output = _godot(["--headless", "-s", "res://make_brain.gd"], project)
    assert rc == 0, f"make_brain.gd failed:\n{output[-3000:]}"
    # The first editor run of a project that registers extension classes may crash after importing
    # (shared/notes/godot-runtime.md): import once, ignoring its exit code, then export.
    _godot(["--headless", "--import"], project)
    # The project run (the main scene, not exported) reads the same data files, for comparison.
    _, project_output = _godot(["--headless"], project)
    out.mkdir()
    rc, output = _godot(["--headless", f"--export-{flavour}", "Linux", str(out / "game.x86_64")], project)
    files = sorted(p.name for p in out.iterdir())
    assert rc == 0 and "game.pck" in files, f"export failed (rc {rc}, files {files}):\n{output[-3000:]}"
    # Run from another folder: the game must find its .pck and the extension next to its executable.
    rc, run_output = _godot(["--headless", "--exported", str(out / "game.x86_64")], cwd=tmp)
    return {"flavour": flavour, "files": files, "rc": rc, "output": run_output, "export_output": output,
            "expected": json.loads((project / "expected.json").read_text()),
            "printed": _printed(run_output, "LK_PREDICTION"), "data": _printed(run_output, "LK_DATA"),
            "project_output": project_output, "project_data": _printed(project_output, "LK_DATA")}


def test_export_contains_the_game_and_the_extension(exported: dict) -> None:
    assert exported["files"] == ["game.pck", "game.x86_64", _library(exported["flavour"])]


def test_editor_export_has_no_errors(exported: dict) -> None:
    """The export runs the editor, which also loads the class reference (doc_classes XML) into its help."""
    errors = [line for line in exported["export_output"].splitlines() if "ERROR" in line]
    assert not errors, "\n".join(errors)


def test_exported_game_loads_the_resource_and_predicts(exported: dict) -> None:
    assert exported["expected"]["errors"] == [0, 0, 0, 0]
    assert exported["printed"] is not None, f"the game printed no prediction:\n{exported['output'][-3000:]}"
    assert exported["printed"]["layers"] == 2
    assert exported["printed"]["y"] == exported["expected"]["y"], "the exported game predicts differently"
    assert exported["printed"]["lkm_y"] == exported["expected"]["y"], "the .lkm file predicts differently"
    # The one error the game may print is load_csv's on the translated CSV (test_exported_game_reads_csv).
    errors = [line for line in exported["output"].splitlines() if "ERROR" in line and "translated.csv" not in line]
    assert exported["rc"] == 0 and not errors, exported["output"][-3000:]


def _rows(loaded: dict) -> np.ndarray:
    return np.array(loaded["inputs"], dtype=np.float32)


def test_exported_game_reads_image_folders_like_numpy(exported: dict) -> None:
    data = exported["data"]
    assert data is not None, f"the game printed no data:\n{exported['output'][-3000:]}"
    rgb = [np.repeat(px[:, :, None], 3, axis=2) if px.ndim == 2 else px[:, :, :3] for px in IMAGES.values()]
    want_rgb = np.array([(p.transpose(2, 0, 1) / 255.0).reshape(-1) for p in rgb], dtype=np.float32)
    want_gray = np.array([((p @ [0.299, 0.587, 0.114]) / 255.0).reshape(-1) for p in rgb], dtype=np.float32)
    for key, want, channels in (("rgb", want_rgb, 3), ("gray", want_gray, 1)):
        got = data[key]
        assert got.get("files") == list(IMAGES), (key, got)
        assert got["classes"] == ["circle", "square"] and got["labels"] == [0, 0, 1, 1, 1], (key, got)
        assert (got["width"], got["height"], got["channels"]) == (4, 3, channels), (key, got)
        assert got["skipped"] == [BITMAP], (key, got)
        np.testing.assert_allclose(_rows(got), want, rtol=1e-6, atol=1e-7, err_msg=key)
    for output in (exported["output"], exported["project_output"]):
        warnings = [line for line in output.splitlines() if "WARNING" in line and BITMAP in line]
        assert len(warnings) == 2 and "it is imported as BitMap: expected Texture2D or Image" in warnings[0], warnings


def test_exported_game_decompresses_vram_textures(exported: dict) -> None:
    """S3TC is lossy: the rows are near the pixels written, and exactly the project run's (the same import)."""
    vram = exported["data"]["vram"]
    assert vram.get("files") == ["smooth/g.png"] and (vram["width"], vram["height"]) == (8, 8), vram
    want = (VRAM_IMAGE.transpose(2, 0, 1) / 255.0).reshape(-1)
    error = np.abs(_rows(vram)[0] - want)
    # BC1 keeps two RGB565 end colours and two mixes of them per 4 x 4 block: here at most 16 levels (0.063) off.
    assert error.max() < 0.08 and error.mean() < 0.02, (error.max(), error.mean())


def test_exported_game_reads_data_as_the_project_run_does(exported: dict) -> None:
    assert exported["project_data"] is not None, exported["project_output"][-3000:]
    for key in ("rgb", "gray", "vram", "kept_csv"):
        assert exported["data"][key] == exported["project_data"][key], key


def test_exported_game_reads_csv(exported: dict) -> None:
    """A "Keep File" CSV loads; the default (translation) import leaves no file: {} and an error naming the fix.
    The project run still reads that file, with a warning that an export will not hold it."""
    kept = exported["data"]["kept_csv"]
    rows = [line.split(",") for line in CSV_TEXT.splitlines()[1:]]
    np.testing.assert_array_equal(_rows(kept), np.array([[float(a), float(b)] for a, b, _ in rows], np.float32))
    assert kept["labels"] == [0, 1, 0] and kept["classes"] == ["cat", "dog"] and kept["columns"] == ["x1", "x2"]
    assert exported["data"]["translated_csv"] == {}
    fix = 'set Import As to "Keep File (exported as is)"'
    error = [line for line in exported["output"].splitlines() if "ERROR" in line and "translated.csv" in line]
    assert len(error) == 1 and fix in error[0] and '"csv_translation"' in error[0], exported["output"][-3000:]
    assert exported["project_data"]["translated_csv"] == kept
    warning = [line for line in exported["project_output"].splitlines() if "WARNING" in line and "translated.csv" in line]
    assert len(warning) == 1 and "will not be in an exported game" in warning[0] and fix in warning[0], warning


def test_gdextension_lists_both_libraries() -> None:
    text = (ADDON / "learnkit.gdextension").read_text()
    for flavour in ("debug", "release"):
        assert f'linux.{flavour}.x86_64 = "res://addons/learnkit/bin/{_library(flavour)}"' in text, text


def test_a_debug_run_loads_learnkit_when_only_the_debug_library_was_built(tmp_path: Path) -> None:
    """A fresh clone after a plain `scons` has no release library: the .gdextension still names it, and a
    debug run (what the editor and tools/godot are) must not care."""
    project = tmp_path / "project"
    shutil.copytree(GAME, project)
    shutil.copytree(ADDON, project / "addons" / "learnkit")
    (project / "addons" / "learnkit" / "bin" / _library("release")).unlink(missing_ok=True)
    assert (project / "addons" / "learnkit" / "bin" / _library("debug")).exists()
    rc, output = _godot(["--headless", "-s", "res://make_brain.gd"], project)
    assert rc == 0 and "ERROR" not in output, output[-3000:]
    assert json.loads((project / "expected.json").read_text())["errors"] == [0, 0, 0, 0]


RELEASE_GPU_CHECK = """extends SceneTree
## The release library's GPU backend: it carries no GLSL, so every kernel comes from its build-time SPIR-V.

func _init() -> void:
	var x := [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
	var y := [[0.0, 1.0], [1.0, 0.0]]
	var out := {}
	for device in ["cpu", "gpu"]:
		# The same seed: the same initial parameters on both devices.
		var copy := LearnKit.sequential([LearnKit.dense(3, 16, "gelu"), LearnKit.dense(16, 2, "softmax")], "kaiming", 5)
		copy.device = device
		var trainer := LearnKit.trainer(copy, {"loss": "cce", "optimizer": "adam", "epochs": 3, "batch_size": 2})
		var history := trainer.fit(x, y)
		out[device] = {"loss": Array(history.loss) if history != null else [], "y": copy.predict(x).map(func(r: PackedFloat32Array) -> Array: return Array(r)),
				"backend": LearnKit.get_device_info().last_backend}
	out["glsl"] = LearnKit.get_device_info().gpu_pipelines.from_glsl
	print("LK_RELEASE_GPU ", JSON.stringify(out))
	quit(0)
"""


def test_the_release_library_runs_the_gpu_backend_from_spirv_alone(tmp_path: Path) -> None:
    """A release build leaves the kernels' GLSL out (templates/cpu/kernels.cpp.j2): its GPU backend must build every
    kernel from SPIR-V. Exported games run headless here, so the release library is loaded into the editor binary
    instead, through a .gdextension that names it for the debug feature."""
    _build_release_library()
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ADDON, project / "addons" / "learnkit")
    ext = project / "addons" / "learnkit" / "learnkit.gdextension"
    ext.write_text(ext.read_text().replace(_library("debug"), _library("release")))
    assert f'linux.debug.x86_64 = "res://addons/learnkit/bin/{_library("release")}"' in ext.read_text()
    (project / "project.godot").write_text('config_version=5\n\n[application]\n\nconfig/name="ReleaseGpuCheck"\n')
    (project / "check.gd").write_text(RELEASE_GPU_CHECK)
    rc, output = _godot(["-s", "res://check.gd"], project)
    got = _printed(output, "LK_RELEASE_GPU")
    assert rc == 0 and got is not None, output[-3000:]
    assert got["cpu"]["backend"] == "cpu" and got["gpu"]["backend"] == "gpu" and got["glsl"] == 0, got
    np.testing.assert_allclose(got["gpu"]["loss"], got["cpu"]["loss"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["gpu"]["y"], got["cpu"]["y"], rtol=1e-4, atol=1e-5)
    assert len(got["cpu"]["loss"]) == 3
    assert not [line for line in output.splitlines() if "ERROR" in line], output[-3000:]
