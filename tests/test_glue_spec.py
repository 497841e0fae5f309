"""codegen/spec/api.yaml validation: the property usage keys (storage, editor), Resource and Node parents and
property hints (choices). Each bad
spec fails generation with a message that names the class and member (and, for properties, the api.yaml line)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "codegen"))
from lk_codegen import glue

DEVICE = '      - {name: device, type: String, storage: false, doc:'
GET_LAYERS = "      - {name: get_layers, returns: Array,"
LAYER_COUNT = '      - {name: layer_count, type: int, readonly: true, doc:'


def _load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str):
    text = glue.SPEC.read_text(encoding="utf-8")
    assert old in text, f"the test's text is not in api.yaml: {old!r}"
    spec = tmp_path / "api.yaml"
    spec.write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(glue, "SPEC", spec)
    return glue.load()


def test_the_real_spec_gives_a_resource_with_one_stored_property() -> None:
    classes, _ = glue.load()
    net = next(c for c in classes if c.name == "LKNetwork")
    assert net.inherits == "Resource"
    assert [p.name for p in net.properties if p.storage] == ["model"]
    usage = {p.name: p.usage for p in net.properties}
    assert usage["model"] == "lk::reg::USAGE_STORAGE"
    assert usage["device"] == "lk::reg::USAGE_EDITOR"
    assert usage["layer_count"] == "lk::reg::USAGE_EDITOR | lk::reg::USAGE_READ_ONLY"
    # Every read-only property of every class is left out of saved files.
    assert not [f"{c.name}.{p.name}" for c in classes for p in c.properties if p.readonly and p.storage]


@pytest.mark.parametrize(("old", "new", "expected"), [
    (LAYER_COUNT, LAYER_COUNT.replace("readonly: true", "readonly: true, storage: true"),
     "LKNetwork.layer_count: storage: true on a readonly property"),
    (DEVICE, DEVICE.replace("storage: false", 'storage: "no"'), "LKNetwork.device: storage is 'no'"),
    (DEVICE, DEVICE.replace("storage: false", "editor: 0"), "LKNetwork.device: editor is 0"),
    (DEVICE, DEVICE.replace("storage: false", "stored: false"), "LKNetwork.device: unknown key(s) ['stored']"),
    ("    inherits: Resource\n", "    inherits: Node2D\n", "LKNetwork: inherits is 'Node2D'"),
    (LAYER_COUNT, LAYER_COUNT.replace("readonly: true", 'readonly: true, choices: ["1", "2"]'),
     "LKNetwork.layer_count: choices is ['1', '2']; expected a list of strings on a String property"),
    (DEVICE, DEVICE.replace("storage: false", "storage: false, choices: auto"),
     "LKNetwork.device: choices is 'auto'"),
    (GET_LAYERS, '      - {name: get_layer_count, returns: int, doc: "x"}\n' + GET_LAYERS,
     "LKNetwork.get_layer_count is declared twice"),
])
def test_bad_property_keys_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str,
                                       expected: str) -> None:
    with pytest.raises(glue.SpecError) as err:
        _load(tmp_path, monkeypatch, old, new)
    assert expected in str(err.value)


def test_node_class_with_inspector_hints() -> None:
    """LKBrain is a Node (held as a pointer, not reference counted); a property of a Resource class gets the
    resource picker (PROPERTY_HINT_RESOURCE_TYPE = 17), one with choices a drop-down (PROPERTY_HINT_ENUM = 2)."""
    classes, _ = glue.load()
    brain = next(c for c in classes if c.name == "LKBrain")
    assert brain.inherits == "Node" and glue.PARENTS["Node"] is False
    props = {p.name: p for p in brain.properties}
    assert (props["network"].hint, props["network"].hint_string) == (17, "LKNetwork")
    assert (props["device"].hint, props["device"].hint_string) == (2, "network,auto,cpu,gpu")
    assert (props["loss"].hint, props["loss"].hint_string) == (0, "")
    # Stored and shown: what a designer sets in the inspector is saved in the scene.
    assert props["network"].usage == "lk::reg::USAGE_STORAGE | lk::reg::USAGE_EDITOR"
    # Run-time state (the trainer it makes) is neither saved nor shown.
    assert props["trainer"].usage == "0"
def test_every_enum_constant_and_hyperparameter_is_documented(tmp_path: Path) -> None:
    """The class reference (doc_classes/*.xml) gives every enum constant its spec entry's doc (and parameters),
    and LKOptimizer's description lists every optimizer hyperparameter with its default and range."""
    import xml.etree.ElementTree as ET

    from lk_codegen import catalogue
    cat = catalogue.load()
    glue.generate(tmp_path)
    undocumented, constants = [], {}
    for xml in sorted((tmp_path / "doc_classes").glob("*.xml")):
        root = ET.parse(xml).getroot()
        for c in root.iter("constant"):
            text = (c.text or "").strip()
            constants[(root.get("name"), c.get("enum"), c.get("name"))] = text
            if not text:
                undocumented.append(f"{root.get('name')}.{c.get('name')}")
    assert not undocumented, f"enum constants without a description: {undocumented}"
    by_enum = {"ActivationType": cat.activations, "LossFunction": cat.losses, "OptimizerType": cat.optimizers,
               "WeightInitialization": cat.initializers}
    for enum, entries in by_enum.items():
        for entry in entries:
            text = constants[("LearnKit", enum, entry.name.upper())]
            assert text.startswith(entry.doc), (enum, entry.name, text)
            params = getattr(entry, "hyper", None) or getattr(entry, "params", {})
            for p in params:
                assert f"[code]{getattr(p, 'name', p)}[/code]" in text, (enum, entry.name, p)
    optimizer = ET.parse(tmp_path / "doc_classes" / "LKOptimizer.xml").getroot()
    description = optimizer.find("description").text or ""
    for h in cat.hyperparameters:
        assert f"[code]{h.name}[/code] (default {catalogue._num(h.default)}, {h.range_text}): {h.doc}" in description
