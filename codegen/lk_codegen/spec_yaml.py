"""Reading spec files: YAML that remembers the line of every key, and errors that point at it
(`file:line: section[entry].key: message`), plus the typed readers every spec entry shares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .dialect import check_expression
from .output import REPO

NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # entry, parameter and alias names: snake_case


class SpecError(ValueError):
    """A spec file is malformed; the message starts with `file:line: section[entry].key:`."""


@dataclass(frozen=True)
class Tolerance:
    """Test tolerances for float32 results: |got - want| <= atol + rtol * |want|."""
    rtol: float
    atol: float


class Map(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers the line of each key."""
    line: int = 0
    key_lines: dict[str, int]


class Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: Loader, node: yaml.MappingNode) -> Map:
    loader.flatten_mapping(node)
    result = Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


@dataclass
class Entry:
    """One spec entry being read: knows where it is, to word errors."""
    path: Path
    section: str
    data: Map
    name: str = "?"

    def fail(self, key: str | None, message: str) -> SpecError:
        line = self.data.key_lines.get(key, self.data.line) if key else self.data.line
        where = f"{self.section}[{self.name}]" + (f".{key}" if key else "")
        return SpecError(f"{display(self.path)}:{line}: {where}: {message}")

    def check_keys(self, required: set[str], optional: set[str]) -> None:
        for key in self.data:
            if key not in required | optional:
                raise self.fail(key, f"unknown key {key!r} (allowed: {', '.join(sorted(required | optional))})")
        for key in sorted(required - set(self.data)):
            raise self.fail(None, f"missing required key {key!r}")

    def text(self, key: str) -> str:
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected a non-empty string")
        return value.strip()

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"expected a number, got {value!r} (YAML needs a dot: write 1.0e-8, not 1e-8)")
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.data[key]
        if value not in choices:
            raise self.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return str(value)

    def tolerance(self, key: str) -> Tolerance:
        value = self.data[key]
        if not isinstance(value, dict) or set(value) != {"rtol", "atol"}:
            raise self.fail(key, "expected {rtol: <float>, atol: <float>}")
        return Tolerance(self.number(value["rtol"], key), self.number(value["atol"], key))

    def expression(self, key: str, variables: set[str], helpers: dict[str, int]) -> str:
        expr = self.text(key)
        try:
            check_expression(expr, variables, helpers)
        except ValueError as err:
            raise self.fail(key, str(err)) from None
        return expr


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def entries(path: Path, section: str) -> list[Entry]:
    """The entries of the list `section` in a spec file, each checked for a valid, unique name."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    except yaml.YAMLError as err:
        raise SpecError(f"{display(path)}: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get(section), list) or not data[section]:
        raise SpecError(f"{display(path)}:1: expected a top-level non-empty list `{section}:`")
    found: list[Entry] = []
    seen: set[str] = set()
    for index, item in enumerate(data[section]):
        if not isinstance(item, Map):
            raise SpecError(f"{display(path)}: {section}[{index}]: expected a mapping")
        entry = Entry(path, section, item, str(item.get("name", f"#{index}")))
        if not isinstance(item.get("name"), str) or not NAME.match(item["name"]):
            raise entry.fail("name" if "name" in item else None, "expected a snake_case `name`")
        if entry.name in seen:
            raise entry.fail("name", f"duplicate name {entry.name!r}")
        seen.add(entry.name)
        found.append(entry)
    return found
