"""An independent reader and writer of LearnKit's binary model files (.lkm), written from the format's description
in gdextension/src/core/binary_container.hpp and api/model_binary.hpp, for tests/test_binary_model.py.

Header (28 bytes, little-endian): magic b"\\x89LKM\\r\\n\\x1a\\n", u32 version (1), u32 flags (0), u64 payload size,
u32 CRC-32 of the payload (zlib.crc32); then the payload: one tagged value (the model Dictionary).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

MAGIC = b"\x89LKM\r\n\x1a\n"
VERSION = 1
HEADER = 28
MAX_DEPTH = 32
NIL, FALSE, TRUE, INT, FLOAT, STRING, STRING_NAME, ARRAY, DICT, BYTES, F32S, I32S = range(12)


class F32(bytes):
    """A PackedFloat32Array: its raw little-endian bytes."""


class I32(tuple):
    """A PackedInt32Array."""


class SName(str):
    """A StringName."""


class Raw(bytes):
    """A PackedByteArray."""


class FormatError(ValueError):
    """The bytes are not a valid .lkm file; the message says why."""


@dataclass
class Encoded:
    payload: bytes
    counts: list[tuple[int, int]] = field(default_factory=list)  # (payload offset of a u32 count, its value)


def encode(value: Any) -> Encoded:
    out = bytearray()
    counts: list[tuple[int, int]] = []

    def count(n: int) -> None:
        counts.append((len(out), n))
        out.extend(struct.pack("<I", n))

    def text(s: str) -> None:
        b = s.encode("utf-8")
        count(len(b))
        out.extend(b)

    def put(v: Any) -> None:
        if v is None:
            out.append(NIL)
        elif isinstance(v, bool):
            out.append(TRUE if v else FALSE)
        elif isinstance(v, int):
            out.append(INT)
            out.extend(struct.pack("<q", v))
        elif isinstance(v, float):
            out.append(FLOAT)
            out.extend(struct.pack("<d", v))
        elif isinstance(v, SName):
            out.append(STRING_NAME)
            text(v)
        elif isinstance(v, str):
            out.append(STRING)
            text(v)
        elif isinstance(v, F32):
            out.append(F32S)
            count(len(v) // 4)
            out.extend(v)
        elif isinstance(v, I32):
            out.append(I32S)
            count(len(v))
            out.extend(struct.pack(f"<{len(v)}i", *v))
        elif isinstance(v, Raw):
            out.append(BYTES)
            count(len(v))
            out.extend(v)
        elif isinstance(v, list):
            out.append(ARRAY)
            count(len(v))
            for item in v:
                put(item)
        elif isinstance(v, dict):
            out.append(DICT)
            count(len(v))
            for k, item in v.items():
                put(k)
                put(item)
        else:
            raise TypeError(f"cannot encode {type(v).__name__}")

    put(value)
    return Encoded(bytes(out), counts)


def wrap(payload: bytes, version: int = VERSION, flags: int = 0, size: int | None = None,
         crc: int | None = None) -> bytes:
    size = len(payload) if size is None else size
    crc = zlib.crc32(payload) if crc is None else crc
    return MAGIC + struct.pack("<IIQI", version, flags, size, crc) + payload


def unwrap(data: bytes) -> bytes:
    """The payload of a whole file; FormatError when the header or checksum is wrong."""
    if not data:
        raise FormatError("is empty")
    if data[:len(MAGIC)] != MAGIC[:len(data)]:
        raise FormatError("is not a LearnKit binary model")
    if len(data) < 12:
        raise FormatError("is truncated")
    (version,) = struct.unpack_from("<I", data, 8)
    if version > VERSION:
        raise FormatError("was written by a newer LearnKit")
    if version == 0:
        raise FormatError("has binary format version 0")
    if len(data) < HEADER:
        raise FormatError("is truncated")
    flags, size, crc = struct.unpack_from("<IQI", data, 12)
    if flags:
        raise FormatError("has flags")
    if size != len(data) - HEADER:
        raise FormatError("is truncated" if size > len(data) - HEADER else "has trailing bytes")
    payload = data[HEADER:]
    if zlib.crc32(payload) != crc:
        raise FormatError("is corrupt")
    return payload


def _key(k: Any) -> tuple:
    """Godot's Dictionary key identity: String and StringName are one key; int, float and bool are not."""
    return ("str", str(k)) if isinstance(k, str) else (type(k).__name__, k)


def decode(payload: bytes) -> Any:
    """The one value a payload holds (FormatError when it holds anything else). Dictionaries come back as
    dicts of their keys as decoded (String and StringName keys as str)."""
    pos = 0

    def need(n: int, what: str) -> bytes:
        nonlocal pos
        if n > len(payload) - pos:
            raise FormatError(f"is corrupt: the file ends inside {what}")
        b = payload[pos:pos + n]
        pos += n
        return b

    def count(min_bytes: int, what: str) -> int:
        (n,) = struct.unpack("<I", need(4, f"the size of a {what}"))
        if n * min_bytes > len(payload) - pos:
            raise FormatError(f"is corrupt: a {what} declares {n} elements")
        return n

    def text(what: str) -> str:
        b = need(count(1, what), what)
        if b"\0" in b:
            raise FormatError("is corrupt: NUL in text")
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FormatError("is corrupt: not UTF-8 text") from e

    def value(depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise FormatError("is corrupt: nested too deep")
        (tag,) = need(1, "a value")
        if tag == NIL:
            return None
        if tag in (FALSE, TRUE):
            return tag == TRUE
        if tag == INT:
            return struct.unpack("<q", need(8, "an int"))[0]
        if tag == FLOAT:
            return struct.unpack("<d", need(8, "a float"))[0]
        if tag == STRING:
            return text("String")
        if tag == STRING_NAME:
            return SName(text("StringName"))
        if tag == ARRAY:
            return [value(depth + 1) for _ in range(count(1, "Array"))]
        if tag == DICT:
            out: dict = {}
            seen: set = set()
            for _ in range(count(2, "Dictionary")):
                k = value(depth + 1)
                v = value(depth + 1)
                try:
                    ident = _key(k)
                    hash(ident)
                except TypeError:
                    ident = ("unhashable", repr(k))
                if ident in seen:
                    raise FormatError("is corrupt: a key appears twice")
                seen.add(ident)
                out[str(k) if isinstance(k, str) else k if _hashable(k) else repr(k)] = v
            return out
        if tag == BYTES:
            return Raw(need(count(1, "PackedByteArray"), "a PackedByteArray"))
        if tag == F32S:
            return F32(need(4 * count(4, "PackedFloat32Array"), "a PackedFloat32Array"))
        if tag == I32S:
            n = count(4, "PackedInt32Array")
            return I32(struct.unpack(f"<{n}i", need(4 * n, "a PackedInt32Array")))
        raise FormatError(f"is corrupt: unknown value tag {tag}")

    v = value(0)
    if pos != len(payload):
        raise FormatError("is corrupt: bytes follow the value")
    return v


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True
