"""Custom activations registered at run time (LearnKit.register_activation), through Godot on both backends
(godot_project/tests/cases/custom_act.gd):

  - values and derivatives of a few expressions (parameters, lk_* helpers of one to three arguments, ?:, !,
    &&, ||, the derivative through y) against NumPy formulas written here, and the derivatives also against
    central finite differences of the NumPy forward; on awkward sizes, including more values than the CPU
    evaluator's block (256);
  - a custom activation equal to a built-in (silu, softplus) trains a network to the same loss curve;
  - saved by name in JSON and .tres files; a file naming an unregistered activation does not load;
  - every error: the generator's checker messages (the same text as codegen/lk_codegen/dialect.py, compared
    here with the Python checker's own message), name clashes, bad parameters; nothing is registered then.
"""
from __future__ import annotations

import json
import re
import sys
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from conftest import BackendResults, enabled_backends, launch_godot
from lk import BACKENDS, ROOT, dec, enc, ok

sys.path.insert(0, str(ROOT / "codegen"))
from lk_codegen import dialect

pytestmark = pytest.mark.usefixtures("godot_ready")

ERR_INVALID_PARAMETER = 31  # Godot's Error enum

F = Callable[[np.ndarray, dict], np.ndarray]


@dataclass(frozen=True)
class Custom:
    name: str
    forward: str
    derivative: str
    params: dict[str, float]
    np_forward: F
    np_derivative: F
    kinks: tuple[float, ...] = ()
    samples: tuple[dict[str, float], ...] = field(default=())  # other parameter values to evaluate at

    def spec(self) -> dict:
        return {"name": self.name, "forward": self.forward, "derivative": self.derivative, "params": self.params}


