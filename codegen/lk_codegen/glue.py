"""Generates the registration glue for LearnKit's GDScript-facing classes from codegen/spec/api.yaml.

Outputs (build/gen/glue/): register_classes.cpp (ptrcall + Variant call functions for every method, the class,
property, signal and enum registrations, the engine singleton), glue.hpp (register/unregister, typed signal
emitters) and doc_classes/<Class>.xml (the class reference shown in the editor's help).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

from . import catalogue, catalogue_docs, spec_yaml
from .output import REPO, environment, stamp, write_if_changed

SPEC = REPO / "codegen" / "spec" / "api.yaml"
CATALOGUE = REPO / "codegen" / "spec"
TEMPLATES = ["register_classes.cpp", "glue.hpp", "class_doc.xml"]

_SIMPLE = {
    "bool": ("bool", "GDEXTENSION_VARIANT_TYPE_BOOL"),
    "int": ("int64_t", "GDEXTENSION_VARIANT_TYPE_INT"),
    "float": ("double", "GDEXTENSION_VARIANT_TYPE_FLOAT"),
    "String": ("gd::String", "GDEXTENSION_VARIANT_TYPE_STRING"),
    "Array": ("gd::Array", "GDEXTENSION_VARIANT_TYPE_ARRAY"),
    "Dictionary": ("gd::Dictionary", "GDEXTENSION_VARIANT_TYPE_DICTIONARY"),
    "PackedFloat32Array": ("gd::PackedFloat32Array", "GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY"),
    "PackedInt32Array": ("gd::PackedInt32Array", "GDEXTENSION_VARIANT_TYPE_PACKED_INT32_ARRAY"),
    "PackedByteArray": ("gd::PackedByteArray", "GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY"),
    "Variant": ("gd::Variant", "GDEXTENSION_VARIANT_TYPE_NIL"),
}


class SpecError(Exception):
    """An api.yaml entry the generator cannot turn into glue; the message names the class and member."""


# Engine classes an api.yaml class may inherit, and whether they are reference counted (then our C++ holds
# them through lk::ExtRef, and scripts through Ref). A Resource can be saved, loaded and duplicated by Godot
# through its stored properties (see the property keys `storage` and `editor`). A Node is made by the scene
# system (a .tscn, Node.new()) and freed with its tree, so it is not reference counted: C++ holds it as a pointer.
PARENTS = {"Object": False, "RefCounted": True, "Resource": True, "Node": False}
# Parents whose instances are Resources: a property of such a class gets the inspector's resource picker.
_RESOURCE_PARENTS = {"Resource"}

# PropertyHint values (core/object/object.h): the inspector's editor for a property.
_HINT_ENUM, _HINT_RESOURCE_TYPE = 2, 17

# PropertyUsageFlags (core/object/object.h), as the names in godot/registry.hpp.
_USAGE_STORAGE, _USAGE_EDITOR, _USAGE_READ_ONLY = "lk::reg::USAGE_STORAGE", "lk::reg::USAGE_EDITOR", \
    "lk::reg::USAGE_READ_ONLY"


@dataclass
class Type:
    spec: str          # as written in api.yaml
    cpp: str           # C++ type of the implementation's parameter / return
    variant: str       # GDExtensionVariantType enumerator
    class_name: str    # PropertyInfo.class_name ("" / "LKNetwork" / "LearnKit.ActivationType")
    flags: tuple[str, ...]  # PropertyInfo.usage flags the type itself needs (CLASS_IS_ENUM, NIL_IS_VARIANT)
    doc_type: str      # type attribute in the class reference XML
    enum: str = ""     # "LearnKit.ActivationType" for enum types

    @property
    def usage(self) -> str:
        """PropertyInfo.usage of an argument, return value or signal argument of this type."""
        return " | ".join(("lk::reg::USAGE_DEFAULT", *self.flags))


@dataclass
class Property:
    name: str
    type: Type
    readonly: bool
    storage: bool   # saved by ResourceSaver and copied by duplicate() (PROPERTY_USAGE_STORAGE)
    editor: bool    # shown in the inspector (PROPERTY_USAGE_EDITOR; read-only there when readonly)
    doc: str
    hint: int = 0          # PropertyHint: a resource picker for Resource classes, a drop-down for `choices`
    hint_string: str = ""

    @property
    def usage(self) -> str:
        flags = [f for f, on in ((_USAGE_STORAGE, self.storage), (_USAGE_EDITOR, self.editor),
                                 (_USAGE_READ_ONLY, self.editor and self.readonly)) if on]
        return " | ".join([*flags, *self.type.flags]) or "0"


@dataclass
class Param:
    name: str
    type: Type
    default_cpp: str | None = None
    default_doc: str | None = None


@dataclass
class Method:
    name: str
    cpp: str
    ret: Type | None
    args: list[Param]
    doc: str
    accessor: bool = False  # a property's getter/setter (documented as the property, not as a method)
    where: str = ""         # the name error messages give it: "nn.trainer", "LKTrainer.schedule" (see _name_paths)

    @property
    def required(self) -> int:
        return sum(1 for a in self.args if a.default_cpp is None)

    def refusal(self, p: Param) -> str:
        """What the glue does with a refused object argument (marshal::Refusal): a setter keeps the property's
        value; where null is a valid value (a null default) the call is refused, or it would silently mean "none";
        elsewhere the method gets null and fails the way it does for null."""
        if self.accessor:
            return "marshal::Refusal::KEEP_VALUE"
        return "marshal::Refusal::CALL_REFUSED" if p.default_doc == "null" else "marshal::Refusal::READ_AS_NULL"


@dataclass
class Cls:
    name: str
    inherits: str
    impl: str
    doc: str
    singleton: bool
    methods: list[Method] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    signals: list[dict] = field(default_factory=list)
    enums: list[tuple[str, list[tuple[str, int, str]]]] = field(default_factory=list)  # (name, value, doc)
    description: str = ""  # appended to doc in the class reference (api.yaml `doc_catalogue`)


def _catalogue(kind: str) -> list[str]:
    """Enum value names of a kernel-catalogue spec, in its order (the C++ enums use the same order)."""
    path = CATALOGUE / f"{kind}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if kind not in data:
        raise SpecError(f"{path.name}: no top-level {kind!r} list")
    return [entry["name"].upper() for entry in data[kind]]


class _Resolver:
    def __init__(self, classes: dict[str, dict], enums: dict[str, list[str]]):
        self.classes = classes
        self.enums = enums

    def type(self, spec: str, where: str) -> Type:
        if spec in _SIMPLE:
            cpp, variant = _SIMPLE[spec]
            flags = ("lk::reg::USAGE_NIL_IS_VARIANT",) if spec == "Variant" else ()
            return Type(spec, cpp, variant, "", flags, spec)
        if spec.startswith("enum:"):
            enum = spec[5:]
            if enum != "Error" and enum not in self.enums:
                raise SpecError(f"{where}: unknown enum {enum!r}")
            return Type(spec, "int64_t", "GDEXTENSION_VARIANT_TYPE_INT", enum, ("lk::reg::USAGE_CLASS_IS_ENUM",),
                        "int", enum)
        if spec in self.classes:
            refcounted = PARENTS.get(self.classes[spec].get("inherits"), False)
            cpp = f"lk::ExtRef<lk::api::{spec}>" if refcounted else f"lk::api::{spec}*"
            return Type(spec, cpp, "GDEXTENSION_VARIANT_TYPE_OBJECT", spec, (), spec)
        raise SpecError(f"{where}: unknown type {spec!r}")

    def default(self, t: Type, value: object, where: str) -> tuple[str, str]:
        """(C++ expression, GDScript text) of a default value."""
        if value is None:
            if t.variant not in ("GDEXTENSION_VARIANT_TYPE_OBJECT", "GDEXTENSION_VARIANT_TYPE_NIL"):
                raise SpecError(f"{where}: null default for a {t.spec}")
            return f"{t.cpp}{{}}", "null"
        if t.enum:
            names = self.enums.get(t.enum, [])
            if value not in names:
                raise SpecError(f"{where}: default {value!r} is not a value of {t.enum} ({names})")
            return str(names.index(value)), f"{t.enum.split('.')[-1]}.{value}"
        if t.spec == "bool":
            return ("true" if value else "false"), ("true" if value else "false")
        if t.spec == "int":
            return f"int64_t({int(value)})", str(int(value))
        if t.spec == "float":
            if math.isnan(value):  # YAML .nan: "the default of whatever this depends on" (alpha: the activation's)
                return "double(NAN)", "NAN"
            return f"double({float(value)!r})", repr(float(value))
        if t.spec == "String":
            return f"gd::String({json.dumps(str(value))})", json.dumps(str(value))
        if t.spec == "Variant" and isinstance(value, str):  # a Variant holding a String (init: "kaiming")
            return f"gd::Variant({json.dumps(value)})", json.dumps(value)
        if t.spec in ("Array", "Dictionary") and value in ([], {}):
            return f"{t.cpp}()", "[]" if t.spec == "Array" else "{}"
        raise SpecError(f"{where}: cannot express default {value!r} for type {t.spec}")


_KEYS = {
    "class": {"name", "inherits", "doc", "impl", "singleton", "enums", "properties", "methods", "signals",
              "doc_catalogue"},
    "method": {"name", "returns", "args", "doc", "cpp"},
    "property": {"name", "type", "doc", "readonly", "storage", "editor", "choices"},
    "signal": {"name", "args", "doc"},
    "arg": {"name", "type", "default"},
}


def _check_keys(kind: str, entry: dict, where: str) -> None:
    unknown = set(entry) - _KEYS[kind]
    if unknown:
        line = getattr(entry, "line", "?")
        raise SpecError(f"api.yaml:{line}: {where}: unknown key(s) {sorted(unknown)}; known: {sorted(_KEYS[kind])}")


def _read_spec() -> dict:
    """api.yaml with duplicate keys rejected (plain YAML would keep the last one silently)."""
    try:
        spec = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=spec_yaml.Loader)
    except yaml.YAMLError as e:
        raise SpecError(f"api.yaml: {e}") from e
    for c in spec["classes"]:
        _check_keys("class", c, c.get("name", "?"))
        for kind, key in (("method", "methods"), ("property", "properties"), ("signal", "signals")):
            for m in c.get(key) or []:
                _check_keys(kind, m, f"{c.get('name')}.{m.get('name')}")
                for a in m.get("args") or []:
                    _check_keys("arg", a, f"{c.get('name')}.{m.get('name')}({a.get('name')})")
    names = [c["name"] for c in spec["classes"]]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise SpecError(f"api.yaml: classes declared twice: {sorted(dupes)}")
    return spec


def load() -> tuple[list[Cls], str]:
    spec = _read_spec()
    raw = {c["name"]: c for c in spec["classes"]}
    enums: dict[str, list[str]] = {}
    for c in spec["classes"]:
        for ename, src in (c.get("enums") or {}).items():
            enums[f"{c['name']}.{ename}"] = _catalogue(src["catalogue"])
    res = _Resolver(raw, enums)
    out = []
    for c in spec["classes"]:
        name = c["name"]
        if c.get("inherits") not in PARENTS:
            raise SpecError(f"api.yaml: {name}: inherits is {c.get('inherits')!r}; expected one of {sorted(PARENTS)}")
        cls = Cls(name, c["inherits"], c["impl"], c.get("doc", ""), bool(c.get("singleton")))
        for ename, src in (c.get("enums") or {}).items():
            docs = catalogue_docs.enum_docs(src["catalogue"])
            cls.enums.append((ename, [(v, i, docs[i]) for i, v in enumerate(enums[f"{name}.{ename}"])]))
        if "doc_catalogue" in c:
            if c["doc_catalogue"] not in catalogue_docs.DESCRIPTIONS:
                raise SpecError(f"api.yaml: {name}: doc_catalogue is {c['doc_catalogue']!r}; expected one of "
                                f"{sorted(catalogue_docs.DESCRIPTIONS)}")
            cls.description = catalogue_docs.DESCRIPTIONS[c["doc_catalogue"]]()
        for p in c.get("properties") or []:
            where = f"api.yaml:{getattr(p, 'line', '?')}: {name}.{p['name']}"
            t = res.type(p["type"], where)
            cls.properties.append(_property(p, t, where, raw))
            cls.methods.append(Method(f"get_{p['name']}", f"get_{p['name']}", t, [], f"Getter of {p['name']}.", True))
            if not p.get("readonly"):
                cls.methods.append(Method(f"set_{p['name']}", f"set_{p['name']}", None,
                                          [Param("value", t)], f"Setter of {p['name']}.", True))
        for m in c.get("methods") or []:
            where = f"api.yaml: {name}.{m['name']}"
            ret = res.type(m["returns"], where) if m.get("returns") else None
            params = []
            for a in m.get("args") or []:
                t = res.type(a["type"], f"{where}({a['name']})")
                p = Param(a["name"], t)
                if "default" in a:
                    p.default_cpp, p.default_doc = res.default(t, a["default"], f"{where}({a['name']})")
                elif params and params[-1].default_cpp is not None:
                    raise SpecError(f"{where}: argument {a['name']!r} without a default follows one with a default")
                params.append(p)
            cls.methods.append(Method(m["name"], m.get("cpp", m["name"]), ret, params, m.get("doc", "")))
        seen: set[str] = set()
        for m in cls.methods:
            if m.name in seen:
                raise SpecError(f"api.yaml: {name}.{m.name} is declared twice (a method, or a property's getter/setter)")
            seen.add(m.name)
        for s in c.get("signals") or []:
            args = [Param(a["name"], res.type(a["type"], f"api.yaml: {name}.{s['name']}")) for a in s["args"]]
            cls.signals.append({"name": s["name"], "args": args, "doc": s.get("doc", "")})
        out.append(cls)
    _name_paths(out, spec["singleton"])
    return out, spec["singleton"]


def _name_paths(classes: list[Cls], singleton: str) -> None:
    """Sets Method.where to the name a script uses: the singleton's methods and its Object sub-objects' by their
    path under the singleton ("trainer", "nn.trainer", "nn.schedular.cosine"), other classes' by class name
    ("LKTrainer.fit"); a property's accessors by the property ("LKTrainer.schedule")."""
    by_name = {c.name: c for c in classes}
    prefix = {singleton: ""}
    todo = [singleton]
    while todo:
        c = by_name[todo.pop()]
        for p in c.properties:
            sub = by_name.get(p.type.spec)
            if sub and sub.inherits == "Object" and sub.name not in prefix:
                prefix[sub.name] = f"{prefix[c.name]}{p.name}."
                todo.append(sub.name)
    for c in classes:
        pre = prefix.get(c.name, f"{c.name}.")
        for m in c.methods:
            m.where = f"{pre}{m.name[4:]}" if m.accessor else f"{pre}{m.name}"


