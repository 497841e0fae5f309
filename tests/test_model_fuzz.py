"""Model-file fuzzing (issue 12: never crash the game, never return silent garbage). A deterministic corpus is
mutated from real files (tests/data/model_fuzz/: graph_v2.json, a LearnKit.serialize.export() of a graph with
dense, batch_norm, activation, dropout, layer_norm and add ops, re-exported and compared by
test_seed_is_a_current_export; sequential_v1.json, a version 1 file as the first release wrote it): truncation
at every byte offset, byte flips and replacements, broken base64, wrong types and lengths of every field, huge
sizes, deep nesting, duplicate names, forward references, NaN/Inf, non-UTF-8 bytes. Every file is loaded by
LearnKit.serialize.import() and, through JSON.parse, as the model property of a new network and of a network
that already holds one, all in one headless Godot launch (godot_project/tests/cases/model_fuzz.gd).

What each load must do (problems()): never crash; either print an error and load nothing (import: null; the
model property: the network stays empty, or keeps the model it had), or load exactly what the file says
(model_problems(): ops, settings, inputs, device, and every parameter bit for bit).
"""

from __future__ import annotations

import base64
import json
import os
import random
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT, BackendResults
from lk import spec

pytestmark = pytest.mark.usefixtures("godot_ready")

DATA = ROOT / "tests" / "data" / "model_fuzz"
SEEDS = {"v2": (DATA / "graph_v2.json").read_bytes(), "v1": (DATA / "sequential_v1.json").read_bytes()}
TENSOR_KEYS_V1 = ("weight_f32_base64", "bias_f32_base64")
EMPTY_MODEL = {"format": "learnkit.network", "version": 2, "device": "auto", "input_shape": [], "output": 0,
               "ops": []}

# Values that replace every field in turn (wrong types, wrong lengths, out-of-range and huge numbers).
WRONG: list[Any] = [None, True, False, 0, -1, 1, 1.5, 2**31, 2**53 + 1, 2**64, 1e300, -1e300, "", "x", "dense",
                    "A" * 20000, [], [1, 2], [[0]], {}, {"a": 1}]
# Bytes a single-byte replacement writes: structure, digits, base64, quotes, controls, non-UTF-8.
BYTES = b'{}[]:,"\\ 0159-.eE+/=Anx\x00\x01\x7f\x80\xbf\xc0\xc3\xe2\xed\xf0\xf8\xfe\xff'


# --- the corpus ---------------------------------------------------------------------------------------------

