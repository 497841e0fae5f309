"""The README's GDScript examples of graphs of ops run as written: each block becomes a function of a generated
script, run in one Godot launch, which must print no error and give networks of the documented shapes."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from conftest import launch_godot

pytestmark = pytest.mark.usefixtures("godot_ready")

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Graphs of ops"
# What each block leaves behind, and what to report about it.
PROBES = [
    ("net", "PackedFloat32Array([0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8])"),
    ("g", "PackedFloat32Array([0.1, -0.2, 0.3, 0.4])"),
]


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```gdscript\n(.*?)```", section, re.DOTALL)


def test_the_graph_examples_run_as_written(tmp_path: Path) -> None:
    blocks = readme_blocks()
    assert len(blocks) == len(PROBES), "the README's graph section changed: update PROBES"
    funcs, calls = [], []
    for i, (block, (var, row)) in enumerate(zip(blocks, PROBES)):
        body = textwrap.indent(block, "\t")
        funcs.append(f"func _example_{i}() -> Dictionary:\n{body}\treturn {{\"ops\": {var}.get_ops(), "
                     f"\"y\": {var}.predict([{row}]), \"params\": {var}.get_parameters().size()}}\n")
        calls.append(f"\tout.append(_example_{i}())")
    script = ("extends SceneTree\n\n" + "\n".join(funcs) + "\nfunc _init() -> void:\n\tvar out: Array = []\n"
              + "\n".join(calls) + "\n\tprint(\"README_RESULT \" + JSON.stringify(out))\n\tquit(0)\n")
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    path = generated / "readme_examples.gd"
    path.write_text(script)
    code, output = launch_godot(["-s", "res://tests/generated/readme_examples.gd"], headless=True)
    assert code == 0, output[-3000:]
    assert "ERROR" not in output, output[-3000:]
    line = next(x for x in output.splitlines() if x.startswith("README_RESULT "))
    net, graph = json.loads(line[len("README_RESULT "):])
    types = [op["type"] for op in net["ops"]]
    assert types == ["dense", "batch_norm", "activation", "dense", "layer_norm", "activation", "dense", "add",
                     "dropout", "dense", "activation"]
    assert len(net["y"][0]) == 3 and abs(sum(net["y"][0]) - 1.0) < 1e-5  # softmax rows
    assert net["params"] == 6  # 4 dense, batch_norm, layer_norm
    assert [op["type"] for op in graph["ops"]] == ["dense", "activation", "dense", "add", "dense"]
    assert graph["ops"][3]["inputs"] == [1, 3] and len(graph["y"][0]) == 3


CATALOGUE_SECTION = "## Catalogue reference"


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(title):]
    return section[:section.index("\n## ", 1)]


def test_the_catalogue_example_runs_as_written(tmp_path: Path) -> None:
    """The initializer example: no error, and after its last line (torch_linear) weights and biases lie in
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), biases included."""
    blocks = re.findall(r"```gdscript\n(.*?)```", _section(CATALOGUE_SECTION), re.DOTALL)
    assert len(blocks) == 1, "the README's catalogue section changed: update this test"
    body = textwrap.indent(blocks[0], "\t")
    script = ("extends SceneTree\n\nfunc _example() -> Array:\n" + body + "\treturn net.get_parameters()\n\n"
              "func _init() -> void:\n\tprint(\"README_RESULT \" + JSON.stringify(_example()))\n\tquit(0)\n")
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "readme_catalogue.gd").write_text(script)
    code, output = launch_godot(["-s", "res://tests/generated/readme_catalogue.gd"], headless=True)
    assert code == 0 and "ERROR" not in output, output[-3000:]
    line = next(x for x in output.splitlines() if x.startswith("README_RESULT "))
    params = json.loads(line[len("README_RESULT "):])
    for p, fan_in in zip(params, (4, 64), strict=True):
        bound = 1.0 / fan_in ** 0.5
        for name in ("weight", "bias"):
            values = p[name]
            assert all(abs(v) <= bound * (1 + 1e-6) for v in values), name
            assert max(abs(v) for v in values) > bound / 2, f"{name}: not drawn"


def test_the_catalogue_links_are_pages_the_build_writes() -> None:
    import sys
    sys.path.insert(0, str(ROOT / "codegen"))
    from lk_codegen import catalogue, kernels
    links = re.findall(r"\]\((build/gen/kernels/[^)]+)\)", _section(CATALOGUE_SECTION))
    assert len(links) == 4
    pages = kernels.render(catalogue.load())
    for link in links:
        assert link.removeprefix("build/gen/kernels/") in pages, link
