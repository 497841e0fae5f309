"""The activation catalogue, entry by entry (OpInfo-style): every codegen/spec/activations.yaml entry, at its
default parameters and at each sample of its row in tests/activation_refs.py, checked

  - on the CPU kernels through ctypes (act_forward, dense_forward with K = 1, act_backward,
    dense_backward_input, the host scalar functions; row_forward / row_backward for row-wise entries),
  - on both backends through one Godot launch each (godot_project/tests/cases/activations.gd: a standalone
    activation op, one fused into a dense op, and the gradients of a small network with fusion on and off),

on awkward sizes (1, 7, 127, 1000) and extreme inputs (0, the kinks and next to them, +-1e-3, +-20, +-88.5,
+-100, +-1e4, +-1e30): values within the entry's tolerance, derivatives against the reference (whose own
derivative is checked against central finite differences of its forward, and against torch autograd where torch
has the function), no NaN or Inf where the true value is finite. A missing reference fails its entry only.
"""
from __future__ import annotations

import ctypes
import math
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
from activation_refs import ref
from conftest import BackendResults
from kernel_harness import CAT, Arena, _last, act_params, catalogue
from lk import BACKENDS, dec, enc, ok

SIZES = (1, 7, 127, 1000)
STANDALONE_ROWS = 3
# Derivatives: float32 formulas against float64 ones, often through y (sigmoid' = y (1 - y)).
D_RTOL, D_ATOL = 1e-4, 1e-5
EXTREMES = (-1e-3, 1e-3, -20.0, 20.0, -88.5, 88.5, -100.0, 100.0, -1e4, 1e4, -1e30, 1e30)
GRAD_LIMIT = 1e4  # the gradient network's inputs stay within +-this (its mse loss must stay finite in float32)


@dataclass(frozen=True)
class Case:
    act: catalogue.Activation
    params: dict[str, float]  # every parameter (defaults filled in)
    sample: bool  # params are a sample, not the defaults

    @property
    def id(self) -> str:
        given = ",".join(f"{k}={v:g}" for k, v in self.params.items()) if self.sample else ""
        return f"{self.act.name}[{given}]" if given else self.act.name

    def settings(self) -> dict:
        return {"activation": self.act.name, **(self.params if self.sample else {})}


def _cases() -> list[Case]:
    out = []
    for act in CAT.activations:
        out.append(Case(act, dict(act.params), False))
        try:
            samples = ref(act.name).samples
        except AssertionError:
            samples = ()  # the default case fails with the message
        out += [Case(act, {**act.params, **s}, True) for s in samples]
    return out


CASES = _cases()
IDS = [c.id for c in CASES]


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def points(case: Case, n: int, limit: float = math.inf) -> np.ndarray:
    """n float32 inputs: 0, the kinks and next to them, the extremes (within +-limit), then domain samples."""
    act = case.act
    lo, hi = act.domain or (-10.0, 10.0)
    kinks = act.kink_points(case.params)
    special = [0.0, *kinks, *(k + d for k in kinks for d in (-1e-3, 1e-3)), *(e for e in EXTREMES if abs(e) <= limit)]
    rest = _rng("points", case.id, n).uniform(lo, hi, size=max(0, n - len(special)))
    return np.concatenate([special, rest])[:n].astype(np.float32)