def _sig(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


CUSTOMS = [
    Custom("ca_softsign", "x / (1.0 + lk_abs(x))", "1.0 / ((1.0 + lk_abs(x)) * (1.0 + lk_abs(x)))", {},
           lambda x, p: x / (1 + np.abs(x)), lambda x, p: 1 / (1 + np.abs(x)) ** 2),
    Custom("ca_scaled_tanh", "a * lk_tanh(b * x)", "a * b * (1.0 - (y / a) * (y / a))", {"a": 1.7159, "b": 0.6667},
           lambda x, p: p["a"] * np.tanh(p["b"] * x), lambda x, p: p["a"] * p["b"] / np.cosh(p["b"] * x) ** 2,
           samples=({"a": 2.0, "b": 0.5},)),
    Custom("ca_leaky", "x > 0.0 ? x : alpha * x", "x > 0.0 ? 1.0 : alpha", {"alpha": 0.1},
           lambda x, p: np.where(x > 0, x, p["alpha"] * x), lambda x, p: np.where(x > 0, 1.0, p["alpha"]),
           kinks=(0.0,), samples=({"alpha": 0.3},)),
    Custom("ca_clamp_sin", "lk_clamp(x, -1.0, 1.0) + 0.1 * lk_sin(x)",
           "(x > -1.0 && x < 1.0 ? 1.0 : 0.0) + 0.1 * lk_cos(x)", {},
           lambda x, p: np.clip(x, -1, 1) + 0.1 * np.sin(x),
           lambda x, p: ((x > -1) & (x < 1)).astype(float) + 0.1 * np.cos(x), kinks=(-1.0, 1.0)),
    Custom("ca_gauss", "lk_exp(-x * x / (2.0 * s * s))", "-x / (s * s) * y", {"s": 1.5},
           lambda x, p: np.exp(-x * x / (2 * p["s"] ** 2)),
           lambda x, p: -x / p["s"] ** 2 * np.exp(-x * x / (2 * p["s"] ** 2))),
    Custom("ca_window", "!(x < -2.0 || x > 2.0) ? x * x : 4.0", "!(x < -2.0 || x > 2.0) ? 2.0 * x : 0.0", {},
           lambda x, p: np.where(np.abs(x) <= 2, x * x, 4.0), lambda x, p: np.where(np.abs(x) <= 2, 2 * x, 0.0),
           kinks=(-2.0, 2.0)),
    Custom("ca_mish_like", "x * lk_tanh(lk_softplus(x)) + 0.01 * lk_max(x, 0.0) - lk_min(x, -3.0) * 1.0e-3",
           "lk_tanh(lk_softplus(x)) + x * lk_sigmoid(x) * (1.0 - lk_tanh(lk_softplus(x)) * lk_tanh(lk_softplus(x)))"
           " + (x > 0.0 ? 0.01 : 0.0) - (x < -3.0 ? 1.0e-3 : 0.0)", {},
           lambda x, p: x * np.tanh(np.logaddexp(0, x)) + 0.01 * np.maximum(x, 0) - np.minimum(x, -3) * 1e-3,
           lambda x, p: (np.tanh(np.logaddexp(0, x)) + x * _sig(x) * (1 - np.tanh(np.logaddexp(0, x)) ** 2)
                         + np.where(x > 0, 0.01, 0.0) - np.where(x < -3, 1e-3, 0.0)), kinks=(0.0, -3.0)),
]
SIZES = (1, 7, 127, 1000)  # 1000: several blocks of the CPU evaluator, the last one partial


@dataclass(frozen=True)
class Eval:
    custom: Custom
    params: dict[str, float]
    n: int

    @property
    def id(self) -> str:
        given = "_".join(f"{k}{v:g}" for k, v in self.params.items()).replace(".", "p").replace("-", "m")
        return f"{self.custom.name}_{given}_{self.n}" if given else f"{self.custom.name}_{self.n}"

    def settings(self) -> dict:
        return {"activation": self.custom.name, **self.params}

    def z(self) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        special = [0.5, -0.5, 3.0, -3.5, 6.0, -6.0]
        z = np.concatenate([special, rng.uniform(-5, 5, max(0, self.n - len(special)))])[: self.n]
        # Keep finite differences away from the kinks.
        for k in self.custom.kinks:
            close = np.abs(z - k) < 1e-2
            z[close] = k + 0.25
        return z.astype(np.float32)


EVALS = [Eval(c, p, n) for c in CUSTOMS for p in ({}, *c.samples) for n in SIZES]


def _full(e: Eval) -> dict[str, float]:
    return {**e.custom.params, **e.params}


# A custom activation equal to a built-in: the network must train to the same loss curve.
TWINS = [
    ("silu", {}, Custom("ca_silu", "x / (1.0 + lk_exp(-x))",
                        "lk_sigmoid(x) * (1.0 + x * (1.0 - lk_sigmoid(x)))", {}, None, None)),
    ("softplus", {"beta": 2.0, "threshold": 5.0},
     Custom("ca_softplus", "x * beta > threshold ? x : lk_softplus(x * beta) / beta",
            "x * beta > threshold ? 1.0 : lk_sigmoid(x * beta)", {"beta": 1.0, "threshold": 20.0}, None, None)),
]


def _train_case(builtin: str, settings: dict, custom: Custom) -> dict:
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (64, 3)).astype(np.float32)
    t = (np.sin(x[:, :1] * 1.5) + 0.3 * x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    return {"id": f"train_{custom.name}", "kind": "custom_act.train", "register": [custom.spec()],
            "builtin": builtin, "custom": custom.name, "builtin_settings": settings, "custom_settings": settings,
            "x": enc(x), "t": enc(t), "loss": "mse", "optimizer": {"kind": "adam"}, "learning_rate": 1e-2,
            "epochs": 40, "batch_size": 16, "shuffle": True, "seed": 9}


GOOD = [c.spec() for c in CUSTOMS]
# (case id, name, forward, derivative, params, the message's expected text)
ERRORS = [
    ("unknown_identifier", "ca_bad1", "x * z", "1.0", {}, None),
    ("unknown_function", "ca_bad2", "exp(x)", "1.0", {}, None),
    ("wrong_arity", "ca_bad3", "lk_max(x)", "1.0", {}, None),
    ("bare_integer", "ca_bad4", "2 * x", "2.0", {}, None),
    ("unbalanced_open", "ca_bad5", "(x + 1.0", "1.0", {}, None),
    ("unbalanced_close", "ca_bad6", "x + 1.0)", "1.0", {}, None),
    ("missing_operator", "ca_bad7", "x 2.0", "1.0", {}, None),
    ("incomplete", "ca_bad8", "x +", "1.0", {}, None),
    ("bad_character", "ca_bad9", "x ^ 2.0", "1.0", {}, None),
    ("empty", "ca_bad10", "   ", "1.0", {}, None),
    ("y_in_forward", "ca_bad11", "y * x", "1.0", {}, None),
    ("derivative_unknown", "ca_bad12", "x", "x * q", {"alpha": 1.0}, None),
    ("stray_comma", "ca_bad13", "(x, x)", "1.0", {}, None),
    # beyond the generator's checker: the compiler's own rules (types, grammar, literals)
    ("bool_arithmetic", "ca_bad14", "(x > 0.0) * x", "1.0", {}, "is a comparison"),
    ("bool_result", "ca_bad15", "x > 0.0", "1.0", {}, "is a comparison"),
    ("number_condition", "ca_bad16", "x ? 1.0 : 0.0", "1.0", {}, "needs a comparison"),
    ("double_operator", "ca_bad17", "x * * x", "1.0", {}, "unexpected '*'"),
    ("huge_literal", "ca_bad18", "x * 1.0e99", "1.0", {}, "'1.0e99' is beyond float range"),
    ("missing_colon", "ca_bad19", "x > 0.0 ? x", "1.0", {}, "expected ':'"),
    # names and parameters
    ("builtin_name", "relu", "x", "1.0", {}, '"relu" is a built-in activation'),
    ("builtin_alias", "swish", "x", "1.0", {}, "an alias of silu"),
    ("registered_name", "ca_softsign", "x", "1.0", {}, '"ca_softsign" is already registered'),
    ("bad_name", "My-Act", "x", "1.0", {}, 'name "My-Act": expected a snake_case name'),
    ("reserved_param", "ca_bad20", "x * exp", "1.0", {"exp": 1.0}, 'bad parameter name "exp"'),
    ("lk_param", "ca_bad21", "x * lk_a", "1.0", {"lk_a": 1.0}, 'bad parameter name "lk_a"'),
    ("x_param", "ca_bad22", "x", "1.0", {"x": 1.0}, 'bad parameter name "x"'),
    ("too_many_params", "ca_bad23", "x", "1.0", {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0},
     "5 parameters, expected at most 4"),
    ("string_param", "ca_bad24", "x * a", "a", {"a": "big"}, 'parameter "a" of "ca_bad24" is'),
]


def _error_cases() -> list[dict]:
    out = []
    for cid, name, fwd, der, params, _ in ERRORS:
        out.append({"id": f"error_{cid}", "kind": "custom_act.register", "register": GOOD[:1], "name": name,
                    "forward": fwd, "derivative": der, "params": params})
    out.append({"id": "error_inf_param", "kind": "custom_act.register", "name": "ca_bad25", "forward": "x * a",
                "derivative": "a", "inf_param": "a"})
    out.append({"id": "error_bool_param", "kind": "custom_act.register", "name": "ca_bad26", "forward": "x * a",
                "derivative": "a", "bool_param": "a"})
    return out


# ---- Differential fuzzing of the checker: expressions mutated token by token --------------------------------
VOCAB = ["x", "alpha", "1.0", "2", "0.5", ".5", "1e3", "+", "-", "*", "/", "(", ")", ",", "?", ":", ">", "<=",
         "==", "&&", "||", "!", "lk_exp", "lk_max", "lk_clamp", "lk_tanh", "lk_sigmoid", "q", "exp", "$"]
SEEDS = ["x * lk_sigmoid(x)", "x > 0.0 ? x : alpha * x", "lk_clamp(x, -1.0, 1.0) + alpha * lk_tanh(x)",
         "!(x < -2.0 || x > 2.0) ? x * x : 4.0", "lk_max(x, 0.0) - alpha * lk_exp(-x * x)", "(x + 1.0) / 2.0"]
FUZZ_COUNT = 160
# Messages only the compiler gives (the generator's checker does not type-check or parse precedence).
COMPILER_ONLY = ("is a comparison", "needs a comparison", "unexpected ", "expected ':'", "expected ','",
                 "expected ')'", "beyond float range")


def _fuzz_expressions() -> list[str]:
    rng = np.random.default_rng(2024)
    out = list(SEEDS)
    while len(out) < FUZZ_COUNT:
        if rng.random() < 0.25:
            tokens = list(rng.choice(VOCAB, rng.integers(1, 8)))
        else:
            tokens = [m.group(m.lastgroup) for m in dialect.TOKEN.finditer(SEEDS[rng.integers(len(SEEDS))])]
            for _ in range(rng.integers(1, 3)):
                i = int(rng.integers(len(tokens) + 1))
                op = rng.integers(3)
                if op == 0 and tokens:
                    del tokens[min(i, len(tokens) - 1)]
                elif op == 1:
                    tokens.insert(i, str(rng.choice(VOCAB)))
                elif tokens:
                    tokens[min(i, len(tokens) - 1)] = str(rng.choice(VOCAB))
        out.append(" ".join(tokens))
    return out


FUZZ = _fuzz_expressions()
FUZZ_Z = np.array([-3.0, -1.5, -0.25, 0.0, 0.5, 1.0, 2.5, 3.0], np.float32)


def _cases(backend: str) -> list[dict]:
    rng = np.random.default_rng(1)
    cases: list[dict] = [{"id": "values", "kind": "custom_act.values", "register": GOOD,
                          "evals": [{"id": e.id, "settings": e.settings(), "z": enc(e.z()[None, :])}
                                    for e in EVALS]}]
    cases += [_train_case(b, s, c) for b, s, c in TWINS]
    cases.append({"id": "save_load", "kind": "custom_act.save_load", "register": GOOD, "act": "ca_scaled_tanh",
                  "x": enc(rng.normal(0, 1, (5, 2)))})
    cases += _error_cases()
    cases += [{"id": f"fuzz_{i}", "kind": "custom_act.fuzz_one", "name": f"ca_fz{i}", "forward": f,
               "z": enc(FUZZ_Z[None, :])} for i, f in enumerate(FUZZ)]
    cases.append({"id": "threads", "kind": "custom_act.threads"})
    return cases


RESULTS = BackendResults(_cases)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("e", EVALS, ids=[e.id for e in EVALS])
def test_values_and_derivatives(backend: str, e: Eval) -> None:
    r = ok(RESULTS[backend]["values"])
    assert r["backend"] == backend
    z = e.z().astype(np.float64)
    p = _full(e)
    want_y = e.custom.np_forward(z, p)
    got_y = dec(r[f"y_{e.id}"])[0]
    np.testing.assert_allclose(got_y, want_y, rtol=2e-5, atol=2e-6, err_msg=f"{e.id}: forward")

    scale = 2.0 * (r[f"o_{e.id}"] - r[f"t_{e.id}"])  # dL/do of the mse loss; dense(1) weights are 1
    got_d = dec(r[f"dz_{e.id}"]) / scale
    want_d = e.custom.np_derivative(z, p)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-4, atol=1e-5, err_msg=f"{e.id}: derivative vs NumPy")
    h = 1e-5
    fd = (e.custom.np_forward(z + h, p) - e.custom.np_forward(z - h, p)) / (2 * h)
    np.testing.assert_allclose(got_d, fd, rtol=1e-4, atol=1e-4, err_msg=f"{e.id}: derivative vs finite differences")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("twin", TWINS, ids=[t[2].name for t in TWINS])
