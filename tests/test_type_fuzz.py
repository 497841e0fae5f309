"""Type fuzzing of the whole GDScript-facing API, generated from codegen/spec/api.yaml: every method and every
property setter of every class is called with each wrong value of WRONG in place of one argument (the other
arguments valid), through the Variant path (Object.callv / Object.set) and, where GDScript's static types allow
the value, through the typed ptrcall path (a GDScript file generated here). A new method or property in api.yaml
is fuzzed without touching this file. One Godot launch per backend runs every call (godot_project/tests/cases/
fuzz.gd).

What each call must do (judge()): never crash; an object that is not exactly the declared class (another LearnKit
class, an engine object, a freed object) prints the glue's error naming what was expected; a call that prints no
error returns a sane value (an object of the declared class, a finite float, OK); a setter that prints no error
took the value (or, through Object.set() with a non-convertible type, Godot kept the old one, which is Godot's
own rule for set()); and an object a call returned or changed, used in a follow-up (a 2-epoch fit, a predict),
either errors or gives finite numbers.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, BackendResults
from lk import BACKENDS

sys.path.insert(0, str(ROOT / "codegen"))
from lk_codegen import glue

pytestmark = pytest.mark.usefixtures("godot_ready")

# Wrong values (built by fuzz.gd's wrong()) and their Variant type, as api.yaml spells types.
WRONG = {
    "null": "Nil", "true": "bool",
    "int_-1": "int", "int_0": "int", "int_max": "int", "int_min": "int", "int_2^62+1": "int",
    "float_1.5": "float", "nan": "float", "inf": "float", "-inf": "float", "float_-1e300": "float",
    "string": "String", "string_empty": "String", "string_huge": "String", "string_name": "StringName",
    "node_path": "NodePath", "vector2": "Vector2", "vector3i": "Vector3i", "color": "Color", "rect2": "Rect2",
    "transform3d": "Transform3D", "rid": "RID", "callable": "Callable", "signal": "Signal",
    "dictionary": "Dictionary", "array": "Array", "array_huge": "Array", "array_of_rows_nan": "Array",
    "packed_byte": "PackedByteArray", "packed_int32": "PackedInt32Array", "packed_int64": "PackedInt64Array",
    "packed_float32": "PackedFloat32Array", "packed_float32_huge": "PackedFloat32Array",
    "packed_float64": "PackedFloat64Array", "packed_string": "PackedStringArray",
    "packed_vector2": "PackedVector2Array", "engine_object": "Object", "freed_object": "Object",
}

# Valid values of the other arguments (fuzz.gd's fixture() keys; "lit:" + JSON for literals), by argument name
# and type, then by type. The fixtures' networks are 4 -> 3 and their data 2 rows.
VALID_BY_NAME = {
    ("inputs", "Array"): "rows4", ("targets", "Array"): "rows3",
    ("inputs", "PackedFloat32Array"): "flat4", ("targets", "PackedFloat32Array"): "flat3",
    ("data", "PackedFloat32Array"): "flat4", ("rows", "int"): "lit:2",
    ("layers", "Array"): "layers", ("layer_sizes", "Array"): "lit:[4, 3]", ("labels", "Array"): "lit:[0, 1]",
    ("parameters", "Array"): "params", ("options", "Dictionary"): 'lit:{"epochs": 2, "batch_size": 2}',
    ("model", "Dictionary"): "model", ("activation", "String"): 'lit:"relu"', ("init", "String"): 'lit:"kaiming"',
    ("type", "String"): 'lit:"dropout"', ("name", "String"): 'lit:"relu"', ("device", "String"): "device",
    ("path", "String"): "export_path", ("kind", "String"): 'lit:"sgd"', ("loss", "String"): 'lit:"mse"',
    ("row", "Variant"): "flat4", ("input", "Variant"): "flat4", ("target", "Variant"): "flat3",
}
VALID_BY_TYPE = {
    "int": "lit:2", "float": "lit:0.05", "bool": "lit:true", "String": 'lit:"x"', "Array": "lit:[]",
    "Dictionary": "lit:{}", "PackedFloat32Array": "flat4", "PackedInt32Array": "packed_int32",
    "PackedByteArray": "packed_byte", "Variant": "lit:null",
    "LKNetwork": "net", "LKSchedule": "schedule", "LKOptimizer": "optimizer",
}
# The object each method is called on (fixture keys); the singleton and its sub-objects by their path.
RECEIVERS = {"LKTrainer": "trainer", "LKOptimizer": "optimizer", "LKSchedule": "schedule", "LKNetwork": "net",
             "LKDense": "dense", "LKLayer": "layer", "LKSplit": "split", "LKHistory": "history",
             "LKBrain": "brain"}
# Follow-ups (fuzz.gd _follow()): what is done with a changed receiver / a returned object afterwards.
SETTER_FOLLOW = {"LKTrainer": "fit_trainer", "LKOptimizer": "fit_with_optimizer", "LKNetwork": "predict_network"}
RETURN_FOLLOW = {"LKOptimizer": "fit_with_optimizer", "LKSchedule": "fit_with_schedule", "LKTrainer": "fit_trainer",
                 "LKNetwork": "predict_network"}
# NOTE slow by request: a trainer asked for 2^62 epochs would train for 2^30 (the cap); its follow-up fit is
# skipped (the call itself is still fuzzed).
NO_FOLLOW = {("epochs", "int_max"), ("epochs", "int_2^62+1")}


@dataclass
class Target:
    cls: glue.Cls
    method: glue.Method
    prop: str  # the property a setter sets ("" for a method)

    @property
    def id(self) -> str:
        return f"{self.cls.name}.{self.prop or self.method.name}"


def type_name(t: glue.Type) -> str:
    return "int" if t.enum else t.spec


def is_object(t: glue.Type) -> bool:
    return t.variant == "GDEXTENSION_VARIANT_TYPE_OBJECT"


@functools.cache
def targets() -> tuple[list[Target], list[glue.Cls], str]:
    classes, singleton = glue.load()
    out = []
    for c in classes:
        setters = {f"set_{p.name}": p.name for p in c.properties if not p.readonly}
        for m in c.methods:
            if m.args and (not m.accessor or m.name in setters):
                out.append(Target(c, m, setters.get(m.name, "") if m.accessor else ""))
    return out, classes, singleton


def receivers(classes: list[glue.Cls], singleton: str) -> dict[str, str]:
    """Fixture keys of every class: RECEIVERS, the singleton's Object sub-objects by path, else a default one."""
    by_name = {c.name: c for c in classes}
    out = {singleton: "path:"}
    todo = [singleton]
    while todo:
        c = by_name[todo.pop()]
        for p in c.properties:
            sub = by_name.get(p.type.spec)
            if sub and sub.inherits == "Object" and sub.name not in out:
                out[sub.name] = f"{out[c.name]}{'.' if out[c.name] != 'path:' else ''}{p.name}"
                todo.append(sub.name)
    return {c.name: RECEIVERS.get(c.name, out.get(c.name, f"lk:{c.name}")) for c in classes}


