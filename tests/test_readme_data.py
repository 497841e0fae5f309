"""The README's "Data tools" examples run as written (one Godot launch): the iris pipeline (load_csv, a
stratified split, a scaler kept with the network through a .tres) and the image-folder call, on a folder of
shapes this test has Godot draw first. They must print no error and give the documented results."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from conftest import launch_godot

pytestmark = pytest.mark.usefixtures("godot_ready")

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Data tools"
# What each block leaves behind, as a GDScript Dictionary expression.
PROBES = [
    ('{"accuracy": accuracy, "p": probabilities, "classes": data.classes, "rows": data.rows, '
     '"parts": [parts.train_inputs.size(), parts.validation_inputs.size(), parts.test_inputs.size()], '
     '"scaler": loaded.input_scaler.mean}'),
    '{"classes": images.classes, "rows": images.inputs.size(), "width": images.inputs[0].size()}',
]
# Draws user://shapes/{dots,stripes}/N.png (12 x 12 RGB) for the image example.
SETUP = """func _setup() -> void:
\tfor cls: String in ["stripes", "dots"]:
\t\tDirAccess.make_dir_recursive_absolute("user://shapes/" + cls)
\t\tfor n in 3:
\t\t\tvar img := Image.create_empty(12, 12, false, Image.FORMAT_RGB8)
\t\t\tfor y in 12:
\t\t\t\tfor x in 12:
\t\t\t\t\tvar on := (y % 3 == n % 3) if cls == "stripes" else ((x + y + n) % 4 == 0)
\t\t\t\t\timg.set_pixel(x, y, Color.WHITE if on else Color.BLACK)
\t\t\timg.save_png("user://shapes/%s/%d.png" % [cls, n])
"""


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```gdscript\n(.*?)```", section, re.DOTALL)


def test_the_data_examples_run_as_written() -> None:
    blocks = readme_blocks()
    assert len(blocks) == len(PROBES), "the README's data section changed: update PROBES"
    funcs = [f"func _example_{i}() -> Dictionary:\n{textwrap.indent(b, chr(9))}\treturn {probe}\n"
             for i, (b, probe) in enumerate(zip(blocks, PROBES, strict=True))]
    calls = "\n".join(f"\tout.append(_example_{i}())" for i in range(len(blocks)))
    script = ("extends SceneTree\n\n" + SETUP + "\n" + "\n".join(funcs) + "\nfunc _init() -> void:\n\t_setup()\n"
              "\tvar out: Array = []\n" + calls + "\n\tprint(\"README_RESULT \" + JSON.stringify(out))\n\tquit(0)\n")
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "readme_data.gd").write_text(script)
    code, output = launch_godot(["-s", "res://tests/generated/readme_data.gd"], headless=True)
    assert code == 0, output[-3000:]
    assert "ERROR" not in output, output[-3000:]
    line = next(x for x in output.splitlines() if x.startswith("README_RESULT "))
    iris, images = json.loads(line[len("README_RESULT "):])
    assert iris["classes"] == ["0", "1", "2"] and iris["rows"] == 150
    assert iris["parts"] == [105, 15, 30]
    assert iris["accuracy"] >= 0.9, iris["accuracy"]
    assert len(iris["p"][0]) == 3 and abs(sum(iris["p"][0]) - 1) < 1e-5 and max(iris["p"][0]) == iris["p"][0][0]
    assert len(iris["scaler"]) == 4
    assert images == {"classes": ["dots", "stripes"], "rows": 6, "width": 256}