def test_trains_like_the_builtin(backend: str, twin: tuple) -> None:
    builtin, _, custom = twin
    r = ok(RESULTS[backend][f"train_{custom.name}"])
    assert r["backend"] == backend
    lb, lc = dec(r["loss_builtin"]), dec(r["loss_custom"])
    assert lb.size == 40 and np.all(np.isfinite(lb))
    assert lb[-1] < 0.5 * lb[0], f"the {builtin} network did not learn: {lb[0]} -> {lb[-1]}"
    rtol = 1e-5 if backend == "cpu" else 1e-4
    np.testing.assert_allclose(lc, lb, rtol=rtol, atol=1e-7, err_msg=f"{custom.name} vs {builtin}: loss curve")
    np.testing.assert_allclose(dec(r["y_custom"]), dec(r["y_builtin"]), rtol=10 * rtol, atol=1e-6)
    # The custom network really ran the custom activation (three ways of naming it), unfused.
    acts = [op["settings"]["activation"] for op in r["layers_custom"] if op["type"] == "activation"]
    assert acts == [custom.name] * 3, acts


@pytest.mark.parametrize("backend", BACKENDS)
def test_saved_by_name_and_unregistered_names_refused(backend: str) -> None:
    r = ok(RESULTS[backend]["save_load"])
    assert r["export"] == 0 and r["json_loaded"] and r["save"] == 0 and r["res_loaded"]
    assert r["name_in_file"], "the model file does not name the custom activation"
    np.testing.assert_array_equal(dec(r["y_json"]), dec(r["y"]))
    np.testing.assert_array_equal(dec(r["y_res"]), dec(r["y"]))
    assert r["dense_activation"] == "ca_scaled_tanh"
    assert not r["renamed_loaded"], "a model naming an unregistered activation loaded"
    assert any("never_registered_act" in e and "register_activation" in e for e in r["errors"]), r["errors"]