def wrong_values(classes: list[glue.Cls]) -> dict[str, str]:
    """Every wrong value, with one object of every LearnKit class."""
    return {**WRONG, **{f"lk:{c.name}": c.name for c in classes}}


def valid(p: glue.Param) -> str:
    t = type_name(p.type)
    return VALID_BY_NAME.get((p.name, t)) or VALID_BY_TYPE.get(t) or f"lk:{t}"


def ptr_allowed(p: glue.Param, vtype: str) -> bool:
    """Whether GDScript can pass the value through a variable of the argument's static type."""
    t = type_name(p.type)
    return t == "Variant" or vtype == t or (vtype == "Nil" and is_object(p.type))


def follow_up(target: Target, p: glue.Param, key: str) -> str:
    if (p.name, key) in NO_FOLLOW or (target.prop and (target.prop, key) in NO_FOLLOW):
        return ""
    if target.prop:
        return SETTER_FOLLOW.get(target.cls.name, "")
    return RETURN_FOLLOW.get(target.method.ret.spec, "") if target.method.ret else ""


def ptr_function(target: Target) -> str:
    """A GDScript function making the target's call with statically typed receiver and arguments."""
    m, name = target.method, target.id.replace(".", "__")
    # NOTE: a variable typed as the singleton's class (var r: LearnKit) breaks GDScript 4.6.3 ("Internal script
    # error! Opcode: 28"); the singleton's own identifier is statically typed too.
    singleton = target.cls.singleton
    lines = [f"static func {name}(o: Object, a: Array) -> Variant:",
             "\tvar _o := o" if singleton else f"\tvar r: {target.cls.name} = o"]
    if target.prop:
        lines += [f"\tvar a0: {type_name(m.args[0].type)} = a[0]", f"\tr.{target.prop} = a0", "\treturn null"]
    else:
        for n in range(m.required, len(m.args) + 1):
            lines.append(f"\tif a.size() == {n}:")
            lines += [f"\t\tvar a{i}: {type_name(p.type)} = a[{i}]" for i, p in enumerate(m.args[:n])]
            call = f"{target.cls.name if singleton else 'r'}.{m.name}({', '.join(f'a{i}' for i in range(n))})"
            lines.append(f"\t\t{'return ' if m.ret else ''}{call}")
        lines.append("\treturn null")
    return "\n".join(lines) + "\n"


