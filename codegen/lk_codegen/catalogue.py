"""The kernel catalogue: loads and validates codegen/spec/{activations,losses,optimizers,initializers}.yaml.

The spec files document their own keys (see their opening comments). This module turns them into frozen
dataclasses and rejects anything the generator could not turn into correct GLSL and C++: unknown or missing keys,
duplicate names, identifiers an expression may not use, bare integer literals, helper calls with the wrong
number of arguments. Every error names the file and line, the entry and the key, e.g.

    codegen/spec/activations.yaml:52: activations[leaky_relu].derivative: unknown identifier 'beta'
    (allowed here: alpha, x, y)

Example:
    >>> from lk_codegen import catalogue
    >>> [a.enum_name for a in catalogue.load().activations][:2]
    ['IDENTITY', 'SIGMOID']
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import initializers as _inits
from .dialect import (  # noqa: F401  (re-exported: the generator and tests use them from here)
    MATH_HELPERS,
    TOKEN,
    check_expression,
    check_statements,
    cpp_expr,
    identifiers,
    read_helpers,
)
from .initializers import Initializer
from .output import REPO
from .spec_yaml import NAME as _NAME
from .spec_yaml import Entry as _Entry
from .spec_yaml import SpecError, Tolerance
from .spec_yaml import display as _display
from .spec_yaml import entries as _entries

SPEC_DIR = REPO / "codegen" / "spec"
SPEC_NAMES = ("activations", "losses", "optimizers", "initializers")



# ----------------------------------------------------------------------------------------------------------
# The catalogue's entries
# ----------------------------------------------------------------------------------------------------------



# Push-constant float slots that carry an activation's parameters (ACT_P0..) in every kernel family that
# applies one: an entry may declare at most this many `params`.
ACT_PARAM_SLOTS = 4
# Push-constant float slots of a loss's parameters (LOSS_P0..): huber's delta, cce's label_smoothing, ...
LOSS_PARAM_SLOTS = 4
# The variables loss expressions read besides their params: output, target, pre-activation, the row's
# log-sum-exp of z, and the row width as a float (label smoothing's eps / C).
LOSS_VARIABLES = {"y", "t", "z", "lse", "cols"}
# Row sums a loss may declare (losses.yaml `row`: dot products and norms of each row, for cosine losses).
LOSS_ROW_SUMS = 4
# What a loss's targets are (losses.yaml `targets`); core/validate.cpp check_targets enforces each.
TARGET_KINDS = ("real", "probability", "distribution", "sign", "nonnegative")
# Names a parameter may not take: the expression variables, and words GLSL or C++ reserve or define as built-in
# functions (parameters become local variables of the generated functions).
_RESERVED_PARAMS = {
    "x", "y", "abs", "acos", "asin", "atan", "bool", "ceil", "char", "clamp", "const", "cos", "cosh", "default",
    "do", "double", "else", "exp", "exp2", "float", "floor", "for", "fract", "if", "in", "inline", "int", "inout",
    "length", "log", "log2", "max", "min", "mix", "mod", "new", "out", "pow", "return", "sign", "sin", "sinh",
    "smoothstep", "sqrt", "static", "step", "struct", "switch", "tan", "tanh", "this", "uint", "void", "while",
}


@dataclass(frozen=True)
class Activation:
    """One activations.yaml entry. Expressions are None for row-wise activations."""
    name: str
    doc: str
    elementwise: bool
    params: dict[str, float]  # in spec order: parameter k travels in push-constant slot ACT_P<k>
    forward: str | None
    derivative: str | None
    domain: tuple[float, float] | None
    kinks: tuple[str, ...]  # expressions over the params (plain numbers are expressions too)
    tolerance: Tolerance | None
    aliases: tuple[str, ...] = ()
    torch: str | None = None  # the torch equivalent, for the reference page
    log: bool = False  # row-wise only: log_softmax rather than softmax
    accurate_to: float = float("inf")  # |x| beyond which the tolerance is not promised (only finiteness)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (host expression over the params, message)

    @property
    def enum_name(self) -> str:
        return self.name.upper()

    @property
    def default_alpha(self) -> float:
        return self.params.get("alpha", 0.0)

    def kink_points(self, params: dict[str, float] | None = None) -> list[float]:
        """The kinks for these parameter values (the defaults when None). Kinks are dialect expressions over
        the params (`-lambd`), which are valid Python too."""
        values = {**self.params, **(params or {})}
        return [float(eval(k, {"__builtins__": {}}, values)) for k in self.kinks]  # a checked dialect expression


@dataclass(frozen=True)
class Loss:
    """One losses.yaml entry."""
    name: str
    doc: str
    link: str
    normalizer: str  # "elements" or "rows"
    value: str
    grad: str
    fused_value: str
    fused_grad: str
    targets: str
    tolerance: Tolerance
    params: dict[str, float] = field(default_factory=dict)  # in spec order: parameter k in slot LOSS_P<k>
    torch: str = ""
    row: dict[str, str] = field(default_factory=dict)  # row sum name -> per-element term (losses.yaml `row`)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (host expression over the params, message)

    @property
    def enum_name(self) -> str:
        return self.name.upper()

    @property
    def fused_needs_lse(self) -> bool:
        """Whether the fused variant needs the per-row log-sum-exp of z (a row pass in the kernel)."""
        return "lse" in identifiers(self.fused_value) | identifiers(self.fused_grad)


@dataclass(frozen=True)
class Hyperparameter:
    """One entry of optimizers.yaml's `hyperparameters` list: a float field of OptimizerHyper. Valid values:
    lo..hi (open ends excluded), or 0 and 1 for a flag."""
    name: str
    default: float
    doc: str
    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = True
    hi_open: bool = True
    flag: bool = False

    @property
    def range_text(self) -> str:
        """The valid values as the error messages say them: "[0, 1)", "> 0", "0 or 1 (a flag)"."""
        if self.flag:
            return "0 or 1 (false or true)"
        if math.isinf(self.hi):
            return f"{'>' if self.lo_open else '>='} {_num(self.lo)}"
        return f"in {'(' if self.lo_open else '['}{_num(self.lo)}, {_num(self.hi)}{')' if self.hi_open else ']'}"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


@dataclass(frozen=True)
class HostScalar:
    """One entry of an optimizer's `host` map: a scalar the host computes in double for each step t."""
    name: str
    expr: str
    initial: float | None = None  # carried from step to step (its name reads the previous value); None: not

    @property
    def carried(self) -> bool:
        return self.initial is not None