def _flag(p: dict, key: str, default: bool, where: str) -> bool:
    value = p.get(key, default)
    if not isinstance(value, bool):
        raise SpecError(f"{where}: {key} is {value!r}; expected true or false")
    return value


def _property(p: dict, t: Type, where: str, classes: dict[str, dict]) -> Property:
    """A property with its usage: stored unless read-only (Godot's default for script properties), and a
    read-only property can never be stored: loading a saved file would call a setter that does not exist.
    Its hint: a Resource class gets the inspector's resource picker (what @export var x: LKNetwork gets), a
    String with `choices` a drop-down of those values."""
    readonly = _flag(p, "readonly", False, where)
    storage = _flag(p, "storage", not readonly, where)
    if readonly and storage:
        raise SpecError(f"{where}: storage: true on a readonly property (a saved value could not be set back "
                        "on load); store the state it is computed from instead")
    # A read-only object (LearnKit.data, LKBrain.trainer) is not for the inspector, and with EDITOR usage Godot's
    # editor reads it as the property's default value and warns "Instantiated X used as default value" at every
    # start (ClassDB::class_get_default_property_value, collected for STORAGE or EDITOR usage).
    object_valued = t.variant == "GDEXTENSION_VARIANT_TYPE_OBJECT"
    editor = _flag(p, "editor", not (readonly and object_valued), where)
    prop = Property(p["name"], t, readonly, storage, editor, p.get("doc", ""))
    if t.spec in classes and classes[t.spec].get("inherits") in _RESOURCE_PARENTS:
        prop.hint, prop.hint_string = _HINT_RESOURCE_TYPE, t.spec
    if "choices" in p:
        choices = p["choices"]
        if t.spec != "String" or not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise SpecError(f"{where}: choices is {choices!r}; expected a list of strings on a String property")
        prop.hint, prop.hint_string = _HINT_ENUM, ",".join(choices)
    return prop


