"""Binary model files (.lkm) and atomic saves (issue 15, "Files and packaging").

- Round trip: the fuzz seed graph (tests/data/model_fuzz/graph_v2.json) saved through LearnKit.serialize.save()
  as .lkm and .json, read back through load(), from_bytes() and import(): the same model and bit-identical
  predictions; the .lkm bytes are read by tests/lkm_format.py (an independent reader, from the format's
  description) and hold exactly the seed's structure and float32 tensors.
- Fuzz: a corpus made from lkm_format's own encoding of the seed (truncated at every offset, one byte flipped at
  every offset with the checksum kept and with it recomputed, every size field set huge or off by one, every
  header field wrong, wrong magic, newer versions, deep nesting, bad tags, bad UTF-8, duplicate keys), all
  through from_bytes() (and some through load()) in one headless launch. Each file is refused with an error or
  loads exactly what lkm_format reads in it; a file lkm_format refuses must never load.
- Atomic saves: Godot's FileAccess truncates the target when it opens it (why LearnKit renames a temporary file
  instead); a save over an existing file leaves no temporary file behind; a save that fails (the target is a
  folder) leaves the target and no temporary file; a process killed in the middle of a save (the debug test hook
  LEARNKIT_TEST_CRASH_MID_SAVE) leaves the previous file loadable and only a temporary file beside it.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import textwrap
from pathlib import Path
from typing import Any

import lkm_format as fmt
import pytest
from conftest import ROOT, BackendResults, launch_godot, run_cases
from lk import for_backend
from test_model_fuzz import model_problems

pytestmark = pytest.mark.usefixtures("godot_ready")

SEED_PATH = ROOT / "tests" / "data" / "model_fuzz" / "graph_v2.json"
SEED_DOC = json.loads(SEED_PATH.read_text())


def to_binary_doc(doc: Any) -> Any:
    """The JSON seed as the binary format holds it: tensors as raw float32 instead of base64."""
    if isinstance(doc, dict):
        return {k: ({n: fmt.F32(base64.b64decode(t)) for n, t in v.items()} if k == "tensors" else to_binary_doc(v))
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [to_binary_doc(v) for v in doc]
    return doc


def to_json_doc(value: Any) -> Any:
    """What a decoded tree says, in the JSON layout model_problems() compares with (raw tensors as base64)."""
    if isinstance(value, fmt.F32):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: to_json_doc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_doc(v) for v in value]
    return value


SEED = fmt.encode(to_binary_doc(SEED_DOC))
SEED_FILE = fmt.wrap(SEED.payload)


def refix(payload: bytes) -> bytes:
    """A file around a changed payload, with a correct size and checksum (so the payload parser is reached)."""
    return fmt.wrap(payload)


def nested(depth: int) -> Any:
    v: Any = None
    for _ in range(depth):
        v = [v]
    return v


def corpus() -> dict[str, tuple[bytes, str]]:
    """name -> (file bytes, expectation): "load" (must load, exactly), "refuse:<text>" (must be refused with an
    error containing text), "either" (refused with an error, or loaded exactly as lkm_format reads it)."""
    out: dict[str, tuple[bytes, str]] = {}
    p = SEED.payload
    out["seed"] = (SEED_FILE, "load")
    extra = dict(to_binary_doc(SEED_DOC))
    extra["scalers"] = {"input": {"kind": "min_max", "min": fmt.F32(struct.pack("<5f", *range(5))),
                                  "max": fmt.F32(struct.pack("<5f", *range(1, 6)))}, "flags": fmt.I32((1, 2)),
                        "blob": fmt.Raw(b"\0\1"), "name": fmt.SName("x"), "on": True, "none": None}
    out["seed-with-an-added-optional-key"] = (refix(fmt.encode(extra).payload), "load")
    out["seed-nested-32-levels"] = (refix(fmt.encode({**to_binary_doc(SEED_DOC), "deep": nested(31)}).payload),
                                    "load")
    out["seed-nested-33-levels"] = (refix(fmt.encode({**to_binary_doc(SEED_DOC), "deep": nested(32)}).payload),
                                    "refuse:nested more than 32")
    b64 = json.loads(json.dumps(SEED_DOC))  # tensors as base64 Strings, as in JSON files: also accepted
    out["seed-base64-tensors"] = (refix(fmt.encode(b64).payload), "load")
    # The header.
    out["empty"] = (b"", "refuse:is empty")
    out["magic-only"] = (fmt.MAGIC, "refuse:truncated")
    out["json-text"] = (SEED_PATH.read_bytes(), "refuse:is not a LearnKit binary model")
    out["png"] = (b"\x89PNG\r\n\x1a\n" + SEED_FILE[8:], "refuse:is not a LearnKit binary model")
    for i in range(8):
        bad = bytearray(SEED_FILE)
        bad[i] ^= 0x20
        out[f"magic-byte-{i}"] = (bytes(bad), "refuse:is not a LearnKit binary model")
    for v in (2, 3, 255, 2**31, 2**32 - 1):
        out[f"version-{v}"] = (fmt.wrap(p, version=v), "refuse:newer LearnKit")
    out["version-0"] = (fmt.wrap(p, version=0), "refuse:version 0")
    for f in (1, 2**31):
        out[f"flags-{f}"] = (fmt.wrap(p, flags=f), "refuse:flags")
    for s in (0, len(p) - 1, len(p) + 1, 2**31, 2**32, 2**63, 2**64 - 1):
        out[f"payload-size-{s}"] = (fmt.wrap(p, size=s), "refuse:" + ("truncated" if s > len(p) else "trailing"))
    out["crc-off-by-one"] = (fmt.wrap(p, crc=(fmt.zlib.crc32(p) + 1) & 0xFFFFFFFF), "refuse:CRC-32")
    out["trailing-byte"] = (SEED_FILE + b"\0", "refuse:trailing")
    out["trailing-value"] = (refix(p + bytes([fmt.NIL])), "refuse:follow the model")
    # The payload's structure (checksums recomputed).
    out["root-array"] = (refix(fmt.encode([1, 2]).payload), "refuse:expected a model Dictionary")
    out["root-int"] = (refix(fmt.encode(7).payload), "refuse:expected a model Dictionary")
    for tag in (12, 100, 255):
        out[f"tag-{tag}"] = (refix(bytes([tag]) + p[1:]), "refuse:unknown value tag")
    dup = bytes([fmt.DICT]) + struct.pack("<I", 2) + b"".join(
        fmt.encode(v).payload for v in ("format", "learnkit.network", fmt.SName("format"), 1))
    out["duplicate-key"] = (refix(dup), "refuse:appears twice")
    name = p.index(b"dense_0")
    for label, byte in (("nul", 0), ("ff", 0xFF), ("c0", 0xC0), ("ed", 0xED)):
        out[f"name-byte-{label}"] = (refix(p[:name] + bytes([byte]) + p[name + 1:]), "refuse:UTF-8")
    at = p.index(base64.b64decode(SEED_DOC["ops"][0]["tensors"]["weight"]))  # the first weight's float32 bytes
    for label, value in (("nan", float("nan")), ("inf", float("inf"))):
        out[f"tensor-{label}"] = (refix(p[:at] + struct.pack("<f", value) + p[at + 4:]), "refuse:")
    # Every size field: huge, just past what is left, one more, one less.
    for off, n in SEED.counts:
        for label, v in (("max", 2**32 - 1), ("2^31", 2**31), ("plus1", n + 1), ("minus1", n - 1)):
            if v < 0:
                continue
            bad = p[:off] + struct.pack("<I", v) + p[off + 4:]
            out[f"count-{off}-{label}"] = (refix(bad), "refuse:declares" if v > 2**30 else "either")
    # Truncation at every offset, and one byte flipped at every offset (checksum kept: refused by the header;
    # recomputed: the parser and the model loader judge it).
    for i in range(1, len(SEED_FILE)):
        out[f"truncated-{i}"] = (SEED_FILE[:i], "refuse:truncated")
    for i in range(len(SEED_FILE)):
        bad = bytearray(SEED_FILE)
        bad[i] ^= 0xFF
        out[f"flip-{i}"] = (bytes(bad), "refuse:")
    for i in range(len(p)):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(p)
            bad[i] ^= mask
            out[f"flip-{mask:02x}-{i}-fixed"] = (refix(bytes(bad)), "either")
    return out


CORPUS = corpus()
LOAD_TOO = {n for i, n in enumerate(CORPUS) if i % 40 == 0 or not n.startswith(("flip", "truncated", "count"))}


def make_cases(directory: Path) -> list[dict]:
    seed = str(SEED_PATH)
    (directory / "roundtrip").mkdir()
    (directory / "fileaccess").mkdir()
    (directory / "stale").mkdir()
    (directory / "stale" / "m.lkm.tmp-1-0").write_bytes(b"left by a crash long ago")
    (directory / "stale" / "m.lkm").write_bytes(b"an older file")
    (directory / "fails").mkdir()
    (directory / "fails" / "dir.lkm").mkdir()
    (directory / "fails" / "dir.lkm" / "inside").write_bytes(b"kept")
    cases = [
        {"id": "roundtrip", "kind": "binary_model.roundtrip", "seed": seed, "dir": str(directory / "roundtrip")},
        {"id": "fileaccess", "kind": "binary_model.fileaccess_in_place", "path": str(directory / "fileaccess" / "f")},
        {"id": "save-over-stale", "kind": "binary_model.save_path", "seed": seed,
         "path": str(directory / "stale" / "m.lkm")},
        {"id": "save-fails", "kind": "binary_model.save_path", "seed": seed, "path": str(directory / "fails" / "dir.lkm")},
        {"id": "save-no-folder", "kind": "binary_model.save_path", "seed": seed,
         "path": str(directory / "missing" / "m.lkm")},
        {"id": "save-bad-extension", "kind": "binary_model.save_path", "seed": seed,
         "path": str(directory / "stale" / "m.bin")},
        {"id": "after-crash", "kind": "binary_model.load_path", "path": str(directory / "after-crash" / "m.lkm")},
        {"id": "load-missing", "kind": "binary_model.load_path", "path": str(directory / "nothing.lkm")},
        {"id": "load-bad-extension", "kind": "binary_model.load_path", "path": str(SEED_PATH.with_suffix(".txt"))},
    ]
    for k, (name, (data, _)) in enumerate(CORPUS.items()):
        c = {"id": f"file:{name}", "kind": "binary_model.load_bytes", "bytes": base64.b64encode(data).decode()}
        if name in LOAD_TOO:
            c["path"] = str(directory / f"fuzz{k % 7}.lkm")
        cases.append(c)
    return cases


@pytest.fixture(scope="module")
def crash_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("binary-model")


@pytest.fixture(scope="module")
def crashed(crash_dir: Path) -> dict:
    """A launch that saves the seed, then dies in the middle of saving another network over it."""
    (crash_dir / "after-crash").mkdir(exist_ok=True)
    case = {"id": "crash", "kind": "binary_model.crash_mid_save", "seed": str(SEED_PATH),
            "path": str(crash_dir / "after-crash" / "m.lkm")}
    res = run_cases(for_backend([case], "cpu"), headless=True)
    return {"result": res["crash"], "exit_codes": res.exit_codes}


@pytest.fixture(scope="module")
def results(crash_dir: Path, crashed: dict) -> BackendResults:
    def cases(backend: str) -> list[dict]:
        d = crash_dir / backend
        d.mkdir()
        (d / "after-crash").mkdir()
        for f in (crash_dir / "after-crash").iterdir():  # what the crashed launch left
            (d / "after-crash" / f.name).write_bytes(f.read_bytes())
        return make_cases(d)

    return BackendResults(cases)


def loaded_model(r: dict) -> dict:
    return json.loads(r["model"])


# --- round trip -------------------------------------------------------------------------------------------------

def test_save_load_roundtrip_is_exact(results: BackendResults) -> None:
    r = results["cpu"]["roundtrip"]
    assert r["ok"], r
    assert r["save_lkm"] == 0 and r["save_json"] == 0
    model = json.loads(r["model"])
    assert not model_problems(SEED_DOC, model), model_problems(SEED_DOC, model)
    for key in ("load_lkm", "load_json", "from_bytes", "import_json"):
        assert not r[key]["null"], key
        assert json.loads(r[key]["model"]) == model, f"{key} loaded a different model"
        assert r[key]["same_predictions"], f"{key}: predictions differ"
    assert r["bytes"] == r["file_bytes"], "to_bytes() and the saved .lkm file differ"
    print(f"\nseed graph: .lkm {r['lkm_size']} bytes, .json {r['json_size']} bytes")
    assert r["lkm_size"] < r["json_size"]


def test_the_file_holds_the_documented_format(results: BackendResults) -> None:
    """lkm_format reads LearnKit's file: header, checksum, and the seed's structure with raw float32 tensors."""
    data = base64.b64decode(results["cpu"]["roundtrip"]["bytes"])
    assert data[:8] == fmt.MAGIC
    version, flags, size, _ = struct.unpack_from("<IIQI", data, 8)
    assert (version, flags, size) == (1, 0, len(data) - fmt.HEADER)
    doc = fmt.decode(fmt.unwrap(data))
    assert isinstance(doc["ops"][0]["tensors"]["weight"], fmt.F32)
    assert isinstance(doc["version"], int) and isinstance(doc["output"], int)
    assert not model_problems(to_json_doc(doc), SEED_DOC) and not model_problems(SEED_DOC, to_json_doc(doc))
    assert list(doc) == ["format", "version", "device", "input_shape", "output", "ops"]


# --- fuzz -------------------------------------------------------------------------------------------------------

def file_problems(name: str, data: bytes, expect: str, r: dict) -> list[str]:
    try:
        said = to_json_doc(fmt.decode(fmt.unwrap(data)))
        reason = ""
    except fmt.FormatError as e:
        said, reason = None, str(e)
    out = []
    for path, rec in (("from_bytes", r), ("load", r.get("load"))):
        if rec is None:
            continue
        if rec["null"]:
            if not rec["e"]:
                out.append(f"{path}: null without an error")
            if expect == "load":
                out.append(f"{path}: refused a valid file: {rec['first']}")
            elif expect.startswith("refuse:") and expect[7:] not in rec["first"]:
                out.append(f"{path}: refused, but the error does not say {expect[7:]!r}: {rec['first']}")
        else:
            if said is None:
                out.append(f"{path}: loaded a file the format refuses ({reason})")
            elif expect.startswith("refuse:"):
                out.append(f"{path}: loaded a file it must refuse ({expect})")
            else:
                out += [f"{path}: {p}" for p in model_problems(said, loaded_model(rec))]
    if "load" in r and r["load"]["null"] != r["null"]:
        out.append("load() and from_bytes() disagree")
    return out


def test_every_binary_file_is_refused_or_loaded_exactly(results: BackendResults) -> None:
    res = results["cpu"]
    crashed = {k: v["error"] for k, v in res.items() if not v["ok"]}
    assert not crashed, f"cases that crashed or failed: {json.dumps(crashed, indent=1)[:6000]}"
    assert res.exit_codes == [0], f"Godot exited with {res.exit_codes}"
    found = {}
    for name, (data, expect) in CORPUS.items():
        p = file_problems(name, data, expect, res[f"file:{name}"])
        if p:
            found[name] = p
    loaded = sum(not res[f"file:{n}"]["null"] for n in CORPUS)
    print(f"\n{len(CORPUS)} binary model files fuzzed ({loaded} loaded, {len(CORPUS) - loaded} refused) in "
          f"{res.seconds:.1f} s")
    assert not found, "\n".join(f"{n}: {'; '.join(p)}" for n, p in list(found.items())[:40]) + (
        f"\n... {len(found)} files in all" if len(found) > 40 else "")


def test_load_errors_name_the_problem(results: BackendResults) -> None:
    res = results["cpu"]
    assert res["load-missing"]["null"] and "cannot open" in res["load-missing"]["first"]
    assert res["load-bad-extension"]["null"] and '".lkm"' in res["load-bad-extension"]["first"]


# --- atomic saves -----------------------------------------------------------------------------------------------

def test_godot_fileaccess_truncates_in_place(results: BackendResults) -> None:
    """Why LearnKit does not save through FileAccess (core/atomic_write.hpp): in a game, opening a file for
    writing empties it at once, so a crash before close() would lose the previous model."""
    r = results["cpu"]["fileaccess"]
    assert r["before"] > 0 and r["during"] == 0, r


def test_save_replaces_the_file_and_leaves_no_temporary_file(results: BackendResults) -> None:
    r = results["cpu"]["save-over-stale"]
    assert r["error_code"] == 0 and r["e"] == 0, r
    # The stale temporary file of an earlier crash is left alone, and no new one remains.
    assert set(r["files"]) == {"m.lkm", "m.lkm.tmp-1-0"}, r["files"]
    assert r["files"]["m.lkm"] == len(base64.b64decode(results["cpu"]["roundtrip"]["bytes"]))


def test_a_failed_save_keeps_the_target_and_removes_its_temporary_file(results: BackendResults) -> None:
    r = results["cpu"]["save-fails"]
    assert r["error_code"] == 13 and r["e"] == 1, r  # ERR_FILE_CANT_WRITE
    assert "cannot rename" in r["lines"][0] and "unchanged" in r["lines"][0], r["lines"]
    assert list(r["files"]) == [], r["files"]  # the folder holds only dir.lkm (a folder): no temporary file
    r = results["cpu"]["save-no-folder"]
    assert r["error_code"] == 13 and "cannot create the temporary file" in r["lines"][0], r
    r = results["cpu"]["save-bad-extension"]
    assert r["error_code"] == 31 and '".lkm" (binary) or ".json"' in r["lines"][0], r  # ERR_INVALID_PARAMETER


def test_a_crash_mid_save_leaves_the_previous_file_loadable(results: BackendResults, crashed: dict,
                                                           crash_dir: Path) -> None:
    assert crashed["exit_codes"] == [86], (crashed["exit_codes"], crashed["result"].get("error", "")[-2000:])
    left = {f.name: f.stat().st_size for f in (crash_dir / "after-crash").iterdir()}
    temps = [n for n in left if n.startswith("m.lkm.tmp-")]
    assert "m.lkm" in left and len(temps) == 1, left
    # Half of the second network's file was written to the temporary file, nothing to the target.
    assert 0 < left[temps[0]] < left["m.lkm"], left
    r = results["cpu"]["after-crash"]
    assert not r["null"] and r["e"] == 0, r
    assert not model_problems(SEED_DOC, loaded_model(r)), model_problems(SEED_DOC, loaded_model(r))


# --- the README's example ---------------------------------------------------------------------------------------

def test_the_readme_saving_example_runs_as_written() -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Saving models"):]
    section = section[:section.index("\n## ", 1)]
    block = next(b for b in re.findall(r"```gdscript\n(.*?)```", section, re.DOTALL) if "serialize.save" in b)
    script = ("extends SceneTree\n\nfunc _init() -> void:\n"
              "\tvar net := LearnKit.sequential([LearnKit.dense(2, 3, \"relu\")], \"kaiming\", 1)\n"
              + textwrap.indent(block, "\t")
              + "\tprint(\"README_RESULT \", JSON.stringify([err, brain.model == net.model, same.model == net.model,"
                " bytes.size()]))\n\tquit(0)\n")
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "readme_saving.gd").write_text(script)
    code, output = launch_godot(["-s", "res://tests/generated/readme_saving.gd"], headless=True)
    assert code == 0 and "ERROR" not in output, output[-3000:]
    line = next(x for x in output.splitlines() if x.startswith("README_RESULT "))
    err, same_file, same_bytes, size = json.loads(line[len("README_RESULT "):])
    assert err == 0 and same_file and same_bytes and size > fmt.HEADER