@dataclass(frozen=True)
class Optimizer:
    """One optimizers.yaml entry. `defaults` holds every hyperparameter, with this optimizer's overrides."""
    name: str
    doc: str
    state_per_param: int
    hyper: dict[str, float]
    defaults: dict[str, float]
    update: str
    state_if: dict[int, str] = field(default_factory=dict)    # state index -> flag hyperparameter
    state_init: dict[int, str] = field(default_factory=dict)  # state index -> hyperparameter (initial value)
    host: list[HostScalar] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (host expression that must hold, message)

    @property
    def enum_name(self) -> str:
        return self.name.upper()

    @property
    def statements(self) -> list[str]:
        """The update rule, one statement (without its `;`) per item."""
        return [s.strip() for s in self.update.split(";") if s.strip()]

    @property
    def push_names(self) -> list[str]:
        """The kernel's float push slots after max_norm (slot 0): the hyperparameters and host scalars the update
        reads, in spec order. Only these travel, so each variant fits in the 16 float slots on its own."""
        used = identifiers(self.update) | set(self.state_if.values())
        return [n for n in (*self.hyper, *(h.name for h in self.host)) if n in used and n != "max_norm"]

    @property
    def carried(self) -> list[HostScalar]:
        return [h for h in self.host if h.carried]


@dataclass(frozen=True)
class Catalogue:
    """Everything the kernel generator expands, in spec (= enum) order."""
    activations: list[Activation]
    losses: list[Loss]
    hyperparameters: list[Hyperparameter]
    optimizers: list[Optimizer]
    initializers: list[Initializer]
    helpers: dict[str, int] = field(default_factory=dict)  # lk_* helper name -> number of arguments

    def activation(self, name: str) -> Activation:
        return next(a for a in self.activations if a.name == name)



# ----------------------------------------------------------------------------------------------------------
# The four spec files
# ----------------------------------------------------------------------------------------------------------

def _kink(e: _Entry, value: Any, params: set[str]) -> str:
    """A kink as a dialect expression of the params (numbers included), without helper calls."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    if not isinstance(value, str):
        raise e.fail("kinks", f"expected a number or an expression of the params, got {value!r}")
    try:
        check_expression(value, params, {})
    except ValueError as err:
        raise e.fail("kinks", str(err)) from None
    return value


def _checks(e: _Entry, params: set[str]) -> list[tuple[str, str]]:
    """An entry's `checks`: [expression, message] pairs, expressions in the host dialect (double) over params."""
    raw = e.data.get("checks", [])
    if not isinstance(raw, list):
        raise e.fail("checks", "expected a list of [expression, message]")
    checks = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise e.fail("checks", "expected [expression, message] pairs")
        try:
            check_expression(item[0], params, HOST_FUNCTIONS)
        except ValueError as err:
            raise e.fail("checks", str(err)) from None
        checks.append((item[0].strip(), item[1].strip()))
    return checks


