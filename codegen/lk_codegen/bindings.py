"""Generates LearnKit's small typed binding layer to Godot from the engine's own dumps.

Inputs: build/api/extension_api.json and gdextension_interface.json (dumped by the Godot that builds us) and
codegen/spec/bindings.yaml (the whitelist). Outputs in build/gen/godot/:
  gdx_interface.hpp/.cpp  the GDExtension interface functions we use, loaded once at start-up
  gd_builtins.hpp/.cpp    String, Array, Packed*Array, Dictionary, Variant ... (RAII wrappers + listed methods)
  gd_classes.hpp/.cpp     engine classes with the listed methods (ptrcall wrappers, cached method binds)
Encodings follow ../shared/notes/gdextension-without-godot-cpp.md section 3 (bool = 1 byte, int = int64,
float = double, objects = Object**, Ref returns = +1 reference owned by the caller).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .output import REPO, environment, stamp, write_if_changed

SPEC = REPO / "codegen" / "spec" / "bindings.yaml"
TEMPLATE_DIR = "bindings"
TEMPLATES = ["gdx_interface.hpp", "gdx_interface.cpp", "gd_builtins.hpp", "gd_builtins.cpp",
             "gd_classes.hpp", "gd_classes.cpp"]

# GDExtensionVariantType values of the builtins we wrap (header order, checked against the JSON below).
_POD = {"bool": "bool", "int": "int64_t", "float": "double"}


class SpecError(Exception):
    """A whitelist entry that the engine's dump does not support."""


@dataclass
class Arg:
    name: str
    cpp: str            # C++ parameter type as written in the wrapper signature
    kind: str           # pod_bool | pod_int | pod_float | builtin | variant | object | rid
    default: str | None = None


@dataclass
class Method:
    name: str
    cpp_name: str
    hash: int
    args: list[Arg]
    ret_cpp: str        # "void" or a C++ type
    ret_kind: str       # void | pod_bool | pod_int | pod_float | builtin | variant | object | ref | rid
    ret_class: str = ""
    is_static: bool = False
    is_const: bool = False
    is_vararg: bool = False


@dataclass
class EngineClass:
    name: str
    parent: str | None
    is_refcounted: bool
    is_singleton: bool
    methods: list[Method] = field(default_factory=list)
    enums: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _cpp_ident(name: str) -> str:
    return name + "_" if name in {"default", "class", "operator", "new", "delete", "free", "char", "int",
                                  "float", "bool", "enum", "struct", "union", "register", "signal"} else name


class _Types:
    """Maps extension_api.json type strings to C++ types and ptrcall encodings."""

    def __init__(self, api: dict, builtins: set[str], classes: dict[str, dict]):
        self.builtins = builtins
        self.classes = classes
        self.api_classes = {c["name"]: c for c in api["classes"]}
        self.used_enums: set[str] = set()

    def map(self, t: str, where: str) -> tuple[str, str, str]:
        """Returns (cpp type, kind, class name) for a JSON type string."""
        if t in ("enum::Error",):
            return "int64_t", "pod_int", ""
        if t.startswith(("enum::", "bitfield::")):
            self.used_enums.add(t.split("::", 1)[1])
            return "int64_t", "pod_int", ""
        if t == "bool":
            return "bool", "pod_bool", ""
        if t == "int":
            return "int64_t", "pod_int", ""
        if t == "float":
            return "double", "pod_float", ""
        if t == "RID":
            return "RID", "rid", ""
        if t == "Variant":
            return "Variant", "variant", ""
        if t.startswith("typedarray::"):
            t = "Array"
        if t in self.builtins:
            return t, "builtin", ""
        if t in self.api_classes:
            if t not in self.classes:
                raise SpecError(f"{where}: uses engine class {t}, which is not in {SPEC.name}'s classes")
            if self.api_classes[t]["is_refcounted"]:
                return f"Ref<{t}>", "ref", t
            return t, "object", t
        raise SpecError(f"{where}: type {t!r} is not bound (add it to {SPEC.name})")