def inputs() -> list[Path]:
    return [SPEC, Path(__file__), Path(__file__).with_name("output.py"), Path(catalogue.__file__),
            Path(spec_yaml.__file__), Path(catalogue_docs.__file__), Path(catalogue.__file__).with_name("initializers.py"),
            Path(catalogue.__file__).with_name("dialect.py")] + [CATALOGUE / f"{k}.yaml" for k in
                                     ("activations", "losses", "optimizers", "initializers")] + \
        [REPO / "templates" / "glue" / f"{t}.j2" for t in TEMPLATES]


def outputs(out_dir: Path) -> list[Path]:
    classes, _ = load()
    return [out_dir / "register_classes.cpp", out_dir / "glue.hpp"] + \
        [out_dir / "doc_classes" / f"{c.name}.xml" for c in classes]


def generate(out_dir: Path) -> list[Path]:
    classes, singleton = load()
    env = environment()
    env.filters["xml"] = lambda s: escape(str(s), {'"': "&quot;"})  # attributes too: default="&quot;kaiming&quot;"
    src = "codegen/spec/api.yaml + templates/glue/{}.j2"
    doc = env.get_template("glue/class_doc.xml.j2")
    docs = {}
    for c in classes:
        docs[c.name] = '<?xml version="1.0" encoding="UTF-8" ?>\n' + doc.render(c=c)
        write_if_changed(out_dir / "doc_classes" / f"{c.name}.xml",
                         docs[c.name].replace("?>\n", "?>\n" + stamp(src.format("class_doc.xml"), "<!--").rstrip()
                                              + " -->\n", 1))
    for t in ("register_classes.cpp", "glue.hpp"):
        text = env.get_template(f"glue/{t}.j2").render(classes=classes, singleton=singleton, docs=docs)
        write_if_changed(out_dir / t, stamp(src.format(t)) + text)
    return outputs(out_dir)