def check_params(expr: str, params: Any) -> list[str]:
    """The parameters a check reads, in the entry's order (the error message names them with their values)."""
    used = identifiers(expr)
    return [p for p in params if p in used]


def _params(e: _Entry, slots: int, kind: str, variables: set[str]) -> dict[str, float]:
    """An entry's `params`: name -> default, in spec order (parameter k travels in push-constant slot k)."""
    raw = e.data.get("params", {})
    if not isinstance(raw, dict) or len(raw) > slots:
        raise e.fail("params", f"expected a map name -> default of at most {slots} parameters (the kernel ABI's "
                               f"{kind} slots)")
    for k in raw:
        if not isinstance(k, str) or not _NAME.match(k) or k in _RESERVED_PARAMS | variables or k.startswith("lk_"):
            raise e.fail("params", f"bad parameter name {k!r}: expected snake_case, not {', '.join(sorted(variables))}"
                                   ", lk_* or a word GLSL or C++ reserve")
    return {k: e.number(v, "params") for k, v in raw.items()}


def _activations(path: Path, helpers: dict[str, int]) -> list[Activation]:
    result = []
    entries = _entries(path, "activations")
    names_seen: dict[str, str] = {e.name: e.name for e in entries}
    for e in entries:
        elementwise = e.data.get("elementwise", True)
        if not isinstance(elementwise, bool):
            raise e.fail("elementwise", "expected true or false")
        expression_keys = {"forward", "derivative", "domain", "tolerance"}
        if elementwise:
            e.check_keys({"name", "doc"} | expression_keys, {"elementwise", "params", "kinks", "aliases", "torch",
                                                              "accurate_to", "checks"})
        else:
            e.check_keys({"name", "doc", "elementwise"}, {"aliases", "torch", "log"})
        params = _params(e, ACT_PARAM_SLOTS, "activation", {"x", "y"})
        aliases_raw = e.data.get("aliases", [])
        if not isinstance(aliases_raw, list) or not all(isinstance(a, str) and _NAME.match(a) for a in aliases_raw):
            raise e.fail("aliases", "expected a list of snake_case names")
        for alias in aliases_raw:
            if alias in names_seen:
                raise e.fail("aliases", f"duplicate name {alias!r}")
            names_seen[alias] = e.name
        torch = e.text("torch") if "torch" in e.data else None
        log = e.data.get("log", False)
        if not isinstance(log, bool):
            raise e.fail("log", "expected true or false")
        forward = derivative = None
        domain = None
        tolerance = None
        kinks: tuple[str, ...] = ()
        if elementwise:
            forward = e.expression("forward", {"x", *params}, helpers)
            derivative = e.expression("derivative", {"x", "y", *params}, helpers)
            raw = e.data["domain"]
            if not isinstance(raw, list) or len(raw) != 2:
                raise e.fail("domain", "expected [lo, hi]")
            domain = (e.number(raw[0], "domain"), e.number(raw[1], "domain"))
            if not domain[0] < domain[1]:
                raise e.fail("domain", "expected lo < hi")
            kinks_raw = e.data.get("kinks", [])
            if not isinstance(kinks_raw, list):
                raise e.fail("kinks", "expected a list of numbers or expressions of the params")
            kinks = tuple(_kink(e, k, set(params)) for k in kinks_raw)
            tolerance = e.tolerance("tolerance")
        accurate_to = e.number(e.data["accurate_to"], "accurate_to") if "accurate_to" in e.data else float("inf")
        result.append(Activation(e.name, e.text("doc"), elementwise, params, forward, derivative, domain, kinks,
                                 tolerance, tuple(aliases_raw), torch, log, accurate_to, _checks(e, set(params))))
    if not result or result[0].name != "identity" or not result[0].elementwise:
        raise SpecError(f"{_display(path)}: the first activation must be the elementwise `identity` (it is the "
                        "enum's default and the fallback variant for row-wise activations)")
    return result