def _default(arg: dict, cpp: str, kind: str) -> str | None:
    value = arg.get("default_value")
    if value is None:
        return None
    if kind == "pod_bool":
        return value
    if kind in ("pod_int", "pod_float") and re.fullmatch(r"-?[0-9.e+-]+", value):
        return value
    if value in ('""', "&\"\"", "null") or value.endswith(("()", "([])")):
        return f"{cpp}()" if not cpp.startswith("Ref<") else "{}"
    return None


def _method(cls: str, m: dict, types: _Types) -> Method:
    where = f"{cls}.{m['name']}"
    args = []
    for a in m.get("arguments", []):
        cpp, kind, _ = types.map(a["type"], where)
        args.append(Arg(_cpp_ident(a["name"]), cpp, kind, _default(a, cpp, kind)))
    # C++ needs defaults to be trailing: drop any default that precedes an argument without one.
    seen_required = False
    for a in reversed(args):
        if a.default is None:
            seen_required = True
        elif seen_required:
            a.default = None
    ret = m.get("return_value") or ({"type": m["return_type"]} if "return_type" in m else None)
    if ret is None:
        ret_cpp, ret_kind, ret_class = "void", "void", ""
    else:
        ret_cpp, ret_kind, ret_class = types.map(ret["type"], where)
    return Method(m["name"], _cpp_ident(m["name"]), m["hash"], args, ret_cpp, ret_kind, ret_class,
                  m.get("is_static", False), m.get("is_const", False), m.get("is_vararg", False))


def _load_inputs(api_dir: Path) -> tuple[dict, dict, dict]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    api = json.loads((api_dir / "extension_api.json").read_text(encoding="utf-8"))
    iface = json.loads((api_dir / "gdextension_interface.json").read_text(encoding="utf-8"))
    # The typedef names, as the header spells them (4.6.3 has "GDExtensionsInterfaceEditorHelpLoadXml...",
    # so they cannot be derived from the function names by a rule).
    header = (api_dir / "gdextension_interface.h").read_text(encoding="utf-8")
    iface["typedefs"] = {m.group(1).split("Interface", 1)[1]: m.group(1)
                         for m in re.finditer(r"\(\*(GDExtensions?Interface\w+)\)\(", header)}
    return spec, api, iface


def _interface(spec: dict, iface: dict) -> tuple[list[dict], str]:
    funcs = {f["name"]: f for f in iface["interface"]}
    out = []
    newest = (4, 1)
    optional = set(spec.get("optional_interface") or [])
    for name in list(spec["interface"]) + sorted(optional):
        f = funcs.get(name)
        if f is None:
            raise SpecError(f"{SPEC.name}: interface function {name!r} does not exist in this Godot")
        if f.get("deprecated"):
            dep = f["deprecated"]
            raise SpecError(f"{SPEC.name}: interface function {name!r} is deprecated since {dep.get('since')}"
                            f" (use {dep.get('replace_with')})")
        since = tuple(int(x) for x in f["since"].split("."))
        newest = max(newest, since)
        typedef = iface["typedefs"].get(_camel(name))
        if typedef is None:
            raise SpecError(f"{SPEC.name}: no typedef for interface function {name!r} in gdextension_interface.h")
        out.append({"name": name, "typedef": typedef, "optional": name in optional})
    return out, ".".join(str(x) for x in newest)


def _builtins(spec: dict, api: dict) -> list[dict]:
    sizes = next(s for s in api["builtin_class_sizes"] if s["build_configuration"] == "float_64")["sizes"]
    size_of = {s["name"]: s["size"] for s in sizes}
    by_name = {b["name"]: b for b in api["builtin_classes"]}
    out = []
    types = _Types(api, set(spec["builtins"]) | {"Variant"}, {})
    for name, methods in spec["builtins"].items():
        b = by_name.get(name)
        if b is None:
            raise SpecError(f"{SPEC.name}: builtin {name!r} does not exist")
        copy_ctor = next(c["index"] for c in b["constructors"]
                         if [a["type"] for a in c.get("arguments", [])] == [name])
        wanted = {m["name"]: m for m in b.get("methods", [])}
        bound = []
        for mname in methods:
            if mname not in wanted:
                raise SpecError(f"{SPEC.name}: builtin method {name}.{mname} does not exist")
            bound.append(_method(name, wanted[mname], types))
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().replace("float_32", "float32").replace("int_32", "int32")
        out.append({"name": name, "snake": snake, "size": size_of[name], "copy_ctor": copy_ctor, "methods": bound,
                    "variant_type": "GDEXTENSION_VARIANT_TYPE_" + _variant_enum(name)})
    return out


