"""The parameter rules of the spec (`checks` of codegen/spec/activations.yaml and losses.yaml) from GDScript:
for every rule, parameters that break it are refused by every way of creating the activation or the loss, with
an error naming the entry, each parameter with its value, the spec's message and the rule; parameters that keep
it (and differ from the defaults) are accepted.

Driven by the spec: the breaking and keeping values are searched on a small grid with Python's reading of the
rule, so a new check is tested at once."""
from __future__ import annotations

import itertools
import re

import pytest
from conftest import BackendResults
from lk import ok, spec

pytestmark = pytest.mark.usefixtures("godot_ready")

GRID = [0.0, -1.0, 1.0, 0.5, -0.5, 2.0, -2.0, 1.5]  # exact in float32, printed exactly by "%.9g"


def holds(expr: str, values: dict[str, float]) -> bool:
    """A rule in the host dialect read as Python (the same comparisons; && and || spelled out)."""
    py = expr.replace("&&", " and ").replace("||", " or ")
    return bool(eval(py, {"__builtins__": {}}, dict(values)))  # a checked dialect expression


def searched(entry, expr: str, want: bool) -> dict[str, float] | None:
    """Settings (only the rule's parameters) for which the rule holds (want) or breaks, other than defaults."""
    names = [p for p in entry.params if re.search(rf"\b{p}\b", expr)]
    for combo in itertools.product(GRID, repeat=len(names)):
        values = {**entry.params, **dict(zip(names, combo, strict=True))}
        if holds(expr, values) == want and all(holds(e, values) for e, _ in entry.checks if e != expr):
            settings = dict(zip(names, combo, strict=True))
            if want and settings == {n: entry.params[n] for n in names}:
                continue
            return settings
    return None


def rules() -> list[tuple[str, object, str, str]]:
    found = [("activation", a, e, m) for a in spec().activations for e, m in a.checks]
    return found + [("loss", x, e, m) for x in spec().losses for e, m in x.checks]


RULES = rules()


def _cases() -> list[dict]:
    cases = []
    for kind, entry, expr, _ in RULES:
        for want in (False, True):
            settings = searched(entry, expr, want)
            assert settings is not None, f"no grid values {'keep' if want else 'break'} {entry.name}'s {expr}"
            cases.append({"id": f"{entry.name}-{expr}-{want}", "kind": f"param_checks.{kind}",
                          kind: entry.name, "settings": settings})
    return cases


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: _cases())


def test_the_spec_has_rules() -> None:
    names = {entry.name for _, entry, _, _ in RULES}
    assert {"hard_tanh", "softplus", "celu", "huber", "cce"} <= names


@pytest.mark.parametrize("kind,entry,expr,message", RULES, ids=[f"{r[1].name}:{r[2]}" for r in RULES])
def test_rule_is_enforced(results: BackendResults, kind: str, entry, expr: str, message: str) -> None:
    bad = searched(entry, expr, False)
    r = ok(results["cpu"][f"{entry.name}-{expr}-False"])
    errors = "\n".join(r["errors"])
    if kind == "activation":
        assert r["layer_null"] is True and r.get("dense_null", True) is True, r
    else:
        assert r["trainer_null"] is True and r["setter_kept"] is False, r
    assert entry.name in errors and message in errors and f"(rule: {expr})" in errors, errors
    for name, value in bad.items():
        assert f"{name} = {value:g}" in errors, f"{name} = {value:g} not in {errors}"
    good = ok(results["cpu"][f"{entry.name}-{expr}-True"])
    assert not good["errors"], good["errors"]
    if kind == "activation":
        assert good["layer_null"] is False and good.get("dense_null", False) is False, good
    else:
        assert good["trainer_null"] is False and good["setter_kept"] is True, good