def _row_sums(e: _Entry, variables: set[str], helpers: dict[str, int]) -> dict[str, str]:
    """An entry's `row`: name -> per-element term, summed over each row before the elements are visited."""
    raw = e.data.get("row", {})
    if not isinstance(raw, dict) or len(raw) > LOSS_ROW_SUMS:
        raise e.fail("row", f"expected a map name -> expression of at most {LOSS_ROW_SUMS} row sums")
    out = {}
    for name, expr in raw.items():
        if (not isinstance(name, str) or not _NAME.match(name) or name in variables | _RESERVED_PARAMS | {"z", "lse"}
                or name.startswith("lk_")):
            raise e.fail("row", f"bad row sum name {name!r}: expected a new snake_case name (not a variable or "
                                "parameter)")
        if not isinstance(expr, str):
            raise e.fail("row", f"row sum {name!r}: expected an expression string")
        try:
            check_expression(expr, variables, helpers)
        except ValueError as err:
            raise e.fail("row", f"row sum {name!r}: {err}") from None
        out[name] = expr.strip()
    return out


def _losses(path: Path, helpers: dict[str, int], activations: list[Activation]) -> list[Loss]:
    result = []
    names = {a.name for a in activations}
    for e in _entries(path, "losses"):
        e.check_keys({"name", "doc", "link", "normalizer", "value", "grad", "fused_value", "fused_grad", "targets",
                      "tolerance"}, {"params", "torch", "row", "checks"})
        if e.data["link"] not in names:
            raise e.fail("link", f"unknown activation {e.data['link']!r} (known: {', '.join(sorted(names))})")
        params = _params(e, LOSS_PARAM_SLOTS, "loss", LOSS_VARIABLES | {"reduction"})
        row = _row_sums(e, {"y", "t", "cols", *params}, helpers)
        generic = {"y", "t", "cols", *params, *row}
        fused = {"z", "lse", *generic}
        torch = e.data.get("torch", "")
        if not isinstance(torch, str):
            raise e.fail("torch", "expected a string")
        result.append(Loss(
            e.name, e.text("doc"), e.data["link"], e.choice("normalizer", ("elements", "rows")),
            e.expression("value", generic, helpers), e.expression("grad", generic, helpers),
            e.expression("fused_value", fused, helpers), e.expression("fused_grad", fused, helpers),
            e.choice("targets", TARGET_KINDS), e.tolerance("tolerance"), params, torch, row,
            _checks(e, set(params))))
    return result


_RANGE = re.compile(r"^\s*([\[(])\s*([-+\w.]+)\s*,\s*([-+\w.]+)\s*([\])])\s*$")
# Functions host expressions (`host`, `checks`) may call; they run in double on the host (f32 rounds to float32,
# for state torch keeps in float32).
HOST_FUNCTIONS = {"pow": 2, "sqrt": 1, "exp": 1, "log": 1, "min": 2, "max": 2, "f32": 1}
FLOAT_SLOTS = 16  # Push::f; slot 0 of optimizer_step is max_norm


def _hyperparameters(path: Path) -> list[Hyperparameter]:
    result = []
    reserved = {"p", "g", "i", "k", "t", "count", "coef", "float"}
    for e in _entries(path, "hyperparameters"):
        e.check_keys({"name", "default", "doc"}, {"range", "flag"})
        if e.name in reserved or re.match(r"^s\d+$", e.name) or e.name.startswith("lk_"):
            raise e.fail("name", f"{e.name!r} is reserved for the update rule's own variables")
        default = e.number(e.data["default"], "default")
        flag = e.data.get("flag", False)
        if not isinstance(flag, bool):
            raise e.fail("flag", "expected true or false")
        bounds: dict[str, Any] = {"flag": flag}
        if "range" in e.data:
            m = _RANGE.match(str(e.data["range"]))
            try:
                lo, hi = (float(m.group(2)), float(m.group(3))) if m else (0.0, 0.0)
            except ValueError:
                m = None
            if not m or flag:
                raise e.fail("range", "expected an interval like \"[0.0, 1.0)\" or \"(0.0, inf)\" (not on a flag)")
            bounds.update(lo=lo, hi=hi, lo_open=m.group(1) == "(", hi_open=m.group(4) == ")")
        h = Hyperparameter(e.name, default, e.text("doc"), **bounds)
        if flag and default not in (0.0, 1.0):
            raise e.fail("default", "a flag's default is 0.0 or 1.0")
        result.append(h)
    if "max_norm" not in {h.name for h in result}:
        raise SpecError(f"{_display(path)}: hyperparameters: `max_norm` is required (gradient clipping)")
    return result