def _variant_enum(name: str) -> str:
    special = {"String": "STRING", "StringName": "STRING_NAME", "PackedByteArray": "PACKED_BYTE_ARRAY",
               "PackedFloat32Array": "PACKED_FLOAT32_ARRAY", "PackedInt32Array": "PACKED_INT32_ARRAY",
               "PackedStringArray": "PACKED_STRING_ARRAY", "Array": "ARRAY", "Dictionary": "DICTIONARY"}
    return special[name]


def _classes(spec: dict, api: dict) -> tuple[list[EngineClass], list[dict]]:
    api_classes = {c["name"]: c for c in api["classes"]}
    singletons = {s["name"] for s in api["singletons"]}
    listed = spec["classes"]
    for name in listed:
        if name not in api_classes:
            raise SpecError(f"{SPEC.name}: engine class {name!r} does not exist")
    types = _Types(api, set(spec["builtins"]) | {"Variant"}, listed)
    out: list[EngineClass] = []
    for name, methods in listed.items():
        c = api_classes[name]
        parent = c.get("inherits")
        while parent and parent not in listed:
            parent = api_classes[parent].get("inherits")
        ec = EngineClass(name, parent, c["is_refcounted"], name in singletons)
        by_name = {m["name"]: m for m in c.get("methods", [])}
        for mname in methods:
            if mname not in by_name:
                raise SpecError(f"{SPEC.name}: engine method {name}.{mname} does not exist")
            ec.methods.append(_method(name, by_name[mname], types))
        out.append(ec)
    # enums used by bound methods, emitted inside their class (global ones in namespace gd)
    global_enums = {e["name"]: e for e in api["global_enums"]}
    globals_out = [{"name": "Error", "entries": [(v["name"], v["value"]) for v in global_enums["Error"]["values"]]}]
    for qualified in sorted(types.used_enums):
        if "." not in qualified:
            continue
        cname, ename = qualified.split(".", 1)
        ec = next(e for e in out if e.name == cname)
        enum = next(e for e in api_classes[cname].get("enums", []) if e["name"] == ename)
        ec.enums.append((ename, [(v["name"], v["value"]) for v in enum["values"]]))
    # parents first, so C++ inheritance compiles
    order: list[EngineClass] = []
    by = {c.name: c for c in out}

    def visit(c: EngineClass) -> None:
        if c in order:
            return
        if c.parent:
            visit(by[c.parent])
        order.append(c)

    for c in out:
        visit(c)
    return order, globals_out


def compatibility_minimum(api_dir: Path) -> str:
    """The lowest Godot version that has every interface function we load (for learnkit.gdextension)."""
    spec, _, iface = _load_inputs(api_dir)
    return _interface(spec, iface)[1]


def inputs() -> list[Path]:
    env_root = REPO / "templates" / TEMPLATE_DIR
    return [SPEC, Path(__file__), Path(__file__).with_name("output.py")] + [env_root / f"{t}.j2" for t in TEMPLATES]


def outputs(out_dir: Path) -> list[Path]:
    return [out_dir / t for t in TEMPLATES]


def generate(api_dir: Path, out_dir: Path) -> list[Path]:
    """Writes the binding layer into out_dir; returns the paths it owns."""
    spec, api, iface = _load_inputs(api_dir)
    functions, minimum = _interface(spec, iface)
    ctx = {"functions": functions, "compatibility_minimum": minimum, "builtins": _builtins(spec, api)}
    ctx["classes"], ctx["global_enums"] = _classes(spec, api)
    env = environment()
    for t in TEMPLATES:
        text = env.get_template(f"{TEMPLATE_DIR}/{t}.j2").render(**ctx)
        write_if_changed(out_dir / t, stamp(f"codegen/spec/bindings.yaml + templates/{TEMPLATE_DIR}/{t}.j2") + text)
    return outputs(out_dir)