def _expected_message(fwd: str, der: str, params: dict) -> str | None:
    """The generator's own checker's message for the first bad expression, or None when it accepts both."""
    helpers = dialect.read_helpers()
    names = set(params)
    for text, variables in ((fwd, {"x"} | names), (der, {"x", "y"} | names)):
        try:
            dialect.check_expression(text, variables, helpers)
        except ValueError as err:
            return str(err)
    return None


@pytest.mark.parametrize("backend", ["cpu"])  # registration does not touch a backend
@pytest.mark.parametrize("error", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(backend: str, error: tuple) -> None:
    cid, _name, fwd, der, params, text = error
    r = ok(RESULTS[backend][f"error_{cid}"])
    assert r["returned"] == ERR_INVALID_PARAMETER, f"expected ERR_INVALID_PARAMETER, got {r['returned']}"
    assert r["after"] == r["before"], "a failed registration changed the registry"
    assert not r["usable"]
    messages = "\n".join(r["errors"])
    generator = None if isinstance(params.get("a"), str) or len(params) > 4 else _expected_message(fwd, der, params)
    if text is None:
        assert generator is not None, "the generator's checker accepts this: the case is mislabelled"
        assert generator in messages, f"expected the generator's message {generator!r} in:\n{messages}"
    else:
        assert text in messages, f"expected {text!r} in:\n{messages}"
    assert "register_activation" in messages


@pytest.mark.parametrize("cid", ["inf_param", "bool_param"])
def test_bad_parameter_values(cid: str) -> None:
    r = ok(RESULTS["cpu"][f"error_{cid}"])
    assert r["returned"] == ERR_INVALID_PARAMETER and r["after"] == r["before"]
    messages = "\n".join(r["errors"])
    want = "is inf: expected a finite number" if cid == "inf_param" else "is true: expected a number"
    assert '"a"' in messages and want in messages, messages


@pytest.mark.parametrize("i", range(FUZZ_COUNT))
def test_checker_matches_the_generator(i: int) -> None:
    """The same expression through the generator's checker (Python) and register_activation (C++): rejected by
    the generator -> rejected with the generator's message; accepted -> registered (or refused by one of the
    compiler's own rules); registered -> the CPU evaluator and the GPU kernel give the same values."""
    expr = FUZZ[i]
    r = ok(RESULTS["cpu"][f"fuzz_{i}"])
    messages = "\n".join(r["errors"])
    try:
        dialect.check_expression(expr, {"x", "alpha"}, dialect.read_helpers())
        generator = None
    except ValueError as err:
        generator = str(err)
    if generator is not None:
        assert r["returned"] == ERR_INVALID_PARAMETER, f"{expr!r}: the generator rejects it ({generator}), LearnKit accepted it"
        assert f'forward of "ca_fz{i}": {generator}' in messages, f"{expr!r}: want {generator!r} in:\n{messages}"
        assert r["after"] == r["before"]
        return
    if r["returned"] != 0:
        assert any(m in messages for m in COMPILER_ONLY), f"{expr!r}: unexpected refusal:\n{messages}"
        assert r["after"] == r["before"]
        return
    assert f"ca_fz{i}" in r["after"]
    if "gpu" not in enabled_backends():
        return
    g = ok(RESULTS["gpu"][f"fuzz_{i}"])
    assert g["backend"] == "gpu"
    np.testing.assert_allclose(dec(g["y"]), dec(r["y"]), rtol=1e-5, atol=1e-6, equal_nan=True,
                               err_msg=f"{expr!r}: GPU kernel vs CPU evaluator")


@pytest.mark.parametrize("backend", BACKENDS)
def test_registration_is_thread_safe(backend: str) -> None:
    r = ok(RESULTS[backend]["threads"])
    assert r["own"] == [0, 0, 0, 0]
    assert sorted(r["race"]) == [0] + [ERR_INVALID_PARAMETER] * 3, "exactly one thread registers a contested name"
    for k in range(4):
        np.testing.assert_array_equal(dec(r[f"y{k}"])[0], np.array([1.0, 2.0, 3.0]) * (k + 1))


def test_the_readme_example_runs_as_written() -> None:
    """The GDScript blocks of the README's "Custom activations at run time" section, run as written, in order
    (the second replaces and unregisters what the first registered: its network must not change)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Custom activations at run time"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```gdscript\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 2
    probe = "\tvar {0} := net.predict([PackedFloat32Array([0.5, -0.5])])\n"
    script = ("extends SceneTree\n\nfunc _init() -> void:\n" + textwrap.indent(blocks[0], "\t")
              + probe.format("y_before") + textwrap.indent(blocks[1], "\t") + probe.format("y_after")
              + "\tprint(\"README_RESULT \", JSON.stringify({\"ops\": net.get_ops(), \"err\": err, "
              "\"y_before\": y_before, \"y_after\": y_after, "
              "\"custom\": LearnKit.get_custom_activations()}))\n\tquit(0)\n")
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "readme_custom_activations.gd").write_text(script)
    code, output = launch_godot(["-s", "res://tests/generated/readme_custom_activations.gd"], headless=True)
    assert code == 0 and "ERROR" not in output, output[-3000:]
    assert "true [[" in output, output[-3000:]  # err == OK, then the prediction
    line = next(x for x in output.splitlines() if x.startswith("README_RESULT "))
    result = json.loads(line[len("README_RESULT "):])
    acts = [op["settings"] for op in result["ops"] if op["type"] == "activation"]
    assert acts == [{"activation": "scaled_tanh", "a": pytest.approx(1.7159), "b": pytest.approx(0.6667)},
                    {"activation": "scaled_tanh", "a": 1.0, "b": pytest.approx(0.6667)},
                    {"activation": "my_swish"}]
    # After the second block: my_swish replaced (version 2), scaled_tanh unregistered, the network unchanged.
    assert [(c["name"], c["version"]) for c in result["custom"]] == [("my_swish", 2)]
    assert result["err"] == 0 and "\n2\n" in output, output[-3000:]
    assert result["y_after"] == result["y_before"]
