"""The expression dialect of the spec files: ONE language that compiles as both GLSL 4.50 and C++17 (see the
header of codegen/spec/activations.yaml). It checks expressions and statements (identifiers, helper arity, no
bare integer literals) and turns them into C++ (float literals get an `f`).

Example:
    >>> from lk_codegen import dialect
    >>> dialect.cpp_expr("x > 0.0 ? x : alpha * x")
    'x > 0.0f ? x : alpha * x'
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .output import TEMPLATES

# The lk_* helpers expressions may call are read from this file, so the template is their single definition.
MATH_HELPERS = TEMPLATES / "kernels" / "_math.inc.j2"

_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_HELPER_DEF = re.compile(r"^LK_FN float (lk_\w+)\(([^)]*)\)", re.MULTILINE)
# A float literal: 1.0, 1., .5, 2.0e-3, 1e5 (bare integers are matched separately and rejected).
_FLOAT = r"(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)"
TOKEN = re.compile(
    rf"\s*(?:(?P<float>{_FLOAT})|(?P<int>\d+)|(?P<id>[A-Za-z_]\w*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/<>?:!])|(?P<open>\()|(?P<close>\))|(?P<comma>,))"
)
_CPP_FLOAT = re.compile(rf"(?<![\w.])({_FLOAT})(?![\w.])")
_STATEMENT = re.compile(r"^\s*(?:(?P<decl>float)\s+)?(?P<target>[A-Za-z_]\w*)\s*(?P<op>[-+*/]?=)(?!=)(?P<expr>.*)$",
                        re.DOTALL)



def identifiers(expr: str) -> set[str]:
    """Every identifier an expression mentions (variables and functions)."""
    return {m.group("id") for m in TOKEN.finditer(expr) if m.group("id")}


def cpp_expr(expr: str) -> str:
    """An expression in the spec dialect as C++: float literals get an `f` so host code stays in float."""
    return _CPP_FLOAT.sub(r"\1f", expr)


def read_helpers(path: Path = MATH_HELPERS) -> dict[str, int]:
    """The lk_* helpers defined in the math template that spec expressions may call: name -> number of
    parameters. Only float -> float helpers qualify (the dialect has no integers; lk_uniform takes uints)."""
    text = path.read_text(encoding="utf-8")
    helpers = {}
    for name, params in _HELPER_DEF.findall(text):
        args = [p.strip() for p in params.split(",") if p.strip()]
        if all(a.startswith("float ") for a in args):
            helpers[name] = len(args)
    return helpers


def check_expression(expr: str, variables: set[str], helpers: dict[str, int]) -> None:
    """Raises ValueError (message without location) unless expr is a well-formed dialect expression over
    `variables` and the lk_* `helpers`."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError("expected a non-empty expression string")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unexpected character {expr[pos:].strip()[0]!r} in {expr!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    # calls: stack of [helper name, argument count so far] per open parenthesis (name "" for grouping)
    calls: list[list[Any]] = []
    prev = "op"
    for i, (kind, text) in enumerate(tokens):
        operand = kind in ("float", "int", "id")
        if operand and prev == "operand":
            raise ValueError(f"missing operator before {text!r} in {expr!r}")
        if kind == "int":
            raise ValueError(f"bare integer literal {text!r}: write {text}.0 (GLSL and C++ differ on int math)")
        if kind == "id":
            is_call = i + 1 < len(tokens) and tokens[i + 1][0] == "open"
            if is_call and text not in helpers:
                raise ValueError(f"unknown function {text!r} (allowed: {', '.join(sorted(helpers))})")
            if not is_call and text not in variables:
                raise ValueError(f"unknown identifier {text!r} (allowed here: {', '.join(sorted(variables))})")
            prev = "call" if is_call else "operand"
            continue
        if kind == "open":
            if prev == "operand":
                raise ValueError(f"missing operator before '(' in {expr!r}")
            calls.append([tokens[i - 1][1] if prev == "call" else "", 0])
        elif kind == "close":
            if not calls:
                raise ValueError(f"unbalanced ')' in {expr!r}")
            name, commas = calls.pop()
            args = commas + (0 if tokens[i - 1][0] == "open" else 1)
            if name and helpers[name] != args:
                raise ValueError(f"{name} takes {helpers[name]} arguments, got {args} in {expr!r}")
            if not name and commas:
                raise ValueError(f"unexpected ',' in {expr!r}")
        elif kind == "comma":
            if not calls:
                raise ValueError(f"unexpected ',' in {expr!r}")
            calls[-1][1] += 1
        prev = "operand" if operand or kind == "close" else "op"
    if calls:
        raise ValueError(f"unbalanced '(' in {expr!r}")
    if prev != "operand":
        raise ValueError(f"incomplete expression {expr!r}")


def check_statements(text: str, assignable: set[str], readable: set[str], helpers: dict[str, int]) -> None:
    """Raises ValueError unless text is `;`-terminated assignments (`v = e;`, `v += e;`, `float tmp = e;`)
    to `assignable` variables or declared temporaries, whose right-hand sides read `readable` ones."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("expected statements")
    *statements, tail = text.split(";")
    if tail.strip():
        raise ValueError(f"statement {tail.strip()!r} must end with ';'")
    assignable, readable = set(assignable), set(readable) | set(assignable)
    for statement in statements:
        m = _STATEMENT.match(statement)
        if not m:
            raise ValueError(f"expected `name = expression` or `float name = expression`, got {statement.strip()!r}")
        target, decl = m.group("target"), m.group("decl")
        check_expression(m.group("expr"), readable, helpers)
        if decl:
            if m.group("op") != "=" or target in readable or target in helpers:
                raise ValueError(f"bad declaration of {target!r} in {statement.strip()!r}")
            assignable.add(target)
            readable.add(target)
        elif target not in assignable:
            raise ValueError(f"cannot assign {target!r} (assignable: {', '.join(sorted(assignable))})")