def dump(doc: Any) -> bytes:
    return json.dumps(doc, indent=2).encode()


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key path into a JSON document, containers before their contents."""
    if prefix:
        yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for k, v in items:
        yield from paths(v, (*prefix, k))


def replaced(doc: Any, path: tuple, value: Any = None, erase: bool = False) -> Any:
    doc = json.loads(json.dumps(doc))
    target = doc
    for k in path[:-1]:
        target = target[k]
    if erase:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def f32(values: list[float]) -> str:
    return base64.b64encode(np.asarray(values, "<f4").tobytes()).decode()


def base64_variants(text: str) -> Iterator[tuple[str, str]]:
    raw = base64.b64decode(text)
    yield "empty", ""
    yield "bad-char", "!" + text[1:]
    yield "url-safe", text.replace("+", "-").replace("/", "_") if ("+" in text or "/" in text) else "-" + text[1:]
    yield "space", text[:4] + " " + text[4:]
    yield "newline", text[:4] + "\n" + text[4:]
    yield "nul", text[:4] + "\x00" + text[5:]
    yield "non-ascii", "\u00e9" + text[1:]
    yield "pad-middle", text[:2] + "==" + text[4:]
    yield "pad-extra", text + "="
    yield "pad-4", text + "===="
    yield "pad-missing", text.rstrip("=")
    yield "pad-only", "===="
    for n in (1, 2, 3, 4, 8):
        yield f"drop-{n}", text[:-n]
    for extra in ("A", "AA", "AAA", "AAAA", "AAAAAA==", "AAAAAAA="):
        yield f"add-{extra}", text + extra
    yield "one-float-less", base64.b64encode(raw[:-4]).decode()
    yield "one-float-more", base64.b64encode(raw + raw[:4]).decode()
    yield "one-byte-less", base64.b64encode(raw[:-1]).decode()
    yield "one-byte-more", base64.b64encode(raw + b"\0").decode()
    yield "doubled", base64.b64encode(raw * 2).decode()
    n = len(raw) // 4
    for name, bits in [("nan", 0x7FC00000), ("snan", 0x7F800001), ("-nan", 0xFFC00000), ("inf", 0x7F800000),
                       ("-inf", 0xFF800000), ("max", 0x7F7FFFFF), ("-0", 0x80000000), ("denormal", 0x00000001)]:
        for at in sorted({0, n - 1}):
            b = bytearray(raw)
            b[4 * at:4 * at + 4] = struct.pack("<I", bits)
            yield f"{name}@{at}", base64.b64encode(bytes(b)).decode()
    if text.endswith("=="):  # the 4 unused bits of the last character set: non-canonical, same bytes
        last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".index(text[-3])
        yield "noncanonical", text[:-3] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last | 15] + "=="


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def with_raw(doc: Any, path: tuple, raw: str) -> bytes:
    """The document with the value at path replaced by raw JSON text (deep nesting no encoder would write)."""
    return dump(replaced(doc, path, "@@RAW@@")).replace(b'"@@RAW@@"', raw.encode())


def tensor_paths(doc: dict) -> list[tuple]:
    if doc.get("version") == 1:
        return [("layers", i, k) for i in range(len(doc["layers"])) for k in TENSOR_KEYS_V1]
    return [("ops", i, "tensors", k) for i, op in enumerate(doc["ops"]) for k in op["tensors"]]


def corpus() -> list[tuple[str, bytes]]:
    """(name, bytes) of every fuzzed file, the same on every run."""
    rng = random.Random(12)
    files: list[tuple[str, bytes]] = []

    def add(name: str, data: bytes) -> None:
        files.append((name, data))

    for seed, raw in SEEDS.items():
        doc = json.loads(raw)
        add(f"{seed}/seed", raw)
        # Truncation at every byte offset.
        for n in range(len(raw)):
            add(f"{seed}/truncated@{n}", raw[:n])
        # Bit flips at every 3rd offset (each of 8 bits in turn), and random single-byte replacements.
        for n in range(0, len(raw), 3):
            add(f"{seed}/flip@{n}", raw[:n] + bytes([raw[n] ^ (1 << (n // 3 % 8))]) + raw[n + 1:])
        for n in rng.sample(range(len(raw)), min(len(raw), 600)):
            b = BYTES[rng.randrange(len(BYTES))]
            add(f"{seed}/byte@{n}={b:#04x}", raw[:n] + bytes([b]) + raw[n + 1:])
        # Every field: each wrong value in turn, and erased.
        for p in paths(doc):
            where = "/".join(map(str, p))
            for i, v in enumerate(WRONG):
                add(f"{seed}/{where}=wrong{i}", dump(replaced(doc, p, v)))
            if isinstance(p[-1], str):
                add(f"{seed}/{where}=erased", dump(replaced(doc, p, erase=True)))
            else:  # a list element: the list one shorter, and one longer
                add(f"{seed}/{where}=removed", dump(replaced(doc, p, erase=True)))
        for p in paths(doc):  # a list element repeated (an op twice, an input or a size once more)
            if isinstance(p[-1], int):
                add(f"{seed}/{'/'.join(map(str, p))}=duplicated", dump(replaced(doc, p[:-1], _dup(doc, p))))
        # Broken base64, NaN/Inf, wrong lengths in every tensor.
        for p in tensor_paths(doc):
            text = _at(doc, p)
            for name, v in base64_variants(text):
                add(f"{seed}/{'/'.join(map(str, p))}=b64:{name}", dump(replaced(doc, p, v)))
            add(f"{seed}/{'/'.join(map(str, p))}=odd-length", dump(replaced(doc, p, "A" * 20001)))
        # Deep nesting wherever a value can go.
        deep_at = [("extra",), *(p for p in paths(doc) if len(p) <= 5)]
        for depth, kind in [(100, "array"), (300, "dict"), (600, "array"), (1000, "dict"), (1100, "array")]:
            for p in rng.sample(deep_at, 12):
                add(f"{seed}/{'/'.join(map(str, p))}=deep-{kind}-{depth}", with_raw(doc, p, nested(depth, kind)))
        # Non-UTF-8 bytes and other encodings at random places (in strings, in whitespace).
        for bad in (b"\xff", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xfe\xff"):
            for n in rng.sample(range(1, len(raw)), 8):
                add(f"{seed}/insert@{n}={bad.hex()}", raw[:n] + bad + raw[n:])
        add(f"{seed}/utf16", raw.decode().encode("utf-16"))
        add(f"{seed}/bom", b"\xef\xbb\xbf" + raw)
        add(f"{seed}/minified", json.dumps(doc, separators=(",", ":")).encode())
        add(f"{seed}/reordered", json.dumps(_reordered(doc), indent=1).encode())
        add(f"{seed}/not-an-object", b"[" + raw + b"]")
        add(f"{seed}/empty", b"")
        add(f"{seed}/nul-bytes", b"\0" * 64)
    files += v2_specials(json.loads(SEEDS["v2"])) + v1_specials(json.loads(SEEDS["v1"]))
    return files


def _at(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _dup(doc: Any, path: tuple) -> list:
    """The list holding path with its element at path[-1] repeated."""
    items = list(_at(doc, path[:-1]))
    return items[:path[-1] + 1] + [items[path[-1]]] + items[path[-1] + 1:]


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    return [_reordered(v) for v in value] if isinstance(value, list) else value


def v2_specials(doc: dict) -> list[tuple[str, bytes]]:
    """Hand-picked version 2 files: huge sizes, forward references, duplicate names, raw-text tricks."""
    out: list[tuple[str, bytes]] = []
    ops = doc["ops"]
    for units in (2**31, 2**32, 2**63, 1e20, 16777217, 0, -6, 6.000001):
        out.append((f"v2/special/units={units}", dump(replaced(doc, ("ops", 0, "settings", "units"), units))))
    for shape in ([2**40], [2**24 + 1], [2**31], [5, 2**31], [1] * 9, [0], [-5], [5.5], [1e300], ["5"]):
        out.append((f"v2/special/input_shape={shape}", dump(replaced(doc, ("input_shape",), shape))))
    for i in range(len(ops)):
        for ids in {str(v): v for v in ([i + 1], [i + 2], [len(ops) + 1], [10**6], [-1], [], [0, 0, 0], [0.5],
                                         [2**63])}.values():
            out.append((f"v2/special/ops/{i}/inputs={ids}", dump(replaced(doc, ("ops", i, "inputs"), ids))))
    for i in range(1, len(ops)):
        out.append((f"v2/special/ops/{i}/name=dense_0", dump(replaced(doc, ("ops", i, "name"), "dense_0"))))
    for name in ("", " ", "a" * 5000, "\u00e9\u4e2d\U0001f600", "nul\u0000name", "dense_4"):
        out.append((f"v2/special/ops/0/name={name[:12]!r}", dump(replaced(doc, ("ops", 0, "name"), name))))
    for out_id in (0, len(ops) + 1, 3, 2**40, -1, 0.5):
        out.append((f"v2/special/output={out_id}", dump(replaced(doc, ("output",), out_id))))
    for key, value in [("eps", 0.0), ("eps", -1e-5), ("eps", 1e300), ("momentum", 2.0), ("momentum", -0.1),
                       ("affine", 0), ("affine", 2.0), ("affine", "yes"), ("unknown", 1.0)]:
        out.append((f"v2/special/batch_norm/{key}={value}", dump(replaced(doc, ("ops", 1, "settings", key), value))))
    for key, value in [("p", 1.0), ("p", -0.5), ("p", 0.0), ("p", 1e-45)]:
        out.append((f"v2/special/dropout/{key}={value}", dump(replaced(doc, ("ops", 3, "settings", key), value))))
    for key, value in [("activation", "softmax"), ("activation", "RELU"), ("alpha", 1e39), ("alpha", -1e300)]:
        out.append((f"v2/special/activation/{key}={value}", dump(replaced(doc, ("ops", 2, "settings", key), value))))
    # Raw-text tricks no encoder writes: duplicate keys (the last one counts, for Godot and Python alike),
    # non-finite literals, numbers out of double range, comments, trailing commas.
    text = SEEDS["v2"].decode()
    for name, old, new in [
        ("dup-units", '"units": 6.0', '"units": 7.0, "units": 6.0'),
        ("dup-units-last-wrong", '"units": 6.0', '"units": 6.0, "units": 7.0'),
        ("dup-ops", '"ops": [', '"ops": [], "ops": ['),
        ("dup-version", '"version": 2', '"version": 1, "version": 2'),
        ("nan-literal", '"units": 6.0', '"units": NaN'),
        ("inf-literal", '"alpha": 0.10', '"alpha": Infinity, "x": 0.10'),
        ("huge-number", '"units": 6.0', '"units": 1e400'),
        ("tiny-number", '"units": 6.0', '"units": 6.0000000000000000000000000000001'),
        ("comment", '"version": 2,', '"version": 2, // comment\n'),
        ("trailing-comma", '"version": 2,', '"version": 2,,'),
        ("single-quotes", '"format"', "'format'"),
        ("escaped-name", '"dense_0"', '"dense\\u005f0"'),
        ("lone-surrogate", '"dense_0"', '"dense\\ud800_0"'),
    ]:
        out.append((f"v2/raw/{name}", text.replace(old, new, 1).encode()))
    out.append(("v2/special/empty-network", dump({**doc, "ops": [], "input_shape": [], "output": 0})))
    out.append(("v2/special/empty-network-output-9", dump({**doc, "ops": [], "input_shape": []})))
    out.append(("v2/special/empty-ops", dump({**doc, "ops": []})))
    out.append(("v2/special/version-1-body", dump({**doc, "version": 1})))
    out.append(("v2/special/no-device", dump({k: v for k, v in doc.items() if k != "device"})))
    return out


def v1_specials(doc: dict) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for key, values in [("inputs", (2**31, 2**24 + 1, 0, 3.5)), ("outputs", (2**31, 2**40, 0, 4.5)),
                        ("alpha", (1e300, 1e39, -0.0)), ("activation", ("softmax", "RELU", ""))]:
        for v in values:
            out.append((f"v1/special/layers/0/{key}={v}", dump(replaced(doc, ("layers", 0, key), v))))
    out.append(("v1/special/version-2-body", dump({**doc, "version": 2})))
    out.append(("v1/special/no-layers", dump({**doc, "layers": []})))
    out.append(("v1/special/mismatched-chain", dump(replaced(doc, ("layers", 1, "inputs"), 3))))
    return out


# Files that must load (the seeds and re-encodings of them).
MUST_LOAD = {f"{s}/{n}" for s in SEEDS for n in ("seed", "minified", "reordered", "bom")} | {
    "v2/special/no-device", "v2/special/empty-network", "v2/raw/escaped-name", "v1/special/no-layers"}


# --- what a file says, and whether a loaded model is that ------------------------------------------------------

def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _loads(text: str, **kwargs: Any) -> Any:
    """json.loads with room for the deepest nesting Godot's parser takes (1024 levels)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        return json.loads(text, **kwargs)
    finally:
        sys.setrecursionlimit(limit)