def _host_scalars(e: _Entry, own: set[str], reserved: set[str]) -> list[HostScalar]:
    raw = e.data.get("host", {})
    if not isinstance(raw, dict):
        raise e.fail("host", "expected a map name -> expression (or {value: expression, initial: number})")
    result: list[HostScalar] = []
    known = {"t", *own}
    for name, spec in raw.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in known or name in reserved:
            raise e.fail("host", f"host scalar {name!r}: expected a new snake_case name (not a hyperparameter, "
                                 "an update variable or t)")
        initial = None
        if isinstance(spec, dict):
            if set(spec) != {"value", "initial"}:
                raise e.fail("host", f"host scalar {name!r}: expected {{value: expression, initial: number}}")
            initial, spec = e.number(spec["initial"], "host"), spec["value"]
        try:
            check_expression(spec, known | ({name} if initial is not None else set()), HOST_FUNCTIONS)
        except ValueError as err:
            raise e.fail("host", f"{name}: {err}") from None
        result.append(HostScalar(name, spec.strip(), initial))
        known.add(name)
    return result


def _state_map(e: _Entry, key: str, states: int, own: dict[str, float]) -> dict[int, str]:
    raw = e.data.get(key, {})
    if not isinstance(raw, dict):
        raise e.fail(key, "expected a map s<k> -> hyperparameter")
    result = {}
    for state, hyper in raw.items():
        m = re.match(r"^s(\d+)$", str(state))
        if not m or int(m.group(1)) >= states:
            raise e.fail(key, f"{state!r}: expected a state s0 .. s{states - 1}")
        if hyper not in own:
            raise e.fail(key, f"{state}: expected one of this optimizer's hyperparameters "
                              f"({', '.join(sorted(own))}), got {hyper!r}")
        result[int(m.group(1))] = str(hyper)
    return result


def _optimizers(path: Path, helpers: dict[str, int], hyper: list[Hyperparameter]) -> list[Optimizer]:
    result = []
    known = {h.name: h.default for h in hyper}
    for e in _entries(path, "optimizers"):
        e.check_keys({"name", "doc", "state_per_param", "hyper", "update"},
                     {"state_if", "state_init", "host", "checks"})
        states = e.data["state_per_param"]
        if isinstance(states, bool) or not isinstance(states, int) or not 0 <= states <= 4:
            raise e.fail("state_per_param", "expected an integer from 0 to 4")
        own = e.data["hyper"]
        if not isinstance(own, dict):
            raise e.fail("hyper", "expected a map name -> default")
        for name in own:
            if name not in known:
                raise e.fail("hyper", f"unknown hyperparameter {name!r} (declare it under `hyperparameters`)")
        own_defaults = {k: e.number(v, "hyper") for k, v in own.items()}
        state_names = {f"s{k}" for k in range(states)}
        host = _host_scalars(e, set(own_defaults), {"p", "g", *state_names, *known, "float"})
        try:
            check_statements(e.text("update"), {"p", "g"} | state_names,
                             set(own_defaults) | {h.name for h in host}, helpers)
        except ValueError as err:
            raise e.fail("update", str(err)) from None
        checks = _checks(e, set(own_defaults))
        opt = Optimizer(e.name, e.text("doc"), states, own_defaults, known | own_defaults, e.text("update"),
                        _state_map(e, "state_if", states, own_defaults),
                        _state_map(e, "state_init", states, own_defaults), host, checks)
        if 1 + len(opt.push_names) > FLOAT_SLOTS:
            raise e.fail("update", f"reads {len(opt.push_names)} hyperparameters and host scalars "
                                   f"({', '.join(opt.push_names)}): at most {FLOAT_SLOTS - 1} fit in the push "
                                   "constants next to max_norm")
        result.append(opt)
    return result


def host_cpp(expr: str) -> str:
    """A host expression as C++ in double: its functions become std:: ones (f32: a round trip through float)."""
    out = []
    for m in TOKEN.finditer(expr):
        kind = m.lastgroup or ""
        text = m.group(kind)
        if kind == "id" and text in HOST_FUNCTIONS:
            text = "lk_f32" if text == "f32" else f"std::{text}"
        out.append(text)
    return " ".join(out)


def spec_files(spec_dir: Path = SPEC_DIR) -> list[Path]:
    """The spec files the catalogue reads."""
    return [spec_dir / f"{name}.yaml" for name in SPEC_NAMES]


def load(spec_dir: Path = SPEC_DIR) -> Catalogue:
    """Reads and validates the four spec files. Raises SpecError naming the file, line, entry and key."""
    helpers = read_helpers()
    acts, losses, optims, inits = spec_files(spec_dir)
    activations = _activations(acts, helpers)
    hyper = _hyperparameters(optims)
    return Catalogue(activations, _losses(losses, helpers, activations), hyper,
                     _optimizers(optims, helpers, hyper), _inits.load(inits, helpers), helpers)