def _check(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, what: str, x: np.ndarray,
           accurate_to: float = math.inf) -> None:
    """got within atol + rtol |want| where |x| <= accurate_to, and finite wherever want is."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    finite = np.isfinite(want)
    bad = finite & ~np.isfinite(got)
    assert not bad.any(), f"{what}: NaN/Inf where the true value is finite, at x = {x.ravel()[bad.ravel()][:8]}"
    err = np.abs(got - want)
    tol = atol + rtol * np.abs(want)
    wrong = finite & (err > tol) & (np.abs(np.asarray(x, float)) <= accurate_to)
    if wrong.any():
        i = np.flatnonzero(wrong.ravel())[:6]
        raise AssertionError(f"{what}: {wrong.sum()} of {wrong.size} off: x = {x.ravel()[i]}, got "
                             f"{got.ravel()[i]}, want {want.ravel()[i]}")


def _want(case: Case, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return ref(case.act.name).forward(x.astype(np.float64), case.params)


def _want_derivative(case: Case, x: np.ndarray) -> np.ndarray:
    r = ref(case.act.name)
    assert r.derivative is not None, f"{case.act.name}: ACT_REFS has no derivative"
    with np.errstate(all="ignore"):
        return r.derivative(x.astype(np.float64), case.params)


def _tolerance(case: Case) -> tuple[float, float]:
    t = case.act.tolerance
    return (t.rtol, t.atol) if t else (1e-5, 1e-6)


def _rowwise(case: Case) -> np.ndarray:
    """Row-wise inputs: rows of the awkward widths, with extreme logits."""
    return points(case, 1000).astype(np.float64)


# ---- The reference table itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reference_derivative_matches_finite_differences_and_torch(case: Case) -> None:
    """The table's derivative against central differences of its own forward (float64, away from the kinks),
    and forward and derivative against torch (float64) where torch has the function."""
    r = ref(case.act.name)
    act = case.act
    if act.elementwise:
        lo, hi = act.domain or (-10.0, 10.0)
        x = np.linspace(lo, hi, 2001)
        kinks = act.kink_points(case.params)
        h = 1e-6
        far = np.all([np.abs(x - k) > 1e-3 for k in kinks], axis=0) if kinks else np.ones_like(x, bool)
        # The forward's own jumps (softplus's threshold moves y by < 3e-9) are not kinks of the derivative.
        fd = (r.forward(x + h, case.params) - r.forward(x - h, case.params)) / (2 * h)
        _check(fd[far], _want_derivative(case, x)[far], 1e-6, 1e-5, "finite differences", x[far])
    if r.torch is None:
        return
    torch = pytest.importorskip("torch")
    x = points(case, 200).astype(np.float64) if act.elementwise else _rowwise(case)[:210].reshape(7, 30)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = r.torch(xt, case.params)
    # 1e-7: torch's float64 formulas cancel where the table's do not (gelu's 1 + erf(x / sqrt(2)) for x < -4),
    # and some of its float64 kernels use float32 constants (hardsigmoid's 1/6).
    _check(r.forward(x, case.params), yt.detach().numpy(), 1e-7, 1e-12, "forward vs torch", x)
    g = _rng("torch-g", case.id).normal(size=x.shape)
    try:
        (gt,) = torch.autograd.grad(yt, xt, torch.tensor(g))
    except RuntimeError as err:  # binary_step: torch's heaviside has no derivative (the doc says ours)
        assert "not implemented" in str(err)
        return
    # Also at the kinks (the points include them): the table follows torch's conventions there.
    if act.elementwise:
        got = g * _want_derivative(case, x)
    else:
        assert r.vjp is not None, f"{act.name}: a row-wise entry needs vjp in ACT_REFS"
        got = r.vjp(x, g, case.params)
    _check(got, gt.numpy(), 1e-7, 1e-12, "derivative vs torch autograd", x)


# ---- CPU kernels through ctypes ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cpu_kernels(lib: ctypes.CDLL, case: Case) -> None:
    act, idx, p = case.act, CAT.activations.index(case.act), act_params(case.act, case.params)
    rtol, atol = _tolerance(case)
    if not act.elementwise:
        for rows, cols in ((1, 1), (7, 7), (3, 127), (1, 1000)):
            z = _rowwise(case)[: rows * cols].reshape(rows, cols)
            g = _rng("row-g", case.id, cols).normal(size=(rows, cols))
            a = Arena()
            zo, y, go, out = a.put(z), a.out(z.size), a.put(g), a.out(z.size)
            data = a.build()
            lib.w_row_forward(data, idx, zo, y, rows, cols)
            assert _last(lib)[0] == f"{act.name}_rows"
            ys = a.get(y, (rows, cols))
            _check(ys, _want(case, z.astype(np.float32)), 1e-5, 1e-6, "row_forward", z)
            lib.w_row_backward(data, idx, go, y, out, rows, cols, 0)
            assert _last(lib)[0] == f"{act.name}_backward"
            a.check_gaps()
            want = ref(act.name).vjp(z.astype(np.float32).astype(float), g.astype(np.float32), case.params)
            _check(a.get(out, (rows, cols)), want, 1e-5, 1e-6 * max(1.0, np.abs(g).max()), "row_backward", z)
        return
    for n in SIZES:
        x = points(case, n)
        want, dwant = _want(case, x), _want_derivative(case, x)
        a = Arena()
        xo, w1, b0, ones = a.put(x), a.put([1.0]), a.put([0.0]), a.put(np.ones(n))
        y_act, z, y_fused, d_act, d_gemm = a.out(n), a.out(n), a.out(n), a.out(n), a.out(n)
        data = a.build()
        lib.w_act_forward_kernel(data, idx, p, xo, y_act, n)
        lib.w_dense_forward(data, idx, p, xo, w1, b0, z, y_fused, n, 1, 1)
        assert _last(lib)[0] == f"dense_forward_{act.name}"
        lib.w_act_backward(data, idx, p, ones, xo, y_act, d_act, n, 0)
        lib.w_dense_backward_input(data, idx, p, ones, w1, xo, y_act, d_gemm, n, 1, 1, 0)
        assert _last(lib)[0] == f"dense_backward_input_{act.name}"
        a.check_gaps()
        np.testing.assert_array_equal(a.get(z, n), x)
        for name, off in (("act_forward", y_act), ("dense_forward", y_fused)):
            _check(a.get(off, n), want, rtol, atol, f"{name} n={n}", x)
        for name, off in (("act_backward", d_act), ("dense_backward_input", d_gemm)):
            _check(a.get(off, n), dwant, D_RTOL, D_ATOL, f"{name} n={n}", x)
        host = np.array([lib.w_act_forward(idx, v, p) for v in x])
        _check(host, want, rtol, atol, "activation_forward (host)", x)
        hd = np.array([lib.w_act_derivative(idx, v, yv, p) for v, yv in zip(x, host)])
        _check(hd, dwant, D_RTOL, D_ATOL, "activation_derivative (host)", x)


@pytest.mark.parametrize("case", [c for c in CASES if c.act.elementwise], ids=lambda c: c.id)
def test_cpu_derivative_matches_finite_differences_of_the_kernel(lib: ctypes.CDLL, case: Case) -> None:
    """act_backward against central differences of the act_forward kernel itself (float32, h = 1e-2, away from
    the kinks): the spec's derivative against the spec's forward, independently of the reference table."""
    act, idx, p, h = case.act, CAT.activations.index(case.act), act_params(case.act, case.params), 1e-2
    lo, hi = act.domain or (-10.0, 10.0)
    xs = np.linspace(lo + 2 * h, hi - 2 * h, 257)
    kinks = act.kink_points(case.params)
    xs = (xs[np.all([np.abs(xs - k) > 2 * h for k in kinks], axis=0)] if kinks else xs).astype(np.float32)

    def forward(x: np.ndarray) -> np.ndarray:
        a = Arena()
        xo, y = a.put(x), a.out(x.size)
        data = a.build()
        lib.w_act_forward_kernel(data, idx, p, xo, y, x.size)
        return a.get(y, x.size)

    fd = (forward(xs + np.float32(h)) - forward(xs - np.float32(h))) / (2 * h)
    a = Arena()
    g, z, y, out = a.put(np.ones_like(xs)), a.put(xs), a.put(forward(xs)), a.out(xs.size)
    data = a.build()
    lib.w_act_backward(data, idx, p, g, z, y, out, xs.size, 0)
    _check(a.get(out, xs.size), fd, 2e-3, 2e-3, "act_backward vs finite differences", xs)


def test_aliases_name_the_same_kernels(lib: ctypes.CDLL) -> None:
    for i, act in enumerate(CAT.activations):
        for alias in act.aliases:
            assert lib.w_act_from_name(alias.encode()) == i


# ---- Both backends through Godot ---------------------------------------------------------------------------

def _godot_case(case: Case) -> dict:
    c: dict = {"id": case.id, "kind": "activations.catalogue", "settings": case.settings(), "sizes": list(SIZES)}
    for n in SIZES:
        x = points(case, n) if case.act.elementwise else _rowwise(case)[:n].astype(np.float32)
        rng = _rng("godot", case.id, n)
        c[f"z{n}"] = enc(np.stack([x, *(rng.permutation(x) for _ in range(STANDALONE_ROWS - 1))]))
        gx = points(case, n, GRAD_LIMIT) if case.act.elementwise else np.clip(x, -GRAD_LIMIT, GRAD_LIMIT)
        c[f"g{n}"] = enc(gx[None, :])
        c[f"w{n}"] = enc(rng.uniform(0.5, 1.5, size=(1, n)))
    return c


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: [_godot_case(c) for c in CASES])


@pytest.mark.usefixtures("godot_ready")
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_through_godot(results: BackendResults, backend: str, case: Case) -> None:
    r = ok(results[backend][case.id])
    sent = _godot_case(case)
    act = case.act
    rtol, atol = _tolerance(case)
    for n in SIZES:
        z = dec(sent[f"z{n}"])
        # The op carries its parameters: get_ops() shows every one by name.
        settings = r[f"ops{n}"][0]["settings"]
        assert settings["activation"] == act.name
        for k, v in case.params.items():
            assert settings[k] == pytest.approx(v, rel=1e-6), (k, settings)
        # Forward: standalone kernel (all rows) and fused into the dense GEMM (row 0).
        if act.elementwise:
            want, limit = _want(case, z), act.accurate_to
            _check(dec(r[f"standalone{n}"]), want, rtol, atol, f"standalone n={n}", z, limit)
            _check(dec(r[f"fused{n}"])[0], want[0], rtol, atol, f"fused n={n}", z[0], limit)
        else:
            want = _want(case, z)
            _check(dec(r[f"standalone{n}"]), want, 1e-5, 1e-6, f"standalone n={n}", z)
            _check(dec(r[f"fused{n}"])[0], want[0], 1e-5, 1e-6, f"fused n={n}", z[0])
        # Gradients: dL/dz = 2 (o - t) w2 * f'(z) (mse of one output), the same with fusion on and off.
        gz = dec(sent[f"g{n}"])[0]
        w2 = dec(sent[f"w{n}"])[0].astype(np.float64)
        gy = 2.0 * (float(dec(r[f"o{n}"])[0]) - float(dec(r[f"t{n}"])[0])) * w2
        for mode in ("fused", "unfused"):
            dz = dec(r[f"dz_{mode}{n}"]).astype(np.float64)
            if act.elementwise:
                _check(dz / gy, _want_derivative(case, gz), D_RTOL, D_ATOL, f"dz ({mode}) n={n}", gz)
            else:
                want_dz = ref(act.name).vjp(gz.astype(np.float64)[None, :], gy[None, :], case.params)[0]
                _check(dz, want_dz, 1e-4, 1e-5 * np.abs(gy).max(), f"dz ({mode}) n={n}", gz)


# ---- prelu: an op with a learnable slope, not a catalogue entry (core/ops/prelu.cpp) -----------------------

@pytest.mark.parametrize("shared", [True, False], ids=["shared", "per-feature"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (127, 7), (300, 127), (2, 1000)], ids=str)
def test_prelu_kernels(lib: ctypes.CDLL, shape: tuple[int, int], shared: bool) -> None:
    """torch.nn.PReLU's forward, input gradient and slope gradient (summed over rows, and over features when
    shared), written and accumulated; x includes 0 (torch: slope for x, 0 for w there) and +-1e30."""
    rows, cols = shape
    rng = _rng("prelu", shape, shared)
    xs = rng.normal(scale=3.0, size=shape)
    xs.flat[0], xs.flat[-1] = 0.0, (-1e30 if xs.size > 1 else 0.0)
    ws = rng.uniform(-0.5, 0.8, size=1 if shared else cols)
    gs = rng.normal(size=shape)
    if xs.size > 1:
        gs.flat[-1] = 0.0  # the slope gradient stays finite: g x = 0 at x = -1e30
    x32, w32, g32 = (v.astype(np.float32).astype(np.float64) for v in (xs, ws, gs))
    slope = np.broadcast_to(w32, shape)
    y_want = np.where(x32 > 0, x32, slope * x32)
    dx_want = np.where(x32 > 0, g32, g32 * slope)
    contrib = np.where(x32 > 0, 0.0, g32 * x32)
    dw_want = contrib.sum() if shared else contrib.sum(axis=0)
    a = Arena()
    x, w, g = a.put(xs), a.put(ws), a.put(gs)
    y, dx, dw = a.out(xs.size), a.out(xs.size), a.out(w32.size)
    data = a.build()
    lib.w_prelu_forward(data, x, w, y, rows, cols, int(shared))
    assert _last(lib)[0] == "prelu_forward"
    lib.w_prelu_backward_input(data, g, x, w, dx, rows, cols, int(shared), 0)
    lib.w_prelu_backward_param(data, g, x, dw, rows, cols, int(shared), 0)
    assert _last(lib) == ("prelu_backward_param", (1 if shared else cols, 1, 1))
    a.check_gaps()
    _check(a.get(y, shape), y_want, 1e-6, 1e-6, "prelu_forward", xs)
    _check(a.get(dx, shape), dx_want, 1e-6, 1e-6, "prelu_backward_input", xs)
    scale = max(1.0, np.abs(contrib).sum())
    _check(a.get(dw, w32.size), np.atleast_1d(dw_want), 1e-5, 1e-6 * scale, "prelu_backward_param", w32)
    lib.w_prelu_backward_input(data, g, x, w, dx, rows, cols, int(shared), 1)
    lib.w_prelu_backward_param(data, g, x, dw, rows, cols, int(shared), 1)
    _check(a.get(dx, shape), 2 * dx_want, 1e-6, 1e-6, "prelu_backward_input (accumulate)", xs)
    _check(a.get(dw, w32.size), 2 * np.atleast_1d(dw_want), 1e-5, 2e-6 * scale, "prelu_backward_param (acc)", w32)
