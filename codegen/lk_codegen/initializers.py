"""codegen/spec/initializers.yaml: weight (and bias) initializers with torch.nn.init semantics.

Each entry names a distribution per tensor (normal, uniform, constant, orthogonal) whose arguments are dialect
expressions over the fans and the entry's parameters. A parameter is a float or a choice: a string option of a
named option set (`mode: fan_in`, `nonlinearity: relu`) that reads as its option's expression (the fan, the
gain). The header of the spec file documents every key.

Example:
    >>> from lk_codegen import catalogue
    >>> [i.name for i in catalogue.load().initializers][:3]
    ['kaiming', 'xavier', 'kaiming_normal']
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .dialect import check_expression
from .spec_yaml import NAME, Entry, Loader, SpecError, display, entries

INIT_PARAM_SLOTS = 4
FANS = {"fan_in", "fan_out"}
DISTRIBUTIONS = {"normal": ("mean", "std"), "uniform": ("low", "high"), "constant": (), "orthogonal": ("gain",)}
# Host functions checks may call (the optimizer checks' set; catalogue.HOST_FUNCTIONS is the same).
_HOST_FUNCTIONS = {"pow": 2, "sqrt": 1, "exp": 1, "log": 1, "min": 2, "max": 2, "f32": 1}


@dataclass(frozen=True)
class Draw:
    """A distribution: kind, and its arguments as dialect expressions (normal: mean, std; uniform: low, high;
    constant: value; orthogonal: gain)."""
    kind: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class InitParam:
    """A parameter: a float (options empty) or a choice (options: option -> expression, default an option)."""
    name: str
    default: float | str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def is_choice(self) -> bool:
        return bool(self.options)

    @property
    def default_index(self) -> int:
        return list(self.options).index(str(self.default)) if self.is_choice else 0


@dataclass(frozen=True)
class Initializer:
    """One initializers.yaml entry."""
    name: str
    doc: str
    params: list[InitParam]
    weight: Draw
    bias: Draw
    torch: str = ""
    checks: list[tuple[str, str]] = field(default_factory=list)

    @property
    def enum_name(self) -> str:
        return self.name.upper()

    @property
    def numeric(self) -> list[InitParam]:
        return [p for p in self.params if not p.is_choice]

    @property
    def choices(self) -> list[InitParam]:
        return [p for p in self.params if p.is_choice]

    def defaults(self) -> dict[str, float | str]:
        return {p.name: p.default for p in self.params}


def _choices(path: Path) -> dict[str, dict[str, str]]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    raw = data.get("choices", {}) if isinstance(data, dict) else {}
    if not isinstance(raw, dict):
        raise SpecError(f"{display(path)}: choices: expected a map choice -> {{option: expression}}")
    for name, options in raw.items():
        if not (isinstance(name, str) and NAME.match(name) and isinstance(options, dict) and options
                and all(isinstance(k, str) and NAME.match(k) and isinstance(v, str) for k, v in options.items())):
            raise SpecError(f"{display(path)}: choices[{name}]: expected a map snake_case option -> expression")
    return {str(k): {str(o): str(e) for o, e in v.items()} for k, v in raw.items()}


def _draw(e: Entry, key: str, variables: set[str], helpers: dict[str, int], orthogonal: bool) -> Draw:
    raw = e.data.get(key, {"constant": "0.0"})
    kinds = [k for k in DISTRIBUTIONS if orthogonal or k != "orthogonal"]
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in kinds:
        raise e.fail(key, f"expected one of {', '.join('{' + k + ': ...}' for k in kinds)}")
    kind, body = next(iter(raw.items()))
    if kind == "constant":
        exprs = [body]
    else:
        if not isinstance(body, dict):
            raise e.fail(key, f"{kind}: expected a map of {', '.join(DISTRIBUTIONS[kind])}")
        if kind == "uniform" and set(body) == {"bound"}:
            body = {"low": f"-({body['bound']})", "high": body["bound"]}
        if kind == "normal":
            body = {"mean": "0.0", **body}
        if set(body) != set(DISTRIBUTIONS[kind]):
            raise e.fail(key, f"{kind}: expected keys {', '.join(DISTRIBUTIONS[kind])}"
                              f"{' (or bound)' if kind == 'uniform' else ''}, got {', '.join(map(str, body))}")
        exprs = [body[a] for a in DISTRIBUTIONS[kind]]
    for expr in exprs:
        if not isinstance(expr, str):
            raise e.fail(key, f"{kind}: expected expression strings, got {expr!r}")
        try:
            check_expression(expr, variables, helpers)
        except ValueError as err:
            raise e.fail(key, f"{kind}: {err}") from None
    return Draw(kind, tuple(x.strip() for x in exprs))


def _params(e: Entry, choices: dict[str, dict[str, str]], helpers: dict[str, int]) -> list[InitParam]:
    raw = e.data.get("params", {})
    if not isinstance(raw, dict) or len(raw) > INIT_PARAM_SLOTS:
        raise e.fail("params", f"expected a map name -> default of at most {INIT_PARAM_SLOTS} parameters")
    result = []
    for name, default in raw.items():
        if not isinstance(name, str) or not NAME.match(name) or name in FANS | {"name"} or name.startswith("lk_"):
            raise e.fail("params", f"bad parameter name {name!r}: expected snake_case, not fan_in, fan_out, name "
                                   "or lk_*")
        if isinstance(default, str):
            if name not in choices or default not in choices[name]:
                known = ", ".join(choices.get(name, {})) or f"none: declare `{name}` under choices"
                raise e.fail("params", f"{name}: {default!r} is not an option of choice {name!r} ({known})")
            result.append(InitParam(name, default, choices[name]))
        else:
            result.append(InitParam(name, e.number(default, "params")))
    numeric = FANS | {p.name for p in result if not p.is_choice}
    for p in result:
        for option, expr in p.options.items():
            try:
                check_expression(expr, numeric, helpers)
            except ValueError as err:
                raise e.fail("params", f"choice {p.name}, option {option}: {err}") from None
    return result


def load(path: Path, helpers: dict[str, int]) -> list[Initializer]:
    """Reads and checks initializers.yaml; SpecError names the file, line, entry and key."""
    choices = _choices(path)
    result = []
    for e in entries(path, "initializers"):
        e.check_keys({"name", "doc", "weight"}, {"params", "bias", "torch", "checks"})
        params = _params(e, choices, helpers)
        variables = FANS | {p.name for p in params}
        checks = []
        raw_checks = e.data.get("checks", [])
        if not isinstance(raw_checks, list):
            raise e.fail("checks", "expected a list of [expression, message]")
        for item in raw_checks:
            if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                raise e.fail("checks", "expected [expression, message] pairs")
            try:
                check_expression(item[0], {p.name for p in params if not p.is_choice}, _HOST_FUNCTIONS)
            except ValueError as err:
                raise e.fail("checks", str(err)) from None
            checks.append((item[0].strip(), item[1]))
        torch = e.text("torch") if "torch" in e.data else ""
        result.append(Initializer(e.name, e.text("doc"), params, _draw(e, "weight", variables, helpers, True),
                                  _draw(e, "bias", variables, helpers, False), torch, checks))
    return result


def rename(expr: str, init: Initializer) -> str:
    """expr with the entry's parameters renamed v_<name>: generated C++ keeps them apart from C++ names (a
    parameter called `std` would hide namespace std)."""
    from .dialect import TOKEN
    names = {p.name for p in init.params}
    out = []
    for m in TOKEN.finditer(expr):
        kind = m.lastgroup or ""
        text = m.group(kind)
        out.append(f"v_{text}" if kind == "id" and text in names else text)
    return " ".join(out)