def is_text(data: bytes) -> bool:
    """Whether a file is UTF-8 text without NUL bytes: serialize.import() refuses anything else."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def what_it_says(data: bytes) -> dict | None:
    """The document a file holds, read strictly (UTF-8, standard JSON, a leading BOM skipped); None when it
    holds none. (Godot's JSON parser is laxer: control characters count as white space, 00 as a number.)"""
    try:
        doc = _loads(data.decode("utf-8").removeprefix("\ufeff"), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _same_number(loaded: Any, said: Any) -> bool:
    """A setting as the op stores it: the number said, or that number rounded to float32."""
    if isinstance(said, bool):
        said = float(said)
    if not _num(said) or not _num(loaded):
        return False
    return loaded == said or loaded == float(np.float32(said))


def _tensor_bytes(text: Any) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True) if isinstance(text, str) else None
    except ValueError:
        return None


def _activation_params(name: object) -> list[str]:
    """The parameter names the spec gives an activation (none for an unknown name)."""
    for a in spec().activations:
        if a.name == name:
            return list(a.params)
    return []


def expected_ops(doc: dict) -> tuple[list, list, str]:
    """(input_shape, ops as the file says them, version) in the version 2 layout (version 1 converted the way
    the loader documents: a dense op per layer, and an activation op unless "identity"); names None where the
    file has none."""
    if doc.get("version") == 1:
        ops: list[dict] = []
        layers = doc.get("layers") or []
        for la in layers:
            ops.append({"name": None, "type": "dense", "settings": {"units": la.get("outputs")},
                        "tensors": {"weight": la.get("weight_f32_base64"), "bias": la.get("bias_f32_base64")},
                        "inputs": [len(ops)]})
            if la.get("activation") != "identity":
                settings = {"activation": la.get("activation")}
                if "alpha" in _activation_params(la.get("activation")):  # others have no alpha to keep
                    settings["alpha"] = la.get("alpha")
                ops.append({"name": None, "type": "activation", "inputs": [len(ops)], "tensors": {},
                            "settings": settings})
        return ([layers[0].get("inputs")] if layers else []), ops, "v1"
    return doc.get("input_shape"), doc.get("ops"), "v2"


def model_problems(said: dict, loaded: dict) -> list[str]:
    """How a loaded model (get_model()) differs from what the file says (empty: it is exactly that)."""
    problems = []
    if loaded.get("device") != (said.get("device") if said.get("device") is not None else "auto"):
        problems.append(f"device {loaded.get('device')!r}, the file says {said.get('device')!r}")
    shape, ops, version = expected_ops(said)
    if not isinstance(shape, list) or not isinstance(ops, list):
        return [*problems, f"loaded {loaded} from input_shape {shape!r} and ops {ops!r}"]
    if loaded["input_shape"] != shape:
        problems.append(f"input_shape {loaded['input_shape']}, the file says {shape}")
    if version == "v2" and said.get("output") is not None and loaded["output"] != said["output"]:
        problems.append(f"output {loaded['output']}, the file says {said['output']}")
    if len(loaded["ops"]) != len(ops):
        return [*problems, f"{len(loaded['ops'])} ops, the file says {len(ops)}"]
    for i, (got, want) in enumerate(zip(loaded["ops"], ops, strict=True)):
        where = f"ops[{i}]"
        if not isinstance(want, dict):
            problems.append(f"{where} loaded from {want!r}")
            continue
        if want.get("name") is not None and got["name"] != want.get("name"):
            problems.append(f"{where}.name {got['name']!r}, the file says {want.get('name')!r}")
        if got["type"] != want.get("type"):
            problems.append(f"{where}.type {got['type']!r}, the file says {want.get('type')!r}")
        if got["inputs"] != want.get("inputs"):
            problems.append(f"{where}.inputs {got['inputs']}, the file says {want.get('inputs')}")
        settings = want.get("settings")
        if not isinstance(settings, dict):
            problems.append(f"{where}.settings loaded from {settings!r}")
            settings = {}
        for key, value in settings.items():
            have = got["settings"].get(key, "(missing)")
            same = have == value if isinstance(value, str) else _same_number(have, value)
            if not same:
                problems.append(f"{where}.settings.{key} {have!r}, the file says {value!r}")
        tensors = want.get("tensors")
        if not isinstance(tensors, dict) or set(tensors) != set(got["tensors"]):
            problems.append(f"{where}.tensors {sorted(got['tensors'])}, the file says {tensors!r:.200}")
            continue
        for key, text in tensors.items():
            said_bytes, loaded_bytes = _tensor_bytes(text), _tensor_bytes(got["tensors"][key])
            if said_bytes is None or said_bytes != loaded_bytes:
                problems.append(f"{where}.tensors.{key} is not bit for bit what the file says ({text!r:.80})")
    return problems


def problems(name: str, data: bytes, r: dict) -> list[str]:
    """What is wrong with one file's loads (empty: every path refused it with an error or loaded it exactly).
    What the file says: its text as Godot's JSON parser reads it ("parsed_text", the Dictionary the model property
    gets), else as a strict JSON reader reads it."""
    godot = _loads(r["parsed_text"], strict=False) if r["parsed"] else None  # Godot writes controls raw
    # NOTE: where both read it, Godot's reading counts: Godot Strings cannot hold U+0000, so its parser reads
    # "\u0000" as U+FFFD.
    readings = [godot] if godot is not None else [d for d in [what_it_says(data)] if d is not None]
    out = []
    imp = r["import"]
    if imp["null"]:
        if not imp["e"]:
            out.append("import: returned null without an error")
        if name in MUST_LOAD:
            out.append("import: refused a valid file")
    elif not is_text(data):
        out.append("import: loaded a file that is not UTF-8 text")
    elif not readings:
        out.append("import: loaded a file that holds no JSON object")
    else:
        for said in readings:
            out += [f"import: {p}" for p in model_problems(said, json.loads(imp["model"]))]
    if r["parsed"]:
        fresh, filled = r["fresh"], r["filled"]
        if fresh["e"]:
            if json.loads(fresh["model"]) != EMPTY_MODEL:
                out.append("model property: an error, but a new network is no longer empty")
            if not filled["unchanged"]:
                out.append("model property: an error, but a network's model changed")
        else:
            out += [f"model property: {p}" for p in model_problems(godot, json.loads(fresh["model"]))]
            if not filled["same_as_fresh"] or filled["e"]:
                out.append("model property: the same Dictionary loaded differently into a network with a model")
    return out


# --- the tests ------------------------------------------------------------------------------------------------

CORPUS = corpus()


def make_cases(directory: Path) -> list[dict]:
    cases = [{"id": "seed-export", "kind": "model_fuzz.export_seed", "path": str(directory / "seed.json")}]
    cases += [{"id": name, "kind": "model_fuzz.load_file", "dir": str(directory),
               "bytes": base64.b64encode(data).decode()} for name, data in CORPUS]
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> BackendResults:
    return BackendResults(lambda backend: make_cases(tmp_path_factory.mktemp(f"model-fuzz-{backend}")))


def test_corpus_is_deterministic_and_distinct() -> None:
    names = [n for n, _ in CORPUS]
    assert len(set(names)) == len(names), "duplicate file names in the corpus"
    assert corpus() == CORPUS


def test_seed_is_a_current_export(results: BackendResults) -> None:
    """graph_v2.json is what LearnKit.serialize.export() writes today for export_seed()'s network; when the
    export format changes, run this test once with LEARNKIT_UPDATE_SEEDS=1 to write the new text there."""
    r = results["cpu"]["seed-export"]
    assert r["ok"] and r["export_error"] == 0, r
    if os.environ.get("LEARNKIT_UPDATE_SEEDS") == "1":
        DATA.joinpath("graph_v2.json").write_bytes(r["text"].encode())
        SEEDS["v2"] = r["text"].encode()
    assert r["text"].encode() == SEEDS["v2"]


def test_every_file_is_refused_or_loaded_exactly(results: BackendResults) -> None:
    res = results["cpu"]
    assert res.exit_codes == [0], f"Godot exited with {res.exit_codes}"
    crashed = {k: v["error"] for k, v in res.items() if not v["ok"]}
    assert not crashed, f"files that crashed or failed: {json.dumps(crashed, indent=1)[:6000]}"
    found = {}
    for name, data in CORPUS:
        p = problems(name, data, res[name])
        if p:
            found[name] = p
    loaded = sum(not res[n]["import"]["null"] for n, _ in CORPUS)
    print(f"\ncpu: {len(CORPUS)} model files fuzzed ({loaded} loaded, {len(CORPUS) - loaded} refused) in "
          f"{res.seconds:.1f} s")
    assert not found, "\n".join(f"{n}: {'; '.join(p)}" for n, p in list(found.items())[:40]) + (
        f"\n... {len(found)} files in all" if len(found) > 40 else "")