def make_cases(ptr_path: Path) -> list[dict]:
    found, classes, singleton = targets()
    recv = receivers(classes, singleton)
    values = wrong_values(classes)
    functions = ["extends RefCounted\n## Generated by tests/test_type_fuzz.py: typed (ptrcall) calls.\n"]
    cases = []
    for t in found:
        calls = []
        for i, p in enumerate(t.method.args):
            for key, vtype in values.items():
                calls.append([i, key, follow_up(t, p, key), ptr_allowed(p, vtype)])
        functions.append(ptr_function(t))
        cases.append({"id": f"fuzz-{t.id}", "kind": "fuzz.calls", "receiver": recv[t.cls.name],
                      "method": t.method.name, "property": t.prop, "required": t.method.required,
                      "valid": [valid(p) for p in t.method.args], "calls": calls,
                      "ptrcall": str(ptr_path), "ptr_function": t.id.replace(".", "__")})
    ptr_path.write_text("\n\n".join(functions))
    owned = [key for name, key in recv.items() if key.startswith("path:")]
    cases.append({"id": "free-owned", "kind": "fuzz.free_owned", "paths": owned})
    return cases


def judge(target: Target, rec: dict) -> list[str]:
    """What is wrong with one call's record (empty: fine)."""
    p = target.method.args[rec["i"]]
    declared = type_name(p.type)
    vtype = wrong_values([])[rec["v"]] if not rec["v"].startswith("lk:") else rec["v"][3:]
    errors = rec["e"]
    problems = []
    if rec.get("se"):
        problems.append(f"a script error: {rec['m']}")
    if is_object(p.type) and rec["v"] != "null" and vtype != declared:
        got_object = vtype == "Object" or rec["v"].startswith("lk:")
        if got_object and f"expected an {declared}" not in rec["m"]:
            problems.append(f"no error naming the expected class {declared} (first error: {rec['m'] or 'none'})")
        elif not got_object and not errors and not (target.prop and rec.get("kept")):
            problems.append("a non-object value for an object argument was taken silently")
    if not errors:
        ret = target.method.ret
        r = rec.get("r", {})
        if target.prop:
            # Another type is converted by Godot's rules (true -> 1.0) or, through Object.set(), refused silently
            # (Godot's own rule for set()): only a value of the declared type must read back as it was set.
            if vtype == declared and not rec.get("same"):
                problems.append("the setter printed no error but the property does not read back the value")
        elif ret and is_object(ret) and not (r.get("t") == "object" and r.get("class") == ret.spec):
            problems.append(f"no error, but returned {r} instead of an {ret.spec}")
        elif ret and ret.spec == "float" and not r.get("finite"):
            problems.append("no error, but returned a non-finite float")
        elif ret and ret.enum == "Error" and r.get("v") != 0:
            problems.append(f"no error, but returned Error {r.get('v')}")
    f = rec.get("f")
    if f and f.get("se"):
        problems.append(f"a script error in the follow-up: {f['m']}")
    if f and not errors and not f["e"] and not f["w"] and not f["finite"]:
        problems.append(f"nothing printed, but the follow-up ({follow_up(target, p, rec['v'])}) gave non-finite "
                        "numbers")
    return problems


ALL_TARGETS = targets()[0]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> BackendResults:
    return BackendResults(lambda backend: make_cases(tmp_path_factory.mktemp(f"fuzz-{backend}") / "ptrcall.gd"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_call_is_reported_without_a_crash(results: BackendResults, backend: str) -> None:
    res = results[backend]
    failed = {k: v["error"] for k, v in res.items() if not v["ok"] and k != "free-owned"}
    assert not failed, f"cases that crashed or failed: {json.dumps(failed, indent=1)[:6000]}"
    assert res.exit_codes == [0], f"Godot exited with {res.exit_codes}"
    calls = sum(len(v.get("records", [])) for v in res.values())
    print(f"\n{backend}: {calls} calls fuzzed over {len(res) - 1} methods and setters in {res.seconds:.1f} s")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", ALL_TARGETS, ids=[t.id for t in ALL_TARGETS])
def test_wrong_values_are_refused_or_harmless(results: BackendResults, backend: str, target: Target) -> None:
    r = results[backend][f"fuzz-{target.id}"]
    assert r["ok"], r["error"]
    values = wrong_values(targets()[1])
    assert sum(rec["p"] == "call" for rec in r["records"]) == len(target.method.args) * len(values), "calls missing"
    problems = []
    for rec in r["records"]:
        problems += [f"{target.id} arg {target.method.args[rec['i']].name} = {rec['v']} ({rec['p']}): {why}"
                     for why in judge(target, rec)]
    assert not problems, "\n".join(problems[:40]) + (f"\n... {len(problems)} in all" if len(problems) > 40 else "")


@pytest.mark.parametrize("backend", BACKENDS)
def test_objects_owned_by_the_singleton_refuse_free(results: BackendResults, backend: str) -> None:
    """LearnKit, LearnKit.nn, .data, .evaluate, .serialize, nn.schedular (every Object-class path in api.yaml):
    free() prints an error and the object keeps working (it used to crash, or abort at exit: issue 12)."""
    r = results[backend]["free-owned"]
    assert r["ok"], r["error"]
    assert r["paths"], "no owned objects found in api.yaml"
    for path, outcome in r["paths"].items():
        assert outcome["alive"], f"{path or 'LearnKit'} was freed"
        assert "free() refused" in outcome["m"], f"{path or 'LearnKit'}: no error on free(): {outcome['m']!r}"
    assert results[backend].exit_codes == [0]
